"""Writing 837P files for scrubbed claims and sending each one at most once.

``prepare_claim_file`` locks the claims, writes them as one interchange under a freshly allocated
interchange control number (ISA13 = GS06, from the locked ``ControlNumber`` row: no two files
share one), has pyx12 validate it (a file pyx12 refuses is never stored, so never sent) and, in
the same transaction, stores it ``ready`` and moves each claim scrubbed -> submitted.

``send_claim_file`` sends a ready file through its clearinghouse's adapter:

- under the file's row lock it moves ready -> sending (a second worker finds it sending and
  leaves it), then sends outside the lock, then records sent (remote id, time);
- a clearinghouse that already has this ISA13 (sandbox: 409) got an earlier attempt: sent;
- a transient failure that certainly never reached the clearinghouse puts the file back to ready
  (the task retries); one that may have reached it leaves it ``sending``: a file sending for
  longer than settings.BILLING_SENDING_STALE_SECONDS is sent again, and the clearinghouse's
  duplicate check on the ISA13 makes that safe (it answers "duplicate", not a second file);
- a permanent failure marks the file failed with ``last_error`` (host and HTTP status, no patient
  data) and puts its claims back to scrubbed, to go out in another file.

Export (``export_claims``) writes files for a portal or paper upload: it never sends and never
changes a claim or a ClaimFile; its control numbers come from the same counter.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing import selectors as billing_selectors
from billing.clearinghouses.base import ClearinghouseAdapter, adapter_for
from billing.lifecycle import transition
from billing.models import Claim, ClaimEdit, ClaimStatusChange
from billing.services import _audit
from billing.submission import selectors
from billing.submission.models import ClaimFile, ClaimFileEntry, ControlNumber
from billing.x12.claims837 import write_837p
from billing.x12.envelope import Envelope
from billing.x12.validation import validate_x12
from pracops import outbound
from pracops.audit.models import AuditEvent

logger = logging.getLogger("pracops.billing.submission")

S = Claim.Status
F = ClaimFile.Status
MAX_CONTROL = 999_999_999


class SubmissionError(Exception):
    """A claim file cannot be written or sent as asked; the message says why, without patient data."""


class FileRefused(SubmissionError):
    """pyx12 (or the 837P writer) refused the file: it is not stored and not sent."""

    def __init__(self, message: str, issues: Sequence = ()):
        super().__init__(message)
        self.issues = list(issues)


@dataclass(frozen=True)
class Written:
    """An interchange written and validated: its control number and text."""

    control: int
    text: str


def _agent(user, agent: str) -> str:
    signed = user is not None and getattr(user, "is_authenticated", False)
    return user.get_username() if signed else (agent or "system:billing-submission")


def next_control_number() -> int:
    """The next ISA13 (1 to 999,999,999, then from 1 again), under the counter's row lock
    (held until the caller's transaction ends)."""
    with transaction.atomic():
        counter, _ = ControlNumber.objects.get_or_create(name="isa13")
        counter = ControlNumber.objects.select_for_update().get(pk=counter.pk)
        counter.last = counter.last + 1 if counter.last < MAX_CONTROL else 1
        counter.save(update_fields=["last"])
        return counter.last


def write_claims(claims: Sequence[Claim], *, adapter: ClearinghouseAdapter) -> Written:
    """The claims as one validated 837P interchange for ``adapter``'s clearinghouse. Raises
    SubmissionError when the claims have no one submitter, FileRefused when the writer or pyx12
    refuses the file (naming the claim and field, or the segment and position, never a value)."""
    profiles = {claim.billing_provider_id: selectors.billing_profile_of(claim) for claim in claims}
    if any(profile is None for profile in profiles.values()):
        raise SubmissionError("a claim's billing provider has no billing profile (submitter)")
    submitters = {billing_selectors.submitter(profile) for profile in profiles.values()}
    if len(submitters) != 1:
        raise SubmissionError("the claims have different submitters: write one file per submitter")
    [submitter] = submitters
    data = [billing_selectors.professional_claim(claim) for claim in claims]
    control = next_control_number()
    envelope = Envelope(sender_id=adapter.sender_id, receiver_id=adapter.receiver_id, interchange_control=control,
                        group_control=control, functional_id="HC", created=timezone.now(),
                        usage="T" if adapter.name == "sandbox" else "P")
    receiver = selectors.clearinghouse_party(adapter.receiver_name, adapter.receiver_id)
    try:
        text = write_837p(data, submitter=submitter, receiver=receiver, envelope=envelope)
    except ValueError as error:  # names the claim id and field, never a value
        raise FileRefused(f"the 837P writer refused the claims: {error}") from error
    issues = validate_x12(text)
    if issues:
        shown = "; ".join(str(issue) for issue in issues[:3])
        more = f" (+{len(issues) - 3} more)" if len(issues) > 3 else ""
        raise FileRefused(f"pyx12 refused the 837P: {shown}{more}", issues)
    return Written(control=control, text=text)


def prepare_claim_file(*, claim_ids: Sequence[int], clearinghouse: str, user=None, agent: str = "") -> ClaimFile:
    """Write the scrubbed claims ``claim_ids`` as one 837P for ``clearinghouse``, validated by
    pyx12, stored ready, each claim moved scrubbed -> submitted: all in one transaction, or
    nothing. SubmissionError when a claim does not exist or is not scrubbed; FileRefused when the
    file does not validate (nothing is stored and no claim moves)."""
    ids = sorted(set(claim_ids))
    if not ids:
        raise SubmissionError("no claims to write")
    adapter = adapter_for(clearinghouse)
    name = _agent(user, agent)
    with transaction.atomic():
        locked = list(Claim.objects.select_for_update(of=("self",)).select_related("patient")
                      .filter(pk__in=ids).order_by("pk"))
        missing = set(ids) - {claim.pk for claim in locked}
        if missing:
            raise SubmissionError(f"no claim with id {', '.join(str(pk) for pk in sorted(missing))}")
        unscrubbed = [claim for claim in locked if claim.status != S.SCRUBBED]
        if unscrubbed:
            raise SubmissionError("only scrubbed claims can be sent; not scrubbed: claim "
                                  + ", ".join(f"{claim.pk} ({claim.status})" for claim in unscrubbed))
        written = write_claims(locked, adapter=adapter)
        control = f"{written.control:09d}"
        claim_file = ClaimFile.objects.create(
            clearinghouse=clearinghouse, interchange_control_number=control, status=F.READY, text=written.text,
            sha256=hashlib.sha256(written.text.encode("utf-8")).hexdigest(),
            created_by=user if user is not None and getattr(user, "is_authenticated", False) else None, agent=name)
        sets = _set_control_numbers(written.text)
        for claim in locked:
            ClaimFileEntry.objects.create(file=claim_file, claim=claim,
                                          set_control_number=sets.get(claim.patient_control_number, ""))
            transition(claim, S.SUBMITTED, user=user, agent=name, source_reference=f"837P file ISA13 {control}",
                       reason=f"written to 837P file {control} for {clearinghouse}")
            _audit(claim, AuditEvent.Action.UPDATE, user=user, agent=name)
    return claim_file


def _set_control_numbers(text: str) -> dict[str, str]:
    """Patient control number (CLM01) -> the ST02 of the transaction set it is in."""
    found: dict[str, str] = {}
    current = ""
    for segment in text.replace("\n", "").split("~"):
        elements = segment.split("*")
        if elements[0] == "ST" and len(elements) > 2:
            current = elements[2]
        elif elements[0] == "CLM" and len(elements) > 1:
            found[elements[1]] = current
    return found


# --- Sending ---------------------------------------------------------------------------------


def _stale_before():
    return timezone.now() - timedelta(seconds=settings.BILLING_SENDING_STALE_SECONDS)


def _claim_to_send(file_id: int) -> ClaimFile | None:
    """Lock the file and move it to sending when it may be sent now: None otherwise."""
    with transaction.atomic():
        claim_file = ClaimFile.objects.select_for_update().filter(pk=file_id).first()
        if claim_file is None:
            raise SubmissionError(f"no claim file with id {file_id}")
        sendable = claim_file.status == F.READY or (
            claim_file.status == F.SENDING and claim_file.sending_since is not None
            and claim_file.sending_since < _stale_before())
        if not sendable:
            return None
        claim_file.status = F.SENDING
        claim_file.sending_since = timezone.now()
        claim_file.attempts += 1
        claim_file.save(update_fields=["status", "sending_since", "attempts"])
        return claim_file


def send_claim_file(*, file_id: int) -> ClaimFile:
    """Send one ready file, at most once (see the module's note). Returns the file as it ended;
    re-raises outbound.TransientError (the task retries) after leaving the file ready (nothing
    left) or sending (something may have left: only a stale check sends it again)."""
    claim_file = _claim_to_send(file_id)
    if claim_file is None:
        return ClaimFile.objects.get(pk=file_id)
    try:
        adapter = adapter_for(claim_file.clearinghouse)
        delivery = adapter.submit(text=claim_file.text, interchange_control=claim_file.interchange_control_number)
    except outbound.TransientError as error:
        with transaction.atomic():
            locked = ClaimFile.objects.select_for_update().get(pk=file_id)
            if locked.status == F.SENDING:
                locked.last_error = str(error)[:500]
                fields = ["last_error"]
                if not error.maybe_delivered:
                    locked.status, locked.sending_since = F.READY, None
                    fields += ["status", "sending_since"]
                locked.save(update_fields=fields)
        logger.warning("claim file %s not sent yet: %s", file_id, error)
        raise
    except Exception as error:  # PermanentError, a misconfigured adapter: a person must look
        _fail(file_id, error)
        return ClaimFile.objects.get(pk=file_id)
    with transaction.atomic():
        locked = ClaimFile.objects.select_for_update().get(pk=file_id)
        if locked.status == F.SENDING:
            locked.status, locked.sent_at, locked.sending_since = F.SENT, timezone.now(), None
            locked.remote_id = delivery.remote_id or locked.remote_id
            locked.last_error = "already received by the clearinghouse (duplicate ISA13)" if delivery.duplicate else ""
            locked.save(update_fields=["status", "sent_at", "sending_since", "remote_id", "last_error"])
    logger.info("claim file %s sent to %s%s", file_id, claim_file.clearinghouse,
                " (it had it already)" if delivery.duplicate else "")
    return ClaimFile.objects.get(pk=file_id)


def _fail(file_id: int, error: Exception) -> None:
    """Failed for good: the file is marked failed and its claims go back to scrubbed."""
    message = str(error)[:500] if isinstance(error, outbound.OutboundError) else type(error).__name__
    with transaction.atomic():
        locked = ClaimFile.objects.select_for_update().get(pk=file_id)
        if locked.status != F.SENDING:
            return
        locked.status, locked.last_error, locked.sending_since = F.FAILED, message, None
        locked.save(update_fields=["status", "last_error", "sending_since"])
        claim_ids = list(locked.entries.values_list("claim_id", flat=True))
        for claim in (Claim.objects.select_for_update(of=("self",)).select_related("patient")
                      .filter(pk__in=claim_ids, status=S.SUBMITTED).order_by("pk")):
            transition(claim, S.SCRUBBED, agent="system:billing-submission", source=ClaimStatusChange.Source.TASK,
                       source_reference=f"837P file ISA13 {locked.interchange_control_number}",
                       reason=f"the file was refused: {message}"[:500])
            _audit(claim, AuditEvent.Action.UPDATE, agent="system:billing-submission")
    logger.error("claim file %s failed: %s", file_id, message)


def prepare_and_send(*, claim_ids: Sequence[int], clearinghouse: str, user=None, agent: str = "") -> ClaimFile:
    """Prepare the file, then enqueue its sending once the transaction commits."""
    from billing.submission.tasks import enqueue_send

    with transaction.atomic():
        claim_file = prepare_claim_file(claim_ids=claim_ids, clearinghouse=clearinghouse, user=user, agent=agent)
        transaction.on_commit(lambda: enqueue_send(claim_file.pk))
    return claim_file


def send_scrubbed_claims(*, agent: str = "system:billing-submission") -> list[ClaimFile]:
    """Beat: one file per clearinghouse and submitter for the scrubbed claims not in a file yet,
    each sent once committed. A route whose file cannot be written is logged and left for a person
    (its claims stay scrubbed); the others go on."""
    made = []
    for (clearinghouse, _submitter), claim_ids in selectors.scrubbed_claims_by_route().items():
        try:
            made.append(prepare_and_send(claim_ids=claim_ids, clearinghouse=clearinghouse, agent=agent))
        except Exception as error:  # noqa: BLE001 - one route's fault must not stop the others
            logger.error("claims for %s not written: %s", clearinghouse,
                         error if isinstance(error, SubmissionError) else type(error).__name__)
    return made


# --- Correct and resend ------------------------------------------------------------------------

# Claims "correct and resend" takes: rejected by the clearinghouse or the payer's front end (sent
# again as they are, once the records are fixed), or adjudicated (replaced by a frequency 7 claim).
RESENDABLE = (S.REJECTED, *Claim.ADJUDICATED)


@dataclass(frozen=True)
class Resent:
    """What correcting and resending one claim did."""

    claim: Claim  # the claim scrubbed, and sent when clean: the original, or its replacement
    replaced: Claim | None  # the adjudicated claim a replacement was made for
    errors: int  # the scrubber's errors holding the claim (0: it was written to a file)
    claim_file: ClaimFile | None


def correct_and_resend(*, claim_id: int, reason: str, user=None, agent: str = "") -> Resent:
    """Send a claim again after staff fixed the records it is made from (patient, coverage, billing
    profile, payer settings). A rejected claim goes back to draft (lifecycle: rejected -> draft); an
    adjudicated one (accepted, paid, partially paid, denied) is replaced by a frequency 7 claim naming
    the payer's claim number (``billing.services.correct_claim``; the original becomes corrected).
    Either is scrubbed and, when clean, written to a file queued to send now (``prepare_and_send``).
    ``reason`` is kept on the status change.

    Each step is a transaction of its own and leaves a state staff can pick up: a draft held by the
    scrubber's edits waits for them to be fixed (then the scrub and send actions); a scrubbed claim
    whose file could not be written stays scrubbed for the beat. Raises BillingError (no reason, a
    claim in another state, no payer claim number) or TransitionNotAllowed when another user moved
    the claim first; SubmissionError or FileRefused from writing the file.
    """
    from billing import services as billing_services

    reason = (reason or "").strip()
    if not reason:
        raise billing_services.BillingError("a reason is required to correct and resend a claim")
    claim = Claim.objects.select_related("patient").filter(pk=claim_id).first()
    if claim is None:
        raise billing_services.BillingError("the claim no longer exists")
    if claim.status not in RESENDABLE:
        raise billing_services.BillingError(
            f"only a rejected or adjudicated claim is corrected and resent; this one is "
            f"{claim.get_status_display().lower()}")
    who = agent
    replaced = None
    if claim.status == S.REJECTED:
        claim = billing_services.move_claim(claim=claim, to=S.DRAFT, user=user, agent=who,
                                            reason=f"corrected, to be sent again: {reason}")
    else:
        replaced, claim = claim, billing_services.correct_claim(claim=claim, reason=reason, user=user, agent=who)
    found = billing_services.scrub_claim(claim=claim, user=user, agent=who)
    errors = sum(1 for edit in found if edit.severity == ClaimEdit.Severity.ERROR)
    if errors or claim.status != S.SCRUBBED:
        return Resent(claim=claim, replaced=replaced, errors=errors, claim_file=None)
    claim_file = prepare_and_send(claim_ids=[claim.pk], clearinghouse=selectors.clearinghouse_of_payer(claim.payer_id),
                                  user=user, agent=who)
    claim.refresh_from_db()
    return Resent(claim=claim, replaced=replaced, errors=0, claim_file=claim_file)


# --- Collecting responses --------------------------------------------------------------------


def _receive(*, text: str, name: str, source: str, agent: str):
    """Store a file received (billing.remittance: one row per SHA-256) -> (X12File, created)."""
    from billing.remittance.services import receive_x12_file

    return receive_x12_file(text=text, name=name, source=source, agent=agent)


def _enqueue_read(file_id: int) -> None:
    from billing.remittance.tasks import read_x12_file_task
    from pracops.pending_work import enqueue

    enqueue(read_x12_file_task, file_id)


@dataclass(frozen=True)
class Collected:
    clearinghouse: str
    stored: int = 0
    duplicates: int = 0
    acknowledged: int = 0
    error: str = ""
    refused: int = 0  # files in the mailbox that are not X12 PracOps can keep: left there for staff


def collect_responses(*, clearinghouse: str, agent: str = "system:billing-poll") -> Collected:
    """Download each file in the clearinghouse's mailbox, store it (and queue its reading) in
    one transaction, then acknowledge it there. A worker that dies between storing and
    acknowledging finds the file listed again next time: stored again it is a duplicate (same
    SHA-256), acknowledged, nothing posted twice. A transient failure stops this round."""
    from billing.remittance.services import X12FileError

    adapter = adapter_for(clearinghouse)
    stored = duplicates = acknowledged = refused = 0
    try:
        for waiting in adapter.mailbox():
            text = adapter.download(waiting.remote_id)
            try:
                with transaction.atomic():
                    received, created = _receive(text=text, name=waiting.name or waiting.remote_id,
                                                 source=clearinghouse, agent=agent)
                    if created:
                        transaction.on_commit(lambda pk=received.pk: _enqueue_read(pk))
            except X12FileError:
                # Not a file PracOps can keep (empty, not X12, too large): one such file must not
                # stop the others being collected; it stays in the mailbox, unacknowledged.
                logger.warning("collecting from %s: file %s is not X12 PracOps can keep", clearinghouse,
                               waiting.remote_id)
                refused += 1
                continue
            stored += created
            duplicates += not created
            adapter.acknowledge(waiting.remote_id)
            acknowledged += 1
    except outbound.OutboundError as error:
        logger.warning("collecting from %s stopped: %s", clearinghouse, error)
        return Collected(clearinghouse, stored, duplicates, acknowledged, str(error)[:500], refused)
    return Collected(clearinghouse, stored, duplicates, acknowledged, refused=refused)


def collect_all_responses() -> list[Collected]:
    """Beat: collect from every clearinghouse in use; one's fault does not stop the others."""
    results = []
    for name in selectors.clearinghouses_in_use():
        try:
            results.append(collect_responses(clearinghouse=name))
        except Exception as error:  # noqa: BLE001 - a misconfigured adapter: logged, the others go on
            logger.error("collecting from %s failed: %s", name, type(error).__name__)
            results.append(Collected(name, error=type(error).__name__))
    return results


# --- Export (portal or paper upload) ----------------------------------------------------------


@dataclass(frozen=True)
class Exported:
    path: str
    interchange_control: str
    clearinghouse: str
    claim_ids: tuple[int, ...]


def export_claims(*, out_dir, claim_ids: Sequence[int] | None = None, include_sent: bool = False) -> list[Exported]:
    """Write 837P files into ``out_dir`` (one per clearinghouse and submitter), each validated
    by pyx12, written whole or not at all (a temporary file renamed). Never sends, never changes a
    claim or a ClaimFile. Which claims: ``claim_ids`` (each must have passed the scrubber), else
    every scrubbed claim (``include_sent``: every claim that has passed the scrubber, sent or
    not). SubmissionError / FileRefused name what is wrong; OSError for a directory that cannot
    be written."""
    from pathlib import Path

    out = Path(out_dir)
    if not out.is_dir():
        raise SubmissionError(f"{out} is not a directory")
    passed = Claim.objects.exclude(status=S.DRAFT)
    if claim_ids is not None:
        ids = sorted(set(claim_ids))
        found = dict(Claim.objects.filter(pk__in=ids).values_list("pk", "status"))
        missing = [pk for pk in ids if pk not in found]
        if missing:
            raise SubmissionError(f"no claim with id {', '.join(map(str, missing))}")
        drafts = [pk for pk in ids if found[pk] == S.DRAFT]
        if drafts:
            raise SubmissionError(f"not scrubbed clean (draft): claim {', '.join(map(str, drafts))}")
        chosen = Claim.objects.filter(pk__in=ids)
    else:
        chosen = passed if include_sent else Claim.objects.filter(status=S.SCRUBBED)
    claims = list(chosen.select_related("patient").order_by("pk"))
    routes: dict[tuple[str, int], list[Claim]] = {}
    for claim in claims:
        key = (selectors.clearinghouse_of_payer(claim.payer_id), claim.billing_provider_id)
        routes.setdefault(key, []).append(claim)
    written = []
    for (clearinghouse, _provider), grouped in routes.items():
        result = write_claims(grouped, adapter=adapter_for(clearinghouse))
        control = f"{result.control:09d}"
        target = out / f"837P-{control}.x12"
        temporary = out / f".837P-{control}.x12.part"
        temporary.write_text(result.text, encoding="utf-8")
        temporary.replace(target)
        written.append(Exported(str(target), control, clearinghouse, tuple(claim.pk for claim in grouped)))
    return written
