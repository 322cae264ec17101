"""Everything the sandbox clearinghouse writes: files received and answered (999, 277CA), claims
remitted (835), files acknowledged, and the helpers tests drive it with (``set_rule``,
``inject_fault``).

A file is taken once: the same ISA13 from the same submitter again is refused as a duplicate
(``Duplicate``), and a claim is remitted once (claims are claimed under a lock and marked with
their 835 in the same transaction).
"""

from __future__ import annotations

import hmac
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from billing.x12.envelope import Envelope
from billing.x12.messages import ClaimStatus, ClaimStatusReport, ImplementationAcknowledgment, Interchange
from billing.x12.status277 import AcknowledgmentParties
from sandbox.clearinghouse import adjudication, edits, responses, rules
from sandbox.clearinghouse.models import (
    ClearinghouseClaim,
    ClearinghouseFault,
    ClearinghouseRule,
    ResponseFile,
    Submission,
)
from sandbox.clearinghouse.received import ReceivedClaim, read_claims, read_interchange
from sandbox.clearinghouse.responses import Written
from sandbox.clearinghouse.rules import Rule, RuleError
from sandbox.clearinghouse.validation import validate_837

logger = logging.getLogger(__name__)

CLAIM_ACK_GUIDE = "005010X214"


class Duplicate(Exception):
    """The submitter sent this interchange control number before: the earlier submission."""

    def __init__(self, submission: Submission):
        super().__init__(f"interchange {submission.interchange_control} was received before")
        self.submission = submission


@dataclass(frozen=True)
class Receipt:
    """What receiving a file gave: the submission and the response files written for it."""

    submission: Submission
    acknowledgment: ImplementationAcknowledgment
    files: tuple[ResponseFile, ...]
    claims: tuple[ClearinghouseClaim, ...]


# --- submitters -----------------------------------------------------------------------

def submitter_may_send(submitter: str, secret: str) -> bool:
    """True when ``secret`` is ``submitter``'s shared secret (settings.SANDBOX_CLEARINGHOUSE_SUBMITTERS)."""
    expected = settings.SANDBOX_CLEARINGHOUSE_SUBMITTERS.get(submitter) if submitter else None
    return bool(expected) and hmac.compare_digest(expected.encode(), (secret or "").encode())


# --- receiving an 837P --------------------------------------------------------------

def receive_file(*, submitter: str, text: str, now: datetime | None = None) -> Receipt:
    """Take an 837P interchange from ``submitter``: validate it (999), acknowledge each claim of
    its accepted transaction sets (one 277CA) and schedule the accepted claims' remittance.

    Raises ``received.NotX12`` when there is no interchange to read (nothing is stored), and
    ``Duplicate`` when the submitter sent this ISA13 before."""
    interchange = read_interchange(text)
    now = now or timezone.now()
    try:
        with transaction.atomic(durable=True):
            submission = Submission.objects.create(
                submitter=submitter, interchange_control=interchange.control_number, sender_id=interchange.sender_id,
                usage=interchange.usage if interchange.usage in ("P", "T") else "P", status=Submission.REJECTED, text=text, received_at=now,
            )
            return _answer(submission, interchange, text, now=now)
    except IntegrityError:
        earlier = Submission.objects.filter(submitter=submitter, interchange_control=interchange.control_number).first()
        if earlier is None:
            raise
        raise Duplicate(earlier) from None


def _answer(submission: Submission, interchange: Interchange, text: str, *, now: datetime) -> Receipt:
    acknowledgment = replace(validate_837(text, interchange), version=interchange.guide)
    submission.status = acknowledgment.status
    submission.save(update_fields=["status"])
    files = [_response_file(submission, ResponseFile.ACK_999, now,
                            lambda envelope: responses.write_999(acknowledgment, envelope))]
    accepted_sets = {t.set_control_number for t in acknowledgment.transactions if t.status in ("A", "E")}
    if not accepted_sets:
        return Receipt(submission=submission, acknowledgment=acknowledgment, files=tuple(files), claims=())
    active = active_rules()
    claims: list[ClearinghouseClaim] = []
    by_provider: dict[tuple[str, str], list[ClaimStatus]] = defaultdict(list)
    for claim in (c for c in read_claims(text) if c.transaction_control in accepted_sets):
        row = ClearinghouseClaim.objects.create(
            submission=submission, claim_id=claim.claim_id, payer_id=claim.payer_id,
            billing_npi=claim.billing_npi, status=ClearinghouseClaim.REJECTED, data=claim.as_dict())
        row.payer_claim_number = f"SBX{now:%y%j}{row.pk:08d}"
        status = edits.acknowledge_claim(claim, active, received=now.date(), payer_claim_number=row.payer_claim_number)
        by_provider[(claim.billing_name, claim.billing_npi)].append(status)
        if status.accepted:
            row.status = ClearinghouseClaim.ACCEPTED
            row.remit_due_at = now + timedelta(seconds=settings.SANDBOX_CLEARINGHOUSE_REMIT_SECONDS)
        else:
            row.payer_claim_number = ""
            row.reasons = [":".join(filter(None, (s.category, s.code, s.entity))) for s in status.statuses]
        row.save()
        claims.append(row)
    # One 277CA per billing provider: its upper levels name one provider.
    for (name, npi), statuses in by_provider.items():
        report = ClaimStatusReport(interchange=interchange, guide=CLAIM_ACK_GUIDE, claims=tuple(statuses))
        parties = AcknowledgmentParties(
            source_name=settings.SANDBOX_CLEARINGHOUSE_NAME, source_id=settings.SANDBOX_CLEARINGHOUSE_ID,
            receiver_name=submission.submitter, receiver_id=interchange.sender_id or submission.submitter,
            provider_name=name or "UNKNOWN", provider_npi=npi or "UNKNOWN", received=now.date(), processed=now.date(),
            batch_reference=interchange.control_number)
        files.append(_response_file(submission, ResponseFile.CLAIM_ACK_277CA, now,
                                    lambda envelope, report=report, parties=parties:  # bound now, not late
                                    responses.write_277ca(report, envelope, parties)))
    return Receipt(submission=submission, acknowledgment=acknowledgment, files=tuple(files), claims=tuple(claims))


def _response_file(submission: Submission | None, kind: str, now: datetime, write: Callable[[Envelope], Written], *,
                   submitter: str = "", receiver_id: str = "", usage: str = "P") -> ResponseFile:
    """A response file in the submitter's mailbox; its row id numbers its interchange (ISA13)."""
    submitter = submission.submitter if submission else submitter
    row = ResponseFile.objects.create(submitter=submitter, kind=kind, submission=submission, name="", text="",
                                      created_at=now)
    envelope = responses.envelope_for(
        kind, clearinghouse_id=settings.SANDBOX_CLEARINGHOUSE_ID,
        submitter_sender_id=submission.sender_id if submission else receiver_id, control_number=row.pk,
        created=now, usage=submission.usage if submission else usage)
    written = write(envelope)
    row.text, row.media_type = written.text, written.media_type
    row.name = f"{kind}-{row.pk:09d}.{'x12' if written.media_type == responses.EDI_X12 else 'json'}"
    row.save(update_fields=["text", "media_type", "name"])
    return row


# --- remitting ------------------------------------------------------------------------

def remit_due_claims(*, now: datetime | None = None) -> list[ResponseFile]:
    """Pay or deny every accepted claim whose remittance is due, and put an 835 per submitter and
    payer in the submitter's mailbox (one transaction set per billing provider). Run by beat
    (sandbox.clearinghouse.tasks) and safe to run concurrently: a claim is remitted once."""
    now = now or timezone.now()
    written: list[ResponseFile] = []
    with transaction.atomic(durable=True):
        # Only the claims are locked (of=self): locking the joined submissions too lets two racers each
        # hold a claim the other's skipped row needed, and neither remits it.
        due = list(ClearinghouseClaim.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            status=ClearinghouseClaim.ACCEPTED, remittance__isnull=True, remit_due_at__lte=now,
        ).select_related("submission").order_by("id"))
        if not due:
            return written
        active = active_rules()
        default = rules.default_rule(settings.SANDBOX_CLEARINGHOUSE_ALLOWED_PERCENT)
        batches: dict[tuple[str, str], list[tuple[ClearinghouseClaim, ReceivedClaim]]] = defaultdict(list)
        for row in due:
            batches[(row.submission.submitter, row.payer_id)].append((row, ReceivedClaim.from_dict(row.data)))
        for (submitter, payer_id), batch in batches.items():
            written.append(_remit(submitter, payer_id, batch, active, default, now=now))
    return written


def _remit(submitter: str, payer_id: str, batch: list[tuple[ClearinghouseClaim, ReceivedClaim]],
           active: list[Rule], default: Rule, *, now: datetime) -> ResponseFile:
    by_payee: dict[str, list[tuple[ClearinghouseClaim, ReceivedClaim]]] = defaultdict(list)
    for row, claim in batch:
        by_payee[claim.billing_npi].append((row, claim))
    first = batch[0][0].submission

    def write(envelope: Envelope) -> Written:
        interchange = Interchange(sender_id=envelope.sender_id, receiver_id=envelope.receiver_id,
                                  control_number=f"{envelope.interchange_control:09d}",
                                  group_control_number=str(envelope.group_control), functional_id="HP",
                                  guide="005010X221A1", created=f"{now:%y%m%d%H%M}", usage=envelope.usage)
        advices = []
        for n, (npi, rows) in enumerate(by_payee.items(), start=1):
            payments = [adjudication.adjudicate(claim, active, default=default,
                                                payer_claim_number=row.payer_claim_number) for row, claim in rows]
            advices.append(adjudication.remittance(
                interchange=interchange, set_control_number=f"{n:04d}", payer_name=rows[0][1].payer_name,
                payer_id=payer_id, payee=adjudication.Payee(name=rows[0][1].billing_name, npi=npi),
                trace_number=f"SBX{envelope.interchange_control:09d}{n:02d}", payment_date=now.date(),
                claims=payments))
        return responses.write_835(advices, envelope)

    remittance = _response_file(None, ResponseFile.REMITTANCE_835, now, write, submitter=submitter,
                                receiver_id=first.sender_id, usage=first.usage)
    ClearinghouseClaim.objects.filter(pk__in=[row.pk for row, _ in batch]).update(remittance=remittance,
                                                                                  remitted_at=now)
    return remittance


# --- the mailbox ------------------------------------------------------------------------

def acknowledge_file(*, submitter: str, file_id: int, now: datetime | None = None) -> bool:
    """Mark a response file as collected, so it is no longer listed; False when the submitter
    has no such file. Acknowledging it again changes nothing."""
    found = ResponseFile.objects.filter(submitter=submitter, pk=file_id)
    if not found.exists():
        return False
    found.filter(acknowledged_at__isnull=True).update(acknowledged_at=now or timezone.now())
    return True


# --- rules ----------------------------------------------------------------------------

def active_rules() -> list[Rule]:
    """The rules in force, as plain data; a rule the admin saved broken is passed over."""
    found = []
    for row in ClearinghouseRule.objects.filter(active=True):
        try:
            found.append(row.as_rule())
        except RuleError as exc:
            logger.warning("sandbox clearinghouse: rule %s ignored: %s", row.pk, exc)
    return found


def set_rule(**values) -> ClearinghouseRule:
    """Create (or replace, by name) a rule from ``rules.Rule``'s fields; raises ``RuleError``
    naming the bad field."""
    rule = rules.rule_from_dict(values)
    stored = {name: getattr(rule, name) for name in rules.FIELDS if name != "name"}
    for name in ("bundled_into", "remark_codes"):
        stored[name] = ",".join(stored[name])
    row, _ = ClearinghouseRule.objects.update_or_create(name=rule.name, defaults={**stored, "active": True})
    return row


def load_rules(entries: Iterable[object], *, replace: bool = False) -> list[ClearinghouseRule]:
    """Create or update the rules ``entries`` describe, all or none; raises ``RuleError`` naming
    the entry and field at fault."""
    entries = list(entries)
    for n, entry in enumerate(entries):
        try:
            rules.rule_from_dict(entry)
        except RuleError as exc:
            name = entry.get("name") if isinstance(entry, dict) else None
            raise RuleError(f"rule {n}{f' ({name})' if name else ''}: {exc}") from None
    with transaction.atomic():
        if replace:
            ClearinghouseRule.objects.all().delete()
        return [set_rule(**entry) for entry in entries]  # type: ignore[arg-type]


def clear_rules() -> None:
    """Remove every rule: every line is then paid at the default percent."""
    ClearinghouseRule.objects.all().delete()


# --- faults (tests) -------------------------------------------------------------------

def inject_fault(operation: str, kind: str, *, times: int = 1, delay_seconds: float = 0) -> ClearinghouseFault:
    """Make the next ``times`` requests to ``operation`` ("submit", "list", "download",
    "acknowledge" or "any") answer 500 or 503, or (``kind`` "delay") be processed and answered
    ``delay_seconds`` late, so a client's read timeout fires after the work is done."""
    if operation not in ClearinghouseFault.OPERATIONS:
        raise ValueError(f"operation: {operation!r} is not one of {', '.join(ClearinghouseFault.OPERATIONS)}")
    if kind not in (ClearinghouseFault.HTTP_500, ClearinghouseFault.HTTP_503, ClearinghouseFault.DELAY):
        raise ValueError(f"kind: {kind!r} is not one of 500, 503, delay")
    if times < 1 or (kind == ClearinghouseFault.DELAY and delay_seconds <= 0):
        raise ValueError("times must be at least 1, and a delay needs delay_seconds > 0")
    return ClearinghouseFault.objects.create(operation=operation, kind=kind, remaining=times,
                                             delay_seconds=delay_seconds)


def take_fault(operation: str) -> ClearinghouseFault | None:
    """Use up one injected fault for a request to ``operation``: the fault to apply, if any."""
    for fault in ClearinghouseFault.objects.filter(operation__in=[operation, "any"], remaining__gt=0):
        if ClearinghouseFault.objects.filter(pk=fault.pk, remaining__gt=0).update(remaining=F("remaining") - 1):
            return fault
    return None


def clear_faults() -> None:
    ClearinghouseFault.objects.all().delete()
