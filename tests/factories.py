"""Factories for the tests: API clients with a role and a token, FHIR resources, and professional
claims as plain data (billing.claim_data) with the scrubber's context.

A resource factory *builds* a plain FHIR R4 dict (``PatientFactory.build()``), ready to be
sent to the API, and *creates* by storing it through the write service
(``PatientFactory()``), returning the stored resource as the API would read it back, with
its server-assigned ``id``. Resources that point at a patient take ``patient=`` (a stored
resource, or a reference string such as ``"urn:uuid:..."`` inside a Bundle); left out, a
patient is created for them.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth.models import User

from billing import claim_data
from billing.scrubber.context import AuthorizationOnFile, AuthorizationStatus, ScrubContext

from pracops.access.services import create_api_client
from pracops.fhir.mapping import CPT, ICD10CM, LOINC, NPI, ORG_TYPE, SNOMED, V2_0203
from pracops.records import selectors
from pracops.records.services import create_resource

MRN_SYSTEM = "http://pain-clinic.example.org/fhir/sid/mrn"
MEMBER_SYSTEM = "http://acme-health.example.com/member-id"
UCUM = "http://unitsofmeasure.org"


def npi_with_check_digit(first_nine: str) -> str:
    """A ten-digit NPI: nine digits and the Luhn check digit over "80840" + those nine."""
    assert len(first_nine) == 9 and first_nine.isdigit()
    total = 0
    for position, char in enumerate(reversed("80840" + first_nine)):
        digit = int(char)
        if position % 2 == 0:  # doubled: these sit in odd positions once the check digit is appended
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return first_nine + str((10 - total % 10) % 10)


def reference(target: dict | str, resource_type: str = "Patient") -> dict:
    """A Reference to a stored resource (``Type/id``) or to a given reference string."""
    if isinstance(target, str):
        return {"reference": target}
    if not target.get("id"):
        raise ValueError(f"a built (unstored) {resource_type} has no id to refer to; pass patient=...")
    return {"reference": f"{target['resourceType']}/{target['id']}"}


def concept(system: str, code: str, display: str = "") -> dict:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding], **({"text": display} if display else {})}


def note_attachment(text: str, content_type: str = "text/plain; charset=utf-8") -> dict:
    return {"contentType": content_type, "data": base64.b64encode(text.encode()).decode()}


# --- API clients -------------------------------------------------------------------


@dataclass
class ApiClient:
    user: User
    token: str
    role: str

    @property
    def authorization(self) -> str:
        return f"Bearer {self.token}"


class ApiClientFactory(factory.Factory):
    """A user in a role's group with a fresh API token, made by ``create_api_client``."""

    class Meta:
        model = ApiClient

    name = factory.Sequence(lambda n: f"client-{n}")
    role = "integration"

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise NotImplementedError("an API client's token exists only once stored; use ApiClientFactory()")

    @classmethod
    def _create(cls, model_class, *, name: str, role: str):
        user, token = create_api_client(name=name, role=role)
        return model_class(user=user, token=token, role=role)


class StaffUserFactory(factory.django.DjangoModelFactory):
    """Somebody who signs in to the admin."""

    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff-{n}")
    is_staff = True
    is_superuser = True
    password = factory.django.Password("correct horse battery staple")


# --- FHIR resources ----------------------------------------------------------------


class FhirResourceFactory(factory.DictFactory):
    """Builds a resource dict; ``create`` stores it through the write service."""

    class Meta:
        rename = {"class_": "class"}  # a FHIR element named after a Python keyword

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        # An element given as None is left out: FHIR JSON has no null.
        return {name: value for name, value in model_class(*args, **kwargs).items() if value is not None}

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        resource = cls._build(model_class, *args, **kwargs)
        op = create_resource(resource=resource)
        return selectors.read_resource(resource["resourceType"], op.fhir_id)[1]


class PatientFactory(FhirResourceFactory):
    class Params:
        mrn = factory.Sequence(lambda n: f"MRN{100000 + n}")
        family = factory.Faker("last_name")
        given = factory.Faker("first_name")

    resourceType = "Patient"
    identifier = factory.LazyAttribute(lambda o: [{
        "use": "usual",
        "type": {"coding": [{"system": V2_0203, "code": "MR", "display": "Medical record number"}]},
        "system": MRN_SYSTEM,
        "value": o.mrn,
    }])
    active = True
    name = factory.LazyAttribute(lambda o: [{"use": "official", "family": o.family, "given": [o.given]}])
    gender = factory.Iterator(["female", "male"])
    birthDate = factory.Sequence(lambda n: f"{1950 + n % 50}-{n % 12 + 1:02d}-{n % 28 + 1:02d}")


class PractitionerFactory(FhirResourceFactory):
    class Params:
        npi = factory.Sequence(lambda n: npi_with_check_digit(f"{123450000 + n:09d}"))
        family = factory.Faker("last_name")
        given = factory.Faker("first_name")

    resourceType = "Practitioner"
    identifier = factory.LazyAttribute(lambda o: [{"system": NPI, "value": o.npi}])
    active = True
    name = factory.LazyAttribute(lambda o: [{"use": "official", "family": o.family, "given": [o.given],
                                              "prefix": ["Dr."]}])


class OrganizationFactory(FhirResourceFactory):
    class Params:
        kind = "prov"
        payer = factory.Trait(kind="pay", name=factory.Sequence(lambda n: f"Acme Health Plan {n}"))

    resourceType = "Organization"
    active = True
    name = factory.Sequence(lambda n: f"Desert Spine & Pain Center {n}")
    type = factory.LazyAttribute(lambda o: [concept(ORG_TYPE, o.kind)])


class CoverageFactory(FhirResourceFactory):
    class Params:
        patient = factory.SubFactory(PatientFactory)
        payer = factory.SubFactory(OrganizationFactory, payer=True)
        member_id = factory.Sequence(lambda n: f"ZGP{700000 + n}")
        plan = "PPO-GOLD"
        group = "GRP-4410"

    resourceType = "Coverage"
    status = "active"
    subscriberId = factory.SelfAttribute("member_id")
    beneficiary = factory.LazyAttribute(lambda o: reference(o.patient))
    payor = factory.LazyAttribute(lambda o: [reference(o.payer, "Organization")])
    period = factory.LazyFunction(lambda: {"start": "2024-01-01", "end": "2024-12-31"})
    class_ = factory.LazyAttribute(lambda o: [
        {"type": concept("http://terminology.hl7.org/CodeSystem/coverage-class", "plan"), "value": o.plan},
        {"type": concept("http://terminology.hl7.org/CodeSystem/coverage-class", "group"), "value": o.group},
    ])


class EncounterFactory(FhirResourceFactory):
    class Params:
        patient = factory.SubFactory(PatientFactory)
        start = "2024-03-04T09:00:00Z"
        end = "2024-03-04T09:30:00Z"

    resourceType = "Encounter"
    status = "finished"
    class_ = factory.LazyFunction(lambda: {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                                           "code": "AMB", "display": "ambulatory"})
    type = factory.LazyFunction(lambda: [concept(SNOMED, "185349003", "Encounter for check up")])
    subject = factory.LazyAttribute(lambda o: reference(o.patient))
    period = factory.LazyAttribute(lambda o: {"start": o.start, "end": o.end})


class ConditionFactory(FhirResourceFactory):
    """A diagnosis coded in ICD-10-CM (by default lumbar radiculopathy)."""

    class Params:
        patient = factory.SubFactory(PatientFactory)
        icd10 = "M54.16"
        display = "Radiculopathy, lumbar region"

    resourceType = "Condition"
    clinicalStatus = factory.LazyFunction(
        lambda: concept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"))
    verificationStatus = factory.LazyFunction(
        lambda: concept("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed"))
    code = factory.LazyAttribute(lambda o: concept(ICD10CM, o.icd10, o.display))
    subject = factory.LazyAttribute(lambda o: reference(o.patient))
    onsetDateTime = "2024-02-10T00:00:00Z"


def _body_sites(laterality: str, levels: str) -> list[dict]:
    sites = [{"coding": [{"system": SNOMED, "code": code, "display": word.capitalize()}], "text": word}
             for code, word in (("7771000", "left"), ("24028007", "right"), ("51440002", "bilateral"))
             if word == laterality]
    if levels:
        sites.append({"text": f"Lumbar spine {levels}"})
    return sites


class ProcedureFactory(FhirResourceFactory):
    """A performed procedure coded in CPT (by default a lumbar transforaminal epidural)."""

    class Params:
        patient = factory.SubFactory(PatientFactory)
        cpt = "64483"
        display = "Injection, anesthetic agent and/or steroid, transforaminal epidural; lumbar or sacral"
        laterality = "left"
        levels = "L4-5"

    resourceType = "Procedure"
    status = "completed"
    code = factory.LazyAttribute(lambda o: concept(CPT, o.cpt, o.display))
    subject = factory.LazyAttribute(lambda o: reference(o.patient))
    performedDateTime = "2024-03-04T10:15:00Z"
    bodySite = factory.LazyAttribute(lambda o: _body_sites(o.laterality, o.levels))


class ServiceRequestFactory(FhirResourceFactory):
    """An ordered procedure (by default lumbar facet joint injections, right L4-L5)."""

    class Params:
        patient = factory.SubFactory(PatientFactory)
        cpt = "64493"
        display = "Injection, paravertebral facet joint; lumbar or sacral, single level"
        laterality = "right"
        levels = "L4-L5"

    resourceType = "ServiceRequest"
    status = "active"
    intent = "order"
    code = factory.LazyAttribute(lambda o: concept(CPT, o.cpt, o.display))
    subject = factory.LazyAttribute(lambda o: reference(o.patient))
    occurrenceDateTime = "2024-04-01T08:00:00Z"
    authoredOn = "2024-03-04T10:30:00Z"
    bodySite = factory.LazyAttribute(lambda o: _body_sites(o.laterality, o.levels))
    reasonCode = factory.LazyFunction(lambda: [concept(ICD10CM, "M47.816")])


class ObservationFactory(FhirResourceFactory):
    """A pain score: LOINC 72514-3, 0-10 numeric rating scale."""

    class Params:
        patient = factory.SubFactory(PatientFactory)
        score = 7
        loinc = "72514-3"
        display = "Pain severity - 0-10 verbal numeric rating [Score] - Reported"

    resourceType = "Observation"
    status = "final"
    category = factory.LazyFunction(lambda: [concept(
        "http://terminology.hl7.org/CodeSystem/observation-category", "survey")])
    code = factory.LazyAttribute(lambda o: concept(LOINC, o.loinc, o.display))
    subject = factory.LazyAttribute(lambda o: reference(o.patient))
    effectiveDateTime = "2024-03-04T09:05:00Z"
    valueQuantity = factory.LazyAttribute(lambda o: {"value": o.score, "unit": "{score}", "system": UCUM,
                                                     "code": "{score}"})


class DocumentReferenceFactory(FhirResourceFactory):
    """A clinical note with its text as a base64 attachment."""

    class Params:
        patient = factory.SubFactory(PatientFactory)
        text = "Procedure note: left L4-L5 transforaminal epidural steroid injection, tolerated well."
        note_type = "28570-0"
        display = "Procedure note"

    resourceType = "DocumentReference"
    status = "current"
    type = factory.LazyAttribute(lambda o: concept(LOINC, o.note_type, o.display))
    subject = factory.LazyAttribute(lambda o: reference(o.patient))
    date = "2024-03-04T11:00:00Z"
    content = factory.LazyAttribute(lambda o: [{"attachment": note_attachment(o.text)}])


PRIOR_AUTHORIZATION_SYSTEM = "urn:pracops:prior-authorization"


class ClaimFactory(FhirResourceFactory):
    """A prior authorization request (``use`` preauthorization, Da Vinci PAS shaped) as the
    workflow stores it: the request's id as identifier, the payer's coverage as focal insurance."""

    class Meta:
        # patient= and provider= are the records to refer to, as in the other factories.
        rename = {"class_": "class", "patient_": "patient", "provider_": "provider"}

    class Params:
        patient = factory.SubFactory(PatientFactory)
        payer = factory.SubFactory(OrganizationFactory, payer=True)
        coverage = factory.SubFactory(CoverageFactory, patient=factory.SelfAttribute("..patient"),
                                      payer=factory.SelfAttribute("..payer"))
        provider = factory.SubFactory(PractitionerFactory)
        request_id = factory.Sequence(lambda n: f"PA-{n:05d}")
        cpt = "64483"

    resourceType = "Claim"
    status = "active"
    use = "preauthorization"
    identifier = factory.LazyAttribute(lambda o: [{"system": PRIOR_AUTHORIZATION_SYSTEM, "value": o.request_id}])
    type = factory.LazyFunction(lambda: concept("http://terminology.hl7.org/CodeSystem/claim-type", "professional"))
    patient_ = factory.LazyAttribute(lambda o: reference(o.patient))
    created = "2026-06-01T09:00:00Z"
    insurer = factory.LazyAttribute(lambda o: reference(o.payer, "Organization"))
    provider_ = factory.LazyAttribute(lambda o: reference(o.provider, "Practitioner"))
    priority = factory.LazyFunction(lambda: concept("http://terminology.hl7.org/CodeSystem/processpriority", "normal"))
    insurance = factory.LazyAttribute(lambda o: [{"sequence": 1, "focal": True,
                                                  "coverage": reference(o.coverage, "Coverage")}])
    item = factory.LazyAttribute(lambda o: [{"sequence": 1, "productOrService": concept(CPT, o.cpt),
                                             "quantity": {"value": 1}}])


class ClaimResponseFactory(FhirResourceFactory):
    """A payer's decision on a stored Claim (by default certified, with an authorization number)."""

    class Params:
        claim = factory.SubFactory(ClaimFactory)
        auth_number = factory.Sequence(lambda n: f"AUTH{n:06d}")

    resourceType = "ClaimResponse"
    status = "active"
    use = factory.LazyAttribute(lambda o: o.claim["use"])
    outcome = "complete"
    identifier = factory.LazyAttribute(lambda o: o.claim.get("identifier"))
    type = factory.LazyAttribute(lambda o: o.claim["type"])
    patient = factory.LazyAttribute(lambda o: o.claim["patient"])
    insurer = factory.LazyAttribute(lambda o: o.claim["insurer"])
    request = factory.LazyAttribute(lambda o: reference(o.claim, "Claim"))
    created = "2026-06-02T10:00:00Z"
    disposition = "Certified in total"
    preAuthRef = factory.SelfAttribute("auth_number")
    preAuthPeriod = factory.LazyFunction(lambda: {"start": "2026-06-02", "end": "2026-08-31"})


class ExplanationOfBenefitFactory(FhirResourceFactory):
    """A claim payment's ExplanationOfBenefit as billing.fhir writes it: paid 600 of 950 (CO-45)."""

    class Params:
        claim = factory.SubFactory(ClaimFactory, use="claim")
        payment_id = factory.Sequence(lambda n: f"835-{n:05d}")

    resourceType = "ExplanationOfBenefit"
    identifier = factory.LazyAttribute(lambda o: [{"system": "urn:pracops:billing-claim-payment",
                                                   "value": o.payment_id}])
    status = "active"
    type = factory.LazyAttribute(lambda o: o.claim["type"])
    use = "claim"
    patient = factory.LazyAttribute(lambda o: o.claim["patient"])
    created = "2026-12-05T10:00:00Z"
    insurer = factory.LazyAttribute(lambda o: o.claim["insurer"])
    provider = factory.LazyAttribute(lambda o: o.claim["provider"])
    claim_ = factory.LazyAttribute(lambda o: reference(o.claim, "Claim"))
    outcome = "complete"
    insurance = factory.LazyAttribute(lambda o: [{"focal": True, "coverage": o.claim["insurance"][0]["coverage"]}])
    item = factory.LazyFunction(lambda: [{
        "sequence": 1, "productOrService": concept(CPT, "64483"),
        "adjudication": [
            {"category": concept("http://terminology.hl7.org/CodeSystem/adjudication", "submitted"),
             "amount": {"value": 950, "currency": "USD"}},
            {"category": concept("http://terminology.hl7.org/CodeSystem/adjudication", "benefit"),
             "amount": {"value": 600, "currency": "USD"}},
            {"category": concept("https://x12.org/codes/claim-adjustment-group-codes", "CO"),
             "reason": concept("https://x12.org/codes/claim-adjustment-reason-codes", "45"),
             "amount": {"value": 350, "currency": "USD"}},
        ]}])
    payment = factory.LazyFunction(lambda: {"date": "2026-12-04", "amount": {"value": 600, "currency": "USD"}})

    class Meta:
        rename = {"claim_": "claim"}


# --- Billing: a professional claim as plain data (billing.claim_data) ---------------------------
# Built, never stored: ``ProfessionalClaimFactory()`` is a clean claim for a right-sided lumbar
# transforaminal epidural at two levels (64483-RT, 64484-RT) under an approved authorization.

SERVICE_DAY = date(2026, 11, 20)
AUTH_NUMBER = "PA2026110045"


class AddressFactory(factory.Factory):
    class Meta:
        model = claim_data.Address

    line1 = "1200 Harbor Blvd Suite 300"
    city = "Springfield"
    state = "IL"
    postal_code = "627011234"


class BillingProviderFactory(factory.Factory):
    class Meta:
        model = claim_data.Provider

    npi = factory.LazyFunction(lambda: npi_with_check_digit("123456789"))
    last_name_or_org = "Riverside Spine and Pain Center"
    taxonomy = "208VP0014X"
    tax_id = "371234567"
    address = factory.SubFactory(AddressFactory)


class RenderingProviderFactory(factory.Factory):
    class Meta:
        model = claim_data.Provider

    npi = factory.LazyFunction(lambda: npi_with_check_digit("987654321"))
    last_name_or_org = "Okafor"
    first_name = "Adaeze"
    taxonomy = "208VP0014X"


class SubscriberFactory(factory.Factory):
    class Meta:
        model = claim_data.Subscriber

    member_id = factory.Sequence(lambda n: f"XJH{n:09d}")
    last_name = "Testpatient"
    first_name = "Dana"
    birth_date = date(1961, 4, 12)
    sex = "F"
    address = factory.LazyFunction(lambda: claim_data.Address("44 Elm St", "Springfield", "IL", "62704"))
    group_number = "GRP-7781"
    plan_name = "Acme PPO"


class PayerFactory(factory.Factory):
    class Meta:
        model = claim_data.Payer

    name = "Acme Health"
    payer_id = "60054"


class ServiceLineFactory(factory.Factory):
    class Meta:
        model = claim_data.ServiceLine

    number = 1
    procedure_code = "64483"
    charge = Decimal("1450.00")
    units = Decimal("1")
    service_date = SERVICE_DAY
    diagnosis_pointers = (1, 2)
    modifiers = ("RT",)
    control_number = factory.Sequence(lambda n: f"LN{n:08d}")


class ProfessionalClaimFactory(factory.Factory):
    class Meta:
        model = claim_data.ProfessionalClaim

    claim_id = factory.Sequence(lambda n: f"PO{n:08d}")
    billing = factory.SubFactory(BillingProviderFactory)
    subscriber = factory.SubFactory(SubscriberFactory)
    payer = factory.SubFactory(PayerFactory)
    diagnoses = ("M5416", "M5126")
    lines = factory.LazyFunction(lambda: (
        ServiceLineFactory(number=1),
        ServiceLineFactory(number=2, procedure_code="64484", charge=Decimal("620.00")),
    ))
    place_of_service = "11"
    prior_authorization = AUTH_NUMBER
    rendering = factory.SubFactory(RenderingProviderFactory)
    statement_date = date(2026, 11, 21)


class AuthorizationOnFileFactory(factory.Factory):
    """An approved authorization covering the default claim's codes and date, 2 of 4 units used."""

    class Meta:
        model = AuthorizationOnFile

    number = AUTH_NUMBER
    codes = frozenset({"64483", "64484"})
    valid_from = date(2026, 11, 1)
    valid_until = date(2027, 1, 31)
    status = AuthorizationStatus.APPROVED
    approved_units = 4
    units_used = 0


class ScrubContextFactory(factory.Factory):
    class Meta:
        model = ScrubContext

    today = date(2026, 12, 5)
    timely_filing_days = 180
    authorizations = factory.LazyFunction(lambda: (AuthorizationOnFileFactory(),))
    codes_requiring_authorization = frozenset({"64483", "64484", "64490", "64491", "64493", "64494"})
    claims_sent = factory.LazyFunction(dict)


# --- billing: what the clearinghouse and payers answer (billing.x12.messages), as plain data ---

from datetime import date  # noqa: E402
from decimal import Decimal  # noqa: E402

from billing.x12 import messages as x12  # noqa: E402


class InterchangeFactory(factory.Factory):
    class Meta:
        model = x12.Interchange

    sender_id = "CLEARHOUSE"
    receiver_id = "PRACOPS"
    control_number = "000000001"
    group_control_number = "1"
    functional_id = "HP"
    guide = "005010X221A1"
    created = "2612050900"
    usage = "T"


class ServicePaymentFactory(factory.Factory):
    """A facet joint injection line paid at 60 %, the rest written off contractually (CO-45)."""

    class Meta:
        model = x12.ServicePayment

    procedure_code = "64493"
    modifiers = ("RT",)
    charge = Decimal("1000.00")
    paid = Decimal("600.00")
    units = Decimal("1")
    line_control_number = factory.Sequence(lambda n: f"LINE{n}")
    service_date = date(2026, 11, 2)
    adjustments = factory.LazyAttribute(lambda o: (x12.Adjustment("CO", "45", o.charge - o.paid),))


class ClaimPaymentFactory(factory.Factory):
    class Meta:
        model = x12.ClaimPayment

    claim_id = factory.Sequence(lambda n: f"PC{n:07d}")
    status_code = "1"
    services = factory.LazyFunction(lambda: (ServicePaymentFactory(),))
    charge = factory.LazyAttribute(lambda o: sum((s.charge for s in o.services), Decimal("0")))
    paid = factory.LazyAttribute(lambda o: sum((s.paid for s in o.services), Decimal("0")))
    patient_responsibility = Decimal("0")
    filing_indicator = "12"
    payer_claim_number = factory.Sequence(lambda n: f"PAYER{n:09d}")
    patient_name = "DOE, JANE"


class RemittanceAdviceFactory(factory.Factory):
    """A balanced 835: BPR02 is the claims' payments less the provider adjustments."""

    class Meta:
        model = x12.RemittanceAdvice

    interchange = factory.SubFactory(InterchangeFactory)
    set_control_number = "0001"
    payer_name = "SANDBOX PAYER"
    payer_id = "12345"
    payee_name = "PAIN CLINIC"
    payee_npi = "1234567893"
    trace_number = factory.Sequence(lambda n: f"EFT{n:06d}")
    payment_method = "ACH"
    payment_date = date(2026, 12, 5)
    claims = factory.LazyFunction(lambda: (ClaimPaymentFactory(),))
    provider_adjustments = ()
    total_paid = factory.LazyAttribute(lambda o: sum((c.paid for c in o.claims), Decimal("0"))
                                       - sum((p.amount for p in o.provider_adjustments), Decimal("0")))
