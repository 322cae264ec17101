"""Every write of billing: claims made from encounters and priced from fee schedules, corrected
and voided, and moved through their lifecycle.

Each public function is the outermost transaction of its work (``durable=True``), locks the rows
it decides on, moves a claim's status only through ``billing.lifecycle.transition`` and writes
the audit trail. Errors are ``BillingError`` in plain words for staff, without patient data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import selectors
from billing.lifecycle import record_creation, transition
from billing.models import Claim, ClaimEdit, ClaimLine, FeeScheduleEntry, PayerBillingSettings
from pracops.audit.models import AuditEvent
from pracops.audit.services import record_access
from pracops.fhir.mapping import CPT, HCPCS, ICD10CM
from pracops.records.models import Condition, Encounter, Procedure, ServiceRequest
from priorauth import selectors as priorauth_selectors

if TYPE_CHECKING:
    from priorauth.models import PriorAuthorization

S = Claim.Status

MAX_DIAGNOSES = 12  # 837P HI segment / CMS-1500 box 21 A-L
MAX_POINTERS = 4
MAX_MODIFIERS = 4
BILATERAL = "50"
RIGHT, LEFT = "RT", "LT"


class BillingError(Exception):
    """A claim that cannot be made or moved, in plain words for staff (no patient data)."""


class MissingPrice(BillingError):
    """No fee schedule prices a code on the date of service."""


# --- Helpers -------------------------------------------------------------------


def _audit(claim: Claim, action: str, *, user=None, agent: str = "", subtype: str = "") -> None:
    """One audit event on the claim (its public id), with the patient's id."""
    system = agent.removeprefix("system:") if agent else ""
    signed = user is not None and getattr(user, "is_authenticated", False)
    record_access(
        user=user if signed else None,
        source=AuditEvent.Source.TASK if system and not signed else AuditEvent.Source.REST_API,
        action=action, subtype=subtype, resource_type=Claim.resource_type, resource_id=str(claim.public_id),
        patient_id=claim.patient.fhir_id, system=system or ("billing" if not signed else ""),
    )


def _lock(pk: int) -> Claim:
    claim = (Claim.objects.select_for_update(of=("self",)).select_related("patient", "replaces")
             .filter(pk=pk).first())
    if claim is None:
        raise BillingError("the claim no longer exists")
    return claim


def _local_date(when: datetime) -> date:
    return timezone.localtime(when).date() if timezone.is_aware(when) else when.date()


def _icd10(code: str) -> str:
    """ICD-10-CM as claims carry it: no dot, upper case."""
    return code.replace(".", "").strip().upper()


def _icd10_codings(concepts) -> list[str]:
    return [_icd10(c["code"]) for concept in concepts or [] if isinstance(concept, dict)
            for c in concept.get("coding") or [] if c.get("system") == ICD10CM and c.get("code")]


def _based_on(procedure: Procedure) -> list[str]:
    """The FHIR ids of the orders (ServiceRequests) a procedure fulfils."""
    return [ref["reference"].rpartition("/")[2] for ref in procedure.resource.get("basedOn") or []
            if isinstance(ref, dict) and str(ref.get("reference", "")).startswith("ServiceRequest/")]


# --- Pricing -------------------------------------------------------------------------


def price(*, payer_pk: int, code: str, modifiers: Sequence[str], on: date) -> Decimal:
    """The charge per unit for ``code`` with ``modifiers`` on ``on``.

    The payer's schedule in effect on the date is asked first, then the practice's default
    schedule (no payer) in effect on it. In each, an entry for the code with the line's first
    modifier that has one wins over the code's plain entry; a bilateral line (modifier 50)
    without its own entry is charged twice the plain price (both sides done). Raises
    MissingPrice naming the code when neither schedule prices it.
    """
    for payer in (payer_pk, None):
        schedule = selectors.fee_schedule_in_effect(payer_pk=payer, on=on)
        if schedule is None:
            continue
        entries = {entry.modifier: entry.amount
                   for entry in FeeScheduleEntry.objects.filter(schedule=schedule, procedure_code=code)}
        for modifier in modifiers:
            if modifier in entries:
                return entries[modifier]
        if "" in entries:
            return entries[""] * 2 if BILATERAL in modifiers else entries[""]
    raise MissingPrice(f"no fee schedule in effect on {on.isoformat()} prices {code} "
                       f"for this payer or by default: add it in the admin (Fee schedules)")


# --- Making claims -------------------------------------------------------------------


@dataclass(frozen=True)
class _Charge:
    procedure: Procedure
    code: str
    modifiers: tuple[str, ...]
    units: Decimal
    service_date: date
    reasons: tuple[str, ...]  # the procedure's own diagnoses, ICD-10-CM without the dot


def _charges(procedures: Sequence[Procedure], *, bilateral: str, fallback_date: date,
             order_reasons: dict[str, list[str]]) -> list[_Charge]:
    """The lines the procedures become: a left or right procedure gets LT or RT; a bilateral one
    gets 50 on one line (CMS: one unit) or, for a payer that wants it so, an RT and an LT line."""
    charges = []
    for procedure in procedures:
        units = Decimal(priorauth_selectors.procedure_units(procedure.resource))
        when = _local_date(procedure.date) if procedure.date else fallback_date
        reasons = _icd10_codings(procedure.resource.get("reasonCode"))
        for order in _based_on(procedure):
            reasons += order_reasons.get(order, [])
        common = dict(procedure=procedure, code=procedure.code, service_date=when,
                      reasons=tuple(dict.fromkeys(reasons)))
        if procedure.laterality == "bilateral" and bilateral == PayerBillingSettings.Bilateral.RT_LT:
            charges += [_Charge(modifiers=(RIGHT,), units=units, **common),
                        _Charge(modifiers=(LEFT,), units=units, **common)]
        elif procedure.laterality == "bilateral":
            charges.append(_Charge(modifiers=(BILATERAL,), units=units, **common))
        else:
            side = {"left": (LEFT,), "right": (RIGHT,)}.get(procedure.laterality, ())
            charges.append(_Charge(modifiers=side, units=units, **common))
    return charges


def _diagnoses(encounter: Encounter, charges: Sequence[_Charge], order_reasons: dict[str, list[str]]) -> list[str]:
    """The claim's diagnoses, principal first: the procedures' own reasons (their order's reason
    codes), then the encounter's orders' reasons, then the encounter's conditions; no repeats."""
    found: list[str] = []
    for charge in charges:
        found += charge.reasons
    for reasons in order_reasons.values():
        found += reasons
    conditions = (Condition.objects.filter(encounter=encounter, code_system=ICD10CM).exclude(code="")
                  .order_by("date", "pk").values_list("code", flat=True))
    found += [_icd10(code) for code in conditions]
    return list(dict.fromkeys(found))


def create_claims_for_encounter(*, encounter: Encounter, user=None, agent: str = "") -> list[Claim]:
    """The draft claim for the encounter's completed procedures (CPT/HCPCS), billed to the
    patient's coverage in force on the date of service; the claims already made when it exists.

    Each procedure becomes a line (modifiers from laterality, units from the procedure, priced
    from the fee schedules: see ``price``), the diagnoses come from the procedures' reasons, their
    orders and the encounter's conditions (the first 12; each line points at up to 4 of its
    own, else at the principal), and the approval covering the patient, code and date is linked
    with its number copied (REF*G1; see ``priorauth.selectors.approved_authorization_for``).

    Idempotent: one original claim per encounter and coverage. The encounter's row is locked
    while deciding, and the constraint ``one_original_claim_per_encounter_coverage`` is the
    backstop: a second caller, concurrent or later, gets the existing claim, never a second one.
    Secondary claims come from the primary payer's remittance (later), so the list has one claim.
    Raises BillingError (nothing to bill, no coverage, no diagnosis, no billing profile) or
    MissingPrice.
    """
    who = agent or "system:billing"
    existing = selectors.original_claims_for(encounter.pk)
    if existing:
        return existing
    try:
        with transaction.atomic(durable=True):
            _lock_encounter(encounter.pk)
            existing = selectors.original_claims_for(encounter.pk)
            if existing:
                return existing
            claim = _new_claim(encounter, user=user, agent=who)
            _audit(claim, AuditEvent.Action.CREATE, user=user, agent=agent)
    except IntegrityError:
        existing = selectors.original_claims_for(encounter.pk)
        if not existing:
            raise
        return existing
    return [claim]


def _lock_encounter(pk: int) -> None:
    """Serialize the callers billing one encounter (PostgreSQL: a row lock held to commit)."""
    Encounter.objects.select_for_update().filter(pk=pk).first()


def _new_claim(encounter: Encounter, *, user, agent: str) -> Claim:
    procedures = list(Procedure.objects.filter(encounter=encounter, status__in=priorauth_selectors.PERFORMED,
                                               code_system__in=(CPT, HCPCS)).exclude(code="")
                      .select_related("performer").order_by("date", "pk"))
    if not procedures:
        raise BillingError("the encounter has no completed procedure with a CPT or HCPCS code to bill")
    fallback = _local_date(encounter.period_start) if encounter.period_start else None
    first_date = min((_local_date(p.date) for p in procedures if p.date), default=fallback)
    if first_date is None:
        raise BillingError("the encounter's procedures have no date of service")
    coverage = priorauth_selectors.active_coverage(patient_pk=encounter.patient_id, on=first_date)
    if coverage is None or coverage.payor_id is None:
        raise BillingError(f"the patient has no active coverage with a payer on {first_date.isoformat()}")
    profile = selectors.billing_profile_for(encounter)
    if profile is None:
        raise BillingError("no billing profile for the encounter: set up the practice's in the admin (Billing "
                           "profiles), or the encounter's organization's when the practice has several")
    payer_settings = PayerBillingSettings.objects.filter(organization_id=coverage.payor_id).first()
    bilateral = payer_settings.bilateral if payer_settings else PayerBillingSettings.Bilateral.MODIFIER_50

    orders = ServiceRequest.objects.filter(encounter=encounter) | ServiceRequest.objects.filter(
        fhir_id__in=[ref for p in procedures for ref in _based_on(p)], patient_id=encounter.patient_id)
    order_reasons = {fhir_id: [_icd10(c["code"]) for c in reasons if c.get("system") == ICD10CM and c.get("code")]
                     for fhir_id, reasons in orders.order_by("pk").values_list("fhir_id", "reason_codes")}
    charges = _charges(procedures, bilateral=bilateral, fallback_date=first_date, order_reasons=order_reasons)
    diagnoses = _diagnoses(encounter, charges, order_reasons)[:MAX_DIAGNOSES]
    if not diagnoses:
        raise BillingError("the encounter has no ICD-10-CM diagnosis (condition or order reason) to bill with")

    authorization = _covering_approval(encounter.patient_id,
                                       ((c.code, c.service_date, c.procedure.pk) for c in charges))
    rendering = encounter.practitioner_id or next((p.performer_id for p in procedures if p.performer_id), None)

    claim = Claim.objects.create(
        encounter=encounter, patient_id=encounter.patient_id, coverage=coverage, payer_id=coverage.payor_id,
        place_of_service=profile.place_of_service, diagnoses=diagnoses, billing_provider_id=profile.organization_id,
        rendering_provider_id=rendering, prior_authorization=authorization,
        prior_authorization_number=authorization.auth_number if authorization else "",
        service_date=first_date, created_by=user if user is not None and user.is_authenticated else None,
    )
    lines = []
    for number, charge in enumerate(charges, start=1):
        pointers = [diagnoses.index(code) + 1 for code in charge.reasons if code in diagnoses][:MAX_POINTERS] or [1]
        amount = price(payer_pk=coverage.payor_id, code=charge.code, modifiers=charge.modifiers,
                       on=charge.service_date)
        lines.append(ClaimLine(
            claim=claim, number=number, procedure=charge.procedure, procedure_code=charge.code,
            modifiers=list(charge.modifiers), units=charge.units, charge=(amount * charge.units).quantize(Decimal("0.01")),
            service_date=charge.service_date, diagnosis_pointers=pointers,
            control_number=f"{claim.patient_control_number}L{number}"))
    ClaimLine.objects.bulk_create(lines)
    claim.total_charge = sum((line.charge for line in lines), Decimal("0.00"))
    claim.save(update_fields=["total_charge", "updated_at"])
    record_creation(claim, user=user, agent=agent, reason=f"made from the encounter ({len(lines)} lines)")
    return claim


def _covering_approval(patient_pk: int, lines) -> PriorAuthorization | None:
    """The approved prior authorization covering the first of ``lines`` (code, date of service,
    procedure pk) that one covers, for REF*G1."""
    for code, service_date, procedure_pk in lines:
        authorization = priorauth_selectors.approved_authorization_for(patient_pk, code, service_date,
                                                                       procedure_pk=procedure_pk)
        if authorization is not None:
            return authorization
    return None


def _attach_late_approval(claim: Claim) -> None:
    """A claim made (or copied for a correction) before its authorization was approved gets the
    approval's number now, before it is scrubbed: held back for a missing authorization, it goes
    out with REF*G1 once the payer approves."""
    if claim.prior_authorization_number:
        return
    authorization = _covering_approval(claim.patient_id, claim.lines.order_by("number").values_list(
        "procedure_code", "service_date", "procedure_id"))
    if authorization is not None and authorization.auth_number:
        claim.prior_authorization, claim.prior_authorization_number = authorization, authorization.auth_number
        claim.save(update_fields=["prior_authorization", "prior_authorization_number", "updated_at"])


# --- Scrubbing --------------------------------------------------------------------------


def scrub_claim(*, claim: Claim, user=None, agent: str = "", today: date | None = None) -> list[ClaimEdit]:
    """Run the scrubber (``billing.scrubber.scrub``) on a claim not yet sent, with a context read
    from the database (``selectors.scrub_context``), and keep its findings as one run of
    ``ClaimEdit``s. No error: a draft becomes ``scrubbed``; an error: a scrubbed claim goes back
    to ``draft`` (an edit since the last run broke it). Returns the run's findings, errors first.
    Raises BillingError for a claim already sent.
    """
    import uuid

    from billing.scrubber import blocks_sending, scrub

    who = agent or "system:billing"
    with transaction.atomic(durable=True):
        locked = _lock(claim.pk)
        if locked.status not in Claim.UNSENT:
            raise BillingError(f"only a claim not yet sent is scrubbed; this one is {locked.get_status_display().lower()}")
        _attach_late_approval(locked)
        findings = scrub(selectors.professional_claim(locked), selectors.scrub_context(locked, today=today))
        run, now = uuid.uuid4(), timezone.now()
        edits = ClaimEdit.objects.bulk_create(
            ClaimEdit(claim=locked, run=run, run_at=now, code=finding.edit, severity=finding.severity,
                      message=finding.message[:500], line_number=finding.line, other_claim=finding.other_claim or "")
            for finding in findings)
        errors = sum(1 for finding in findings if finding.severity == ClaimEdit.Severity.ERROR)
        if not blocks_sending(findings) and locked.status == S.DRAFT:
            transition(locked, S.SCRUBBED, user=user, agent=who,
                       reason=f"scrubbed: no errors, {len(findings)} warning{'s' if len(findings) != 1 else ''}")
        elif blocks_sending(findings) and locked.status == S.SCRUBBED:
            transition(locked, S.DRAFT, user=user, agent=who,
                       reason=f"scrubbed again: {errors} error{'s' if errors != 1 else ''}")
        _audit(locked, AuditEvent.Action.UPDATE, user=user, agent=agent, subtype="scrub")
    claim.status = locked.status
    return edits


# --- Corrections and voids ------------------------------------------------------------


def correct_claim(*, claim: Claim, reason: str, user=None, agent: str = "") -> Claim:
    """A replacement claim (frequency 7) for an adjudicated or rejected claim: a draft copy of it
    and its lines (new control numbers) naming it, whose REF*F8 is its payer claim number; the
    claim itself becomes ``corrected``. Staff edit the copy before scrubbing it. Raises
    BillingError when the payer has not numbered the claim, TransitionNotAllowed when it
    cannot be corrected now."""
    return _replace(claim=claim, frequency=Claim.Frequency.CORRECTED, to=S.CORRECTED, reason=reason,
                    user=user, agent=agent)


def void_claim(*, claim: Claim, reason: str, user=None, agent: str = "") -> Claim:
    """A void claim (frequency 8) cancelling an adjudicated claim at the payer: a draft copy
    naming it (REF*F8); the claim itself is closed. Raises as ``correct_claim``."""
    return _replace(claim=claim, frequency=Claim.Frequency.VOID, to=S.CLOSED, reason=reason, user=user, agent=agent)


def _replace(*, claim: Claim, frequency: str, to: str, reason: str, user, agent: str) -> Claim:
    from billing.lifecycle import TransitionNotAllowed, can_move

    who = agent or "system:billing"
    with transaction.atomic(durable=True):
        original = _lock(claim.pk)
        if not can_move(original, to) or original.status in Claim.UNSENT:
            raise TransitionNotAllowed(original, to)
        if not original.payer_claim_number:
            raise BillingError("the payer has not numbered this claim yet (no payer claim number from a 277CA "
                               "or 835): a correction or void must name it")
        copy = Claim.objects.create(
            encounter_id=original.encounter_id, patient_id=original.patient_id, coverage_id=original.coverage_id,
            payer_id=original.payer_id, frequency=frequency, replaces=original,
            place_of_service=original.place_of_service, diagnoses=list(original.diagnoses),
            billing_provider_id=original.billing_provider_id, rendering_provider_id=original.rendering_provider_id,
            prior_authorization_id=original.prior_authorization_id,
            prior_authorization_number=original.prior_authorization_number, service_date=original.service_date,
            total_charge=original.total_charge,
            created_by=user if user is not None and user.is_authenticated else None)
        ClaimLine.objects.bulk_create(
            ClaimLine(claim=copy, number=line.number, procedure_id=line.procedure_id,
                      procedure_code=line.procedure_code, modifiers=list(line.modifiers), units=line.units,
                      charge=line.charge, service_date=line.service_date,
                      diagnosis_pointers=list(line.diagnosis_pointers),
                      control_number=f"{copy.patient_control_number}L{line.number}")
            for line in original.lines.order_by("number"))
        label = "correction" if frequency == Claim.Frequency.CORRECTED else "void"
        record_creation(copy, user=user, agent=who, reason=f"{label} of claim {original.patient_control_number}")
        transition(original, to, user=user, agent=who,
                   reason=f"{label} {copy.patient_control_number}: {reason}")
        _audit(copy, AuditEvent.Action.CREATE, user=user, agent=agent)
        _audit(original, AuditEvent.Action.UPDATE, user=user, agent=agent)
    return copy


def move_claim(*, claim: Claim, to: str, reason: str = "", user=None, agent: str = "", source: str = "",
               source_reference: str = "", **fields) -> Claim:
    """Move one claim through its lifecycle (``billing.lifecycle.transition``) under its row lock,
    audited: what the readers of 999/277CA/835 files and staff actions call."""
    with transaction.atomic(durable=True):
        locked = _lock(claim.pk)
        transition(locked, to, user=user, agent=agent, source=source, source_reference=source_reference,
                   reason=reason, **fields)
        _audit(locked, AuditEvent.Action.UPDATE, user=user, agent=agent)
    return locked

