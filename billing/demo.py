"""The demo practice's claims (``manage.py load_demo``, after the sandbox clearinghouse's rules):
procedures performed on a procedure day, billed, scrubbed and round-tripped through the sandbox
clearinghouse served by this very process, so the billing admin and API open on claims in the
states the real services give them. Nothing is moved by hand:

- Chen, bilateral L4-L5 medial branch block (64493-50) at Medicare, under the approved demo
  authorization: the claim carries its number (REF*G1), is accepted (277CA) and paid at 60% of
  the charge, the rest CO-45 (the sandbox's rule for 64493);
- Novak, interlaminar lumbar epidural (62323) at Medicare, no authorization: the practice's
  Medicare policy (priorauth ``medicare``) does not require one for 62323, so the scrubber lets
  it through, but the payer behind the sandbox clearinghouse does (``DEMO_RULES``): accepted,
  then denied CO-197 (RARC M62). The mismatch between what the practice believes and what the
  payer wants is what the denials worklist exists for;
- Okafor, right SI joint injection (27096) at Acme, performed while the payer's review of the
  request is still pending: held by the scrubber (authorization required but missing), a draft
  with its edits for staff;
- Okafor, the follow-up visit a week before it (99213) at Acme: sent after the remittance above
  was made, so it is accepted and its 835 not yet due (the sandbox remits
  ``SANDBOX_CLEARINGHOUSE_REMIT_SECONDS`` after acceptance: beat pays it later).

Alvarez's ESI is left unperformed: her request is ready to send, not decided.

The procedure day is the first day of Chen's approval (the sandbox payer certifies from the day it
decides), so his procedure falls within it. Loading again changes nothing: the procedures and
their encounters are stored once, a claim is made once per encounter, a claim is scrubbed only
if it never was, and only claims scrubbed clean are sent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from billing import services
from billing.models import BillingProfile, Claim, FeeSchedule, FeeScheduleEntry, PayerBillingSettings
from pracops.fhir.mapping import CPT, ICD10CM, SNOMED
from pracops.records.demo import PAYER_ID_SYSTEM, demo_fhir_id
from pracops.records.models import Encounter, Organization, Procedure
from pracops.records.services.imports import import_bundle
from priorauth.models import PriorAuthorization

AGENT = "system:load_demo"
CLEARINGHOUSE = "sandbox"

PROFILE = {
    "taxonomy": "208VP0014X",  # Pain Medicine, Interventional Pain Medicine
    "tax_id": "861234567", "address_line1": "1200 Riverside Drive", "address_line2": "Suite 300",
    "city": "Phoenix", "state": "AZ", "postal_code": "850041234", "place_of_service": "11",
    "rendering_taxonomy": "208VP0014X", "submitter_name": "Riverside Interventional Pain",
    "submitter_etin": "PRACOPS", "contact_name": "Billing Office", "contact_phone": "6025550100",
}
PAYERS = {
    "ACME01": {"payer_id": "ACME01", "claim_filing_code": "CI", "timely_filing_days": 180},
    "MCRJ15": {"payer_id": "MCRJ15", "claim_filing_code": "MB", "timely_filing_days": 365},
}
FEE_SCHEDULE = "Riverside Interventional Pain charges 2026"
PRICES = {
    "99213": "150.00", "99214": "220.00", "27096": "520.00", "62323": "850.00", "63650": "4200.00",
    "64483": "950.00", "64484": "450.00", "64493": "600.00", "64494": "300.00", "64635": "1400.00",
    "64636": "600.00", "77003": "180.00",
}

LEFT, RIGHT, BILATERAL = "7771000", "24028007", "51440002"  # SNOMED laterality
# key, patient key (pracops.records.demo), days after the procedure day, CPT, what, body site,
# laterality, ICD-10-CM reason, whether it fulfils the patient's demo order
PROCEDURES = [
    ("chen-mbb", "p2", 0, "64493", "Medial branch block, lumbar, single level", "Bilateral L4-L5", BILATERAL,
     "M47.816", True),
    ("novak-esi", "p4", 0, "62323", "Interlaminar epidural injection, lumbar, with imaging guidance", "L5-S1", "",
     "M96.1", False),
    ("okafor-sij", "p3", 0, "27096", "Injection procedure for sacroiliac joint, anesthetic/steroid",
     "Right sacroiliac joint", RIGHT, "M46.1", True),
    ("okafor-visit", "p3", -7, "99213", "Office visit, established patient, low complexity", "", "", "M46.1", False),
]
FIRST_SENT = ("chen-mbb", "novak-esi")  # remitted during loading
SENT_LAST = ("okafor-visit",)  # sent after that remittance: accepted, not yet paid


def load_claims(*, base_url: str, say: Callable[[str], None] = lambda line: None) -> dict[str, str]:
    """Billing set up, the demo procedures performed and billed, the clean claims sent through the
    sandbox clearinghouse and their answers read; each demo claim's status by procedure key."""
    if not settings.SANDBOX_CLEARINGHOUSE_ENABLED:
        say("Claims: none (the sandbox clearinghouse is off)")
        return {}
    from pracops import outbound

    say("Claims (through the sandbox clearinghouse):")
    _set_up_billing()
    encounters = _perform_procedures(_procedure_day())
    claims = {key: services.create_claims_for_encounter(encounter=encounter, agent=AGENT)[0]
              for key, encounter in encounters.items()}
    for claim in claims.values():
        if claim.status == Claim.Status.DRAFT and not claim.edits.exists():
            services.scrub_claim(claim=claim, agent=AGENT)

    with outbound.served_in_process():
        if _send([claims[key] for key in FIRST_SENT]):
            _collect_and_read()
        if _refreshed(claims, FIRST_SENT, Claim.Status.ACCEPTED):
            _remit_due_now()
        _collect_and_read()
        if _send([claims[key] for key in SENT_LAST]):
            _collect_and_read()

    statuses = {}
    for key, claim in claims.items():
        claim.refresh_from_db()
        statuses[key] = claim.status
        say(f"  {_describe(claim)}")
    return statuses


# --- billing set up ------------------------------------------------------------------------


def _set_up_billing() -> None:
    """The practice's billing profile, both payers' billing settings and the practice's charges;
    what staff changed since is kept."""
    practice = Organization.objects.get(fhir_id=demo_fhir_id("org", "practice"))
    BillingProfile.objects.get_or_create(organization=practice, defaults=PROFILE)
    for value, values in PAYERS.items():
        payer = Organization.objects.filter(identifiers__system=PAYER_ID_SYSTEM, identifiers__value=value).first()
        if payer is not None:
            PayerBillingSettings.objects.get_or_create(
                organization=payer, defaults={**values, "clearinghouse": CLEARINGHOUSE})
    schedule, created = FeeSchedule.objects.get_or_create(
        payer=None, name=FEE_SCHEDULE, defaults={"effective_from": date(2026, 1, 1)})
    if created:
        FeeScheduleEntry.objects.bulk_create(
            FeeScheduleEntry(schedule=schedule, procedure_code=code, amount=Decimal(amount))
            for code, amount in PRICES.items())


# --- the procedure day -----------------------------------------------------------------------


def _procedure_day() -> date:
    """The first day of Chen's approval (its procedure must fall within it), else today."""
    approval = (PriorAuthorization.objects.filter(
        service_request__fhir_id=demo_fhir_id("order", "p2"), status__in=PriorAuthorization.APPROVALS)
        .exclude(valid_from__isnull=True).order_by("pk").first())
    return approval.valid_from if approval is not None else timezone.localdate()


def _perform_procedures(day: date) -> dict[str, Encounter]:
    """Each demo procedure and its encounter, stored the way an EHR's feed stores them, once: a
    procedure already stored (an earlier load, perhaps another day) is left as it is."""
    stored = set(Procedure.objects.filter(fhir_id__in=[demo_fhir_id("procedure", p[0]) for p in PROCEDURES])
                 .values_list("fhir_id", flat=True))
    resources = []
    for key, patient, offset, code, display, site, laterality, reason, fulfils_order in PROCEDURES:
        if demo_fhir_id("procedure", key) not in stored:
            resources += _procedure_resources(key, patient, day + timedelta(days=offset), code, display, site,
                                              laterality, reason, fulfils_order)
    if resources:
        import_bundle({"resourceType": "Bundle", "type": "transaction", "entry": [
            {"fullUrl": f"urn:uuid:{r['id']}", "resource": r, "request": {"method": "POST", "url": r["resourceType"]}}
            for r in resources]}, system="load_demo")
    by_id = {e.fhir_id: e for e in Encounter.objects.filter(
        fhir_id__in=[demo_fhir_id("encounter", p[0]) for p in PROCEDURES])}
    return {p[0]: by_id[demo_fhir_id("encounter", p[0])] for p in PROCEDURES}


def _procedure_resources(key: str, patient: str, day: date, code: str, display: str, site: str, laterality: str,
                         reason: str, fulfils_order: bool) -> list[dict]:
    subject = {"reference": f"Patient/{demo_fhir_id('patient', patient)}"}
    doctor = {"reference": f"Practitioner/{demo_fhir_id('practitioner', 'patel')}"}
    encounter = {
        "resourceType": "Encounter", "id": demo_fhir_id("encounter", key), "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "type": [{"text": "Follow-up visit" if code.startswith("99") else "Procedure visit"}],
        "subject": subject, "participant": [{"individual": doctor}],
        "period": {"start": f"{day.isoformat()}T15:00:00Z", "end": f"{day.isoformat()}T15:45:00Z"},
        "serviceProvider": {"reference": f"Organization/{demo_fhir_id('org', 'practice')}"},
    }
    procedure = {
        "resourceType": "Procedure", "id": demo_fhir_id("procedure", key), "status": "completed",
        "code": {"coding": [{"system": CPT, "code": code, "display": display}]},
        "subject": subject, "encounter": {"reference": f"Encounter/{encounter['id']}"},
        "performedDateTime": f"{day.isoformat()}T15:15:00Z", "performer": [{"actor": doctor}],
        "reasonCode": [{"coding": [{"system": ICD10CM, "code": reason}]}],
    }
    if site:
        procedure["bodySite"] = [{"text": site, **({"coding": [{"system": SNOMED, "code": laterality}]}
                                                   if laterality else {})}]
    if fulfils_order:
        procedure["basedOn"] = [{"reference": f"ServiceRequest/{demo_fhir_id('order', patient)}"}]
    return [encounter, procedure]


# --- the round trip ---------------------------------------------------------------------------


def _send(claims: list[Claim]) -> bool:
    """The claims scrubbed clean, in one 837P file sent now (not by the beat); False when none is."""
    from billing.submission import services as submission

    ready = [claim.pk for claim in claims if Claim.objects.filter(pk=claim.pk, status=Claim.Status.SCRUBBED).exists()]
    if not ready:
        return False
    claim_file = submission.prepare_claim_file(claim_ids=ready, clearinghouse=CLEARINGHOUSE, agent=AGENT)
    submission.send_claim_file(file_id=claim_file.pk)
    return True


def _collect_and_read() -> None:
    """The mailbox's files stored and read now, in the order received (the 999 and 277CA of a file
    before its 835). With a broker the queued reads find them read and leave them."""
    from billing.remittance.models import X12File
    from billing.remittance.services import read_x12_file
    from billing.submission import services as submission

    submission.collect_responses(clearinghouse=CLEARINGHOUSE, agent=AGENT)
    for pk in X12File.objects.filter(status=X12File.Status.RECEIVED).order_by("pk").values_list("pk", flat=True):
        read_x12_file(file_id=pk, agent=AGENT)


def _refreshed(claims: dict[str, Claim], keys, status: str) -> bool:
    return Claim.objects.filter(pk__in=[claims[key].pk for key in keys], status=status).exists()


def _remit_due_now() -> None:
    """Have the sandbox clearinghouse remit what it accepted so far, as if its delay had passed."""
    from sandbox.clearinghouse.services import remit_due_claims

    remit_due_claims(now=timezone.now() + timedelta(seconds=settings.SANDBOX_CLEARINGHOUSE_REMIT_SECONDS + 1))


def _describe(claim: Claim) -> str:
    from billing.remittance.models import ClaimPayment, PaymentAdjustment

    lines = ", ".join(f"{line.procedure_code}{''.join('-' + m for m in line.modifiers)}"
                      for line in claim.lines.order_by("number"))
    text = f"{claim.get_status_display():<17} {claim.payer.name}: {lines}, charged ${claim.total_charge}"
    if claim.prior_authorization_number:
        text += f", authorization {claim.prior_authorization_number}"
    payment = ClaimPayment.objects.filter(claim=claim).order_by("-pk").first()
    if payment is not None:
        adjustments = ", ".join(f"{a.group}-{a.reason} ${a.amount}" for a in
                                PaymentAdjustment.objects.filter(claim_payment=payment).order_by("pk"))
        text += f", paid ${payment.paid}" + (f" ({adjustments})" if adjustments else "")
    errors = claim.edits.filter(severity="error").count()
    if claim.status == Claim.Status.DRAFT and errors:
        text += f", held by {errors} scrubber edit{'s' if errors != 1 else ''}"
    return text
