"""Reads for the prior authorization workflow: what a request is evaluated on (the patient's
note facts and procedure history), the coverage and payer policy an order falls under, and what
an approval has left (units used, warnings).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from priorauth.models import PayerProfile, PriorAuthorization
from pracops.fhir.mapping import CPT, HCPCS
from pracops.records.models import Coverage, DocumentReference, Procedure, ServiceRequest

# The LOINC document type prior authorization packets are stored with (see services.PACKET_TYPE):
# an administrative document, not a note to read facts from.
PACKET_LOINC = "51851-4"

# Procedure statuses that mean it was done (and counts against an approval and in history).
PERFORMED = ("completed",)


def open_requests() -> QuerySet[PriorAuthorization]:
    """Requests still being worked (draft to awaiting the payer), the nearest decision due first."""
    return PriorAuthorization.objects.filter(status__in=PriorAuthorization.OPEN)


def awaiting_payer() -> QuerySet[PriorAuthorization]:
    """Requests sent and not yet decided: what the status poll asks the payer about."""
    return PriorAuthorization.objects.filter(status__in=PriorAuthorization.AWAITING_PAYER).exclude(
        payer_reference="")


def requests_to_reevaluate(patient_pk: int) -> list[int]:
    """Primary keys of the patient's requests whose evaluation a new note or procedure may change."""
    return list(PriorAuthorization.objects.filter(
        patient_id=patient_pk, status__in=PriorAuthorization.EVALUABLE).order_by("pk").values_list("pk", flat=True))


def open_request_for(service_request: ServiceRequest) -> PriorAuthorization | None:
    return PriorAuthorization.objects.filter(
        service_request=service_request, status__in=PriorAuthorization.OPEN).first()


def note_facts(patient_pk: int):
    """The facts the current extractor read in each of the patient's notes, oldest note first,
    as the criteria engine takes them (``NoteFactsInput``: note = the DocumentReference's id).

    Notes not read yet by the current extractor are left out (their reading re-evaluates).
    """
    from documentation.models import NoteFacts
    from documentation.nlp.extract import EXTRACTOR_VERSION
    from priorauth.criteria import NoteFactsInput

    rows = (NoteFacts.objects.filter(document__patient_id=patient_pk, extractor_version=EXTRACTOR_VERSION)
            .exclude(document__code=PACKET_LOINC)
            .order_by("document__date", "document_id")
            .values_list("document__fhir_id", "document__date", "facts"))
    return [NoteFactsInput(note=fhir_id, date=when.date() if when else None, facts=facts)
            for fhir_id, when, facts in rows]


def patient_notes(patient_pk: int) -> QuerySet[DocumentReference]:
    """The patient's notes that have facts of the current extractor, oldest first (for the packet)."""
    from documentation.nlp.extract import EXTRACTOR_VERSION

    return DocumentReference.objects.filter(
        patient_id=patient_pk, facts__extractor_version=EXTRACTOR_VERSION).exclude(code=PACKET_LOINC).order_by(
        "date", "pk")


def procedure_history(patient_pk: int):
    """The patient's performed procedures with a CPT/HCPCS code and a date (``PastProcedure``)."""
    from priorauth.criteria import PastProcedure

    rows = (Procedure.objects.filter(patient_id=patient_pk, status__in=PERFORMED, date__isnull=False)
            .filter(code_system__in=(CPT, HCPCS)).exclude(code="").order_by("date", "pk")
            .values_list("date", "code"))
    return [PastProcedure(date=when.date(), cpt=code) for when, code in rows]


def units_used(authorization: PriorAuthorization) -> int:
    """Units of an approval already used: the patient's performed procedures with an approved
    code within the valid period (a procedure's ``quantity`` when the EHR sent one, else 1)."""
    codes = authorization.approved_codes or [authorization.cpt]
    procedures = Procedure.objects.filter(
        patient_id=authorization.patient_id, status__in=PERFORMED, code__in=codes, date__isnull=False)
    if authorization.valid_from:
        procedures = procedures.filter(date__date__gte=authorization.valid_from)
    if authorization.valid_until:
        procedures = procedures.filter(date__date__lte=authorization.valid_until)
    # Procedure has no quantity column: read it from the stored resource (an extension some
    # EHRs send); most send one Procedure per unit performed.
    used = 0
    for resource in procedures.values_list("resource", flat=True):
        used += _quantity(resource)
    return used


def procedure_units(resource: dict) -> int:
    """The units a performed procedure counts for: its ``quantity`` extension when the EHR sent
    one, else 1 (what ``units_used`` counts, and what a claim line bills)."""
    return _quantity(resource)


def approved_authorization_for(patient_pk: int, code: str, on: date, *,
                               procedure_pk: int | None = None) -> PriorAuthorization | None:
    """The approval that covers ``code`` for the patient on ``on``: approved or partially
    approved, ``code`` among its approved codes (its ordered code when none are listed), ``on``
    within valid_from..valid_until (an open end is open), with units left; the earliest valid
    one first when several do.

    Units are those ``units_used`` counts: performed procedures, not claims. A claim line bills
    a performed procedure that ``units_used`` already counts, so billing never adds to the use.
    With ``procedure_pk`` (the procedure the line bills), "units left" means the procedures
    performed before it under the approval (by date, then id), plus its own units, fit within
    the approved units; so a claim for the approval's last unit still carries the number, and a
    corrected claim for the same procedure gets the same answer. Without it, one more unit must
    fit beside the units used.
    """
    candidates = (PriorAuthorization.objects.filter(patient_id=patient_pk, status__in=PriorAuthorization.APPROVALS)
                  .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on))
                  .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
                  .exclude(auth_number="")
                  .order_by("valid_from", "decided_at", "pk"))
    for authorization in candidates:
        if code not in (authorization.approved_codes or [authorization.cpt]):
            continue
        if authorization.approved_units is None or _units_fit(authorization, procedure_pk):
            return authorization
    return None


def _units_fit(authorization: PriorAuthorization, procedure_pk: int | None) -> bool:
    if procedure_pk is None:
        return units_used(authorization) + 1 <= authorization.approved_units
    before, own = _units_around(authorization, procedure_pk)
    if own is None:
        return units_used(authorization) + 1 <= authorization.approved_units
    return before + own <= authorization.approved_units


def units_used_before(authorization: PriorAuthorization, procedure_pks) -> int:
    """Units of an approval used by the performed procedures that come before all of
    ``procedure_pks`` (by date, then id), those excluded: what a claim billing those procedures
    finds already used (the claim's own units are its lines)."""
    pks = set(procedure_pks)
    used = 0
    for pk, resource in _approval_procedures(authorization).values_list("pk", "resource"):
        if pk in pks:
            break
        used += _quantity(resource)
    return used


def _units_around(authorization: PriorAuthorization, procedure_pk: int) -> tuple[int, int | None]:
    """(units performed before the procedure, the procedure's own units or None when it does not count)."""
    before = 0
    for pk, resource in _approval_procedures(authorization).values_list("pk", "resource"):
        if pk == procedure_pk:
            return before, _quantity(resource)
        before += _quantity(resource)
    return before, None


def _approval_procedures(authorization: PriorAuthorization):
    codes = authorization.approved_codes or [authorization.cpt]
    procedures = Procedure.objects.filter(
        patient_id=authorization.patient_id, status__in=PERFORMED, code__in=codes, date__isnull=False)
    if authorization.valid_from:
        procedures = procedures.filter(date__date__gte=authorization.valid_from)
    if authorization.valid_until:
        procedures = procedures.filter(date__date__lte=authorization.valid_until)
    return procedures.order_by("date", "pk")


def _quantity(resource: dict) -> int:
    for extension in resource.get("extension") or []:
        if str(extension.get("url", "")).endswith("/quantity") and "valueQuantity" in extension:
            try:
                return max(int(extension["valueQuantity"].get("value", 1)), 0)
            except (TypeError, ValueError):
                return 1
    return 1


@dataclass(frozen=True)
class ApprovalWarning:
    """Something staff must act on before an approval runs out."""

    kind: str  # "expiring" | "units_exhausted" | "units_low"
    message: str


def warnings(authorization: PriorAuthorization, *, today: date | None = None,
             used: int | None = None) -> list[ApprovalWarning]:
    """Warnings for an approval: its valid period ends within PRIORAUTH_EXPIRY_WARNING_DAYS, or
    its units are used up (or one is left). None for a request that is not approved."""
    if authorization.status not in PriorAuthorization.APPROVALS:
        return []
    today = today or timezone.localdate()
    found = []
    if authorization.valid_until is not None:
        days = (authorization.valid_until - today).days
        if 0 <= days <= settings.PRIORAUTH_EXPIRY_WARNING_DAYS:
            found.append(ApprovalWarning("expiring", f"the approval ends in {days} day{'s' if days != 1 else ''} "
                                                     f"({authorization.valid_until.isoformat()})"))
    if authorization.approved_units is not None:
        used = units_used(authorization) if used is None else used
        remaining = authorization.approved_units - used
        if remaining <= 0:
            found.append(ApprovalWarning(
                "units_exhausted", f"all {authorization.approved_units} approved units are used"))
        elif remaining <= 1:
            found.append(ApprovalWarning(
                "units_low", f"{remaining} of {authorization.approved_units} approved units left"))
    return found


def active_coverage(*, patient_pk: int, on: date, service_request: ServiceRequest | None = None) -> Coverage | None:
    """The patient's coverage in force on ``on`` (status active, period covering the date).

    The order's own ``insurance`` is preferred when it names one that is in force; otherwise the
    patient's, the most recently started first.
    """
    in_force = (Coverage.objects.filter(beneficiary_id=patient_pk, status="active")
                .filter(Q(period_start__isnull=True) | Q(period_start__lte=on))
                .filter(Q(period_end__isnull=True) | Q(period_end__gte=on))
                .select_related("payor"))
    if service_request is not None:
        named = [ref.get("reference", "").rpartition("/")[2]
                 for ref in service_request.resource.get("insurance") or [] if isinstance(ref, dict)]
        named = [fhir_id for fhir_id in named if fhir_id]
        if named:
            chosen = in_force.filter(fhir_id__in=named).first()
            if chosen is not None:
                return chosen
    return in_force.order_by("-period_start", "-pk").first()


def payer_profile(coverage: Coverage | None) -> PayerProfile | None:
    """How PracOps works with the coverage's payer (None: no payer, or none set up)."""
    if coverage is None or coverage.payor_id is None:
        return None
    return PayerProfile.objects.filter(organization_id=coverage.payor_id).first()


def policy_key(coverage: Coverage | None) -> str | None:
    """The payer's policy set key (PayerProfile of the Coverage's payor)."""
    profile = payer_profile(coverage)
    return profile.policy_key if profile else None


def planned_date(service_request: ServiceRequest) -> date:
    """When the ordered procedure is planned: its occurrence, else when it was ordered, else today."""
    return service_request.date.date() if service_request.date else timezone.localdate()


def ordered_units(service_request: ServiceRequest) -> int:
    """ServiceRequest.quantityQuantity's value when given as a whole number of units, else 1."""
    quantity = service_request.resource.get("quantityQuantity") or {}
    try:
        value = int(quantity.get("value", 1))
    except (TypeError, ValueError):
        return 1
    return value if value >= 1 else 1


def ordered_cpt(service_request: ServiceRequest) -> str | None:
    """The order's CPT/HCPCS code, None when it has none (not a procedure order PracOps can authorize)."""
    if service_request.code and service_request.code_system in (CPT, HCPCS):
        return service_request.code
    return None


def due_requests(*, now=None) -> QuerySet[PriorAuthorization]:
    """Requests awaiting the payer past their decision due date (CMS-0057-F)."""
    now = now or timezone.now()
    return PriorAuthorization.objects.filter(
        status__in=PriorAuthorization.AWAITING_PAYER, decision_due_at__lt=now)


def approvals_to_expire(*, today: date) -> QuerySet[PriorAuthorization]:
    return PriorAuthorization.objects.filter(
        status__in=PriorAuthorization.APPROVALS, valid_until__isnull=False, valid_until__lt=today)


def submissions_pending(*, before) -> list[int]:
    """Requests staff asked to send that are still not sent after the grace period."""
    return list(PriorAuthorization.objects.filter(
        status=PriorAuthorization.Status.READY, submit_requested_at__lt=before).values_list("pk", flat=True))


def packets_pending(*, before) -> list[int]:
    return list(PriorAuthorization.objects.filter(packet_requested_at__lt=before).values_list("pk", flat=True))



# --- Batch reads (evaluating many requests at once: a fixed number of queries) ---------------


def note_facts_by_patient(patient_pks) -> dict[int, list]:
    """``note_facts`` for several patients in one query: {patient pk: [NoteFactsInput, ...]},
    each list in the same order ``note_facts`` gives (a patient without facts maps to [])."""
    from documentation.models import NoteFacts
    from documentation.nlp.extract import EXTRACTOR_VERSION
    from priorauth.criteria import NoteFactsInput

    found: dict[int, list] = {pk: [] for pk in patient_pks}
    rows = (NoteFacts.objects.filter(document__patient_id__in=list(found), extractor_version=EXTRACTOR_VERSION)
            .exclude(document__code=PACKET_LOINC)
            .order_by("document__date", "document_id")
            .values_list("document__patient_id", "document__fhir_id", "document__date", "facts"))
    for patient_pk, fhir_id, when, facts in rows:
        found[patient_pk].append(NoteFactsInput(note=fhir_id, date=when.date() if when else None, facts=facts))
    return found


def procedure_history_by_patient(patient_pks) -> dict[int, list]:
    """``procedure_history`` for several patients in one query: {patient pk: [PastProcedure, ...]}."""
    from priorauth.criteria import PastProcedure

    found: dict[int, list] = {pk: [] for pk in patient_pks}
    rows = (Procedure.objects.filter(patient_id__in=list(found), status__in=PERFORMED, date__isnull=False)
            .filter(code_system__in=(CPT, HCPCS)).exclude(code="").order_by("date", "pk")
            .values_list("patient_id", "date", "code"))
    for patient_pk, when, code in rows:
        found[patient_pk].append(PastProcedure(date=when.date(), cpt=code))
    return found


def payer_profiles_by_organization(organization_pks) -> dict[int, PayerProfile]:
    """The payer profiles of several payer organizations in one query (an organization has at
    most one); organizations without one are absent."""
    pks = [pk for pk in set(organization_pks) if pk is not None]
    if not pks:
        return {}
    return {profile.organization_id: profile for profile in PayerProfile.objects.filter(organization_id__in=pks)}
