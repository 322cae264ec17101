"""Billing's factories and a demo-like practice to bill from: the practice with its billing
profile, a payer with its billing settings, a patient covered by it, fee schedules, and an
encounter with its procedures and diagnoses stored through the records' write service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import factory

from billing.models import BillingProfile, FeeSchedule, FeeScheduleEntry, PayerBillingSettings
from pracops.fhir.mapping import ICD10CM, NPI
from pracops.records.models import Coverage, Encounter, Organization, Patient, Practitioner, Procedure
from priorauth.models import PriorAuthorization
from tests.factories import (
    ConditionFactory,
    CoverageFactory,
    EncounterFactory,
    OrganizationFactory,
    PatientFactory,
    PractitionerFactory,
    ProcedureFactory,
    ServiceRequestFactory,
    concept,
    reference,
)

PRACTICE_NPI = "1245319599"


class FeeScheduleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeeSchedule

    payer = None
    name = factory.Sequence(lambda n: f"Fee schedule {n}")
    effective_from = date(2026, 1, 1)
    effective_until = None


class FeeScheduleEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeeScheduleEntry

    schedule = factory.SubFactory(FeeScheduleFactory)
    procedure_code = "64483"
    modifier = ""
    amount = Decimal("950.00")


class PayerBillingSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PayerBillingSettings

    payer_id = factory.Sequence(lambda n: f"PAYER{n:04d}")
    claim_filing_code = "CI"
    timely_filing_days = 90
    bilateral = PayerBillingSettings.Bilateral.MODIFIER_50


class BillingProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BillingProfile

    taxonomy = "208VP0014X"
    tax_id = "741234567"
    address_line1 = "1200 Riverside Drive"
    address_line2 = "Suite 300"
    city = "Phoenix"
    state = "AZ"
    postal_code = "850041234"
    place_of_service = "11"
    rendering_taxonomy = "208VP0014X"
    submitter_name = "Riverside Interventional Pain"
    submitter_etin = "ETIN0042"
    contact_name = "Billing Office"
    contact_phone = "6025550100"


@dataclass
class Practice:
    organization: Organization
    profile: BillingProfile
    payer: Organization
    payer_settings: PayerBillingSettings
    patient: Patient
    coverage: Coverage
    doctor: Practitioner


def practice(*, bilateral: str = PayerBillingSettings.Bilateral.MODIFIER_50, filing_code: str = "CI") -> Practice:
    """The practice, its billing profile, a payer set up for billing and a patient it covers in 2026."""
    organization = OrganizationFactory.create(name="Riverside Interventional Pain",
                                              identifier=[{"system": NPI, "value": PRACTICE_NPI}])
    organization = Organization.objects.get(fhir_id=organization["id"])
    payer = OrganizationFactory.create(payer=True)
    patient = PatientFactory.create(
        address=[{"use": "home", "line": ["44 Saguaro Lane"], "city": "Tempe", "state": "AZ", "postalCode": "85281"}])
    coverage = CoverageFactory.create(patient=patient, payer=payer, period={"start": "2026-01-01", "end": "2026-12-31"})
    doctor = PractitionerFactory.create()
    payer = Organization.objects.get(fhir_id=payer["id"])
    return Practice(
        organization=organization, profile=BillingProfileFactory(organization=organization), payer=payer,
        payer_settings=PayerBillingSettingsFactory(organization=payer, bilateral=bilateral,
                                                   claim_filing_code=filing_code),
        patient=Patient.objects.get(fhir_id=patient["id"]), coverage=Coverage.objects.get(fhir_id=coverage["id"]),
        doctor=Practitioner.objects.get(fhir_id=doctor["id"]))


def price_list(payer: Organization | None, prices: dict[str, str], *, effective_from: date = date(2026, 1, 1),
               effective_until: date | None = None) -> FeeSchedule:
    """A fee schedule with ``prices`` as {"64483": "950.00", "64493-50": "1400.00"}."""
    schedule = FeeScheduleFactory(payer=payer, effective_from=effective_from, effective_until=effective_until)
    for key, amount in prices.items():
        code, _, modifier = key.partition("-")
        FeeScheduleEntryFactory(schedule=schedule, procedure_code=code, modifier=modifier, amount=Decimal(amount))
    return schedule


def visit(case: Practice, *, on: str = "2026-11-20", procedures: tuple[tuple[str, str], ...] = (("64483", "left"),),
          diagnoses: tuple[str, ...] = ("M54.16",), order_reasons: tuple[str, ...] = (),
          quantity: int | None = None) -> Encounter:
    """An encounter on ``on`` with completed procedures ((cpt, laterality), ...) and conditions;
    with ``order_reasons``, the procedures fulfil an order with those ICD-10-CM reasons."""
    patient = {"resourceType": "Patient", "id": case.patient.fhir_id}
    encounter = EncounterFactory.create(patient=patient, start=f"{on}T09:00:00Z", end=f"{on}T10:00:00Z",
                                        participant=[{"individual": reference({"resourceType": "Practitioner",
                                                                               "id": case.doctor.fhir_id})}])
    at_visit = reference(encounter, "Encounter")
    based_on = None
    if order_reasons:
        order = ServiceRequestFactory.create(patient=patient, cpt=procedures[0][0],
                                             reasonCode=[concept(ICD10CM, code) for code in order_reasons])
        based_on = [reference(order, "ServiceRequest")]
    for code in diagnoses:
        ConditionFactory.create(patient=patient, icd10=code, display="", encounter=at_visit)
    for cpt, laterality in procedures:
        ProcedureFactory.create(
            patient=patient, cpt=cpt, laterality=laterality, encounter=at_visit,
            performedDateTime=f"{on}T09:30:00Z", basedOn=based_on,
            extension=[{"url": "http://example.org/fhir/StructureDefinition/quantity",
                        "valueQuantity": {"value": quantity}}] if quantity else None)
    return Encounter.objects.get(fhir_id=encounter["id"])


def approval(case: Practice, *, cpt: str = "64483", number: str = "AUTH-77001", valid_from: date = date(2026, 11, 1),
             valid_until: date = date(2027, 1, 31), units: int | None = 2,
             status: str = PriorAuthorization.Status.APPROVED, codes: list[str] | None = None) -> PriorAuthorization:
    """A prior authorization as the payer decided it (stored as the decision leaves it)."""
    order = ServiceRequestFactory.create(patient={"resourceType": "Patient", "id": case.patient.fhir_id}, cpt=cpt)
    from pracops.records.models import ServiceRequest

    return PriorAuthorization.objects.create(
        service_request=ServiceRequest.objects.get(fhir_id=order["id"]), patient=case.patient,
        coverage=case.coverage, payer=case.payer, cpt=cpt, status=status, auth_number=number,
        approved_codes=codes if codes is not None else [cpt], approved_units=units, valid_from=valid_from,
        valid_until=valid_until)


def procedures_of(encounter: Encounter) -> list[Procedure]:
    return list(Procedure.objects.filter(encounter=encounter).order_by("pk"))
