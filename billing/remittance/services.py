"""Receiving X12 files and reading them: 999, 277CA, 277 and 835, posted to claims.

``receive_x12_file`` keeps a file whole (one row per SHA-256 of its bytes, so the same file
received twice is one file). ``read_x12_file`` reads a ``received`` file once, under its row lock:
a malformed file (bad delimiters, truncated, wrong SE/GE/IEA counts, an 835 that does not
balance) is ``rejected`` with the segment and position at fault and nothing from it is posted;
a readable one is posted in one transaction and its ``summary`` counts what it did (counts only,
no patient data). Claims move only through ``billing.lifecycle.transition`` with source ``file``
and a reference naming the file and the segment.

835 claim status (``_decision``): CLP02 4 -> denied; CLP02 22 (a reversal, which takes back an
earlier payment) posts its rows but moves no claim (the corrected CLP that normally follows
decides); otherwise a denial CARC (``DENIAL_REASONS``, in group CO, PI or OA) with nothing paid
-> denied, with something paid -> partially paid; no denial CARC -> paid (contractual and
patient-responsibility adjustments only). An 835 for a claim still ``submitted`` (its 277CA not
read yet) first records its acceptance.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.lifecycle import TransitionBatch, can_move
from billing.models import Claim, ClaimLine, ClaimStatusChange, PayerBillingSettings
from billing.remittance.models import ClaimPayment, PaymentAdjustment, Remittance, ServiceLinePayment, X12File
from billing.submission.models import ClaimFile, ClaimFileEntry
from billing.x12.ack999 import read_999
from billing.x12.messages import ClaimStatusReport, ImplementationAcknowledgment, RemittanceAdvice
from billing.x12.reader import X12SyntaxError, tokenize
from billing.x12.remit835 import read_835
from billing.x12.status277 import read_277
from pracops.audit.models import AuditEvent
from pracops.audit.services import record_access
from pracops.bulk import insert_rows, reserve_pks

MAX_FILE_BYTES = 20 * 1024 * 1024
S = Claim.Status
FILE = ClaimStatusChange.Source.FILE
Kind = X12File.Kind
# CARCs that deny (all or part of) a claim or line when the group is CO, PI or OA; the others a
# sandbox or payer sends with money (45, 253, 2, 3 ...) are contractual or patient responsibility.
DENIAL_REASONS = frozenset({
    "4", "5", "6", "11", "16", "18", "22", "26", "27", "29", "31", "39", "50", "51", "55", "56", "96", "97",
    "109", "119", "146", "149", "150", "151", "167", "170", "171", "177", "181", "182", "183", "185", "197",
    "198", "204", "208", "234", "236", "B7", "B9", "B15"})
_CHUNK = 2000


class X12FileError(ValueError):
    """A file refused before it is stored (too large, not X12): said in plain words."""


# --- receiving -------------------------------------------------------------------------------


def receive_x12_file(*, text: str | bytes, name: str, source: str, user=None, agent: str = "") -> tuple[X12File, bool]:
    """Store a file as received; the same bytes again return the stored file and ``False``.
    Raises :class:`X12FileError` (nothing stored) for a file too large, not UTF-8, or not X12."""
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    if len(data) > MAX_FILE_BYTES:
        raise X12FileError(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    if not data:
        raise X12FileError("the file is empty")
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError:
        raise X12FileError("the file is not text (not UTF-8)") from None
    if not decoded.lstrip("\ufeff\r\n\t ").startswith("ISA"):
        raise X12FileError("the file is not an X12 interchange (it does not begin with ISA)")
    digest = hashlib.sha256(data).hexdigest()
    found = X12File.objects.filter(sha256=digest).first()
    if found is not None:
        return found, False
    signed = user is not None and getattr(user, "is_authenticated", False)
    isa = decoded.lstrip("\ufeff\r\n\t ")[:106]
    element = isa[3:4]
    fields = isa.split(element) if element else []
    try:
        with transaction.atomic():
            stored = X12File.objects.create(
                sha256=digest, name=name[:255], source=source[:64], text=decoded,
                interchange_control_number=fields[13][:9] if len(fields) > 13 else "",
                sender_id=fields[6].strip()[:15] if len(fields) > 6 else "",
                received_by=user if signed else None,
                agent=(user.get_username() if signed else agent or "system:remittance")[:150])
    except IntegrityError:
        # Another receiver stored the same bytes first: one file.
        return X12File.objects.get(sha256=digest), False
    return stored, True


# --- reading ---------------------------------------------------------------------------------


def _kind(text: str) -> str:
    """999, 277CA, 277 or 835 from the first GS (GS01 and GS08); X12SyntaxError otherwise."""
    for segment in tokenize(text):
        if segment.id == "GS":
            functional_id, guide = segment[1], segment[8]
            if functional_id == "FA":
                return Kind.ACK_999
            if functional_id == "HP":
                return Kind.REMITTANCE_835
            if functional_id == "HN" and "X214" in guide:
                return Kind.CLAIM_ACK_277CA
            if functional_id == "HN" and "X212" in guide:
                return Kind.STATUS_277
            raise segment.fault("GS01/GS08 name a file PracOps does not read (999, 277CA, 277 or 835)")
        if segment.id not in ("ISA",):
            raise segment.fault("no GS after the ISA")
    raise X12SyntaxError("the file ends before any GS (truncated)", "ISA", 1)


_READERS = {Kind.ACK_999: read_999, Kind.CLAIM_ACK_277CA: read_277, Kind.STATUS_277: read_277,
            Kind.REMITTANCE_835: read_835}


def read_x12_file(*, file_id: int, user=None, agent: str = "") -> X12File:
    """Read and post one received file, once (a file not ``received`` is returned unchanged).
    Malformed: ``rejected`` with ``error`` naming the segment and position, nothing posted."""
    agent = agent or "system:remittance"
    with transaction.atomic():
        stored = X12File.objects.select_for_update().filter(pk=file_id).first()
        if stored is None:
            raise X12FileError("no such file")
        if stored.status != X12File.Status.RECEIVED:
            return stored
        stored.read_at = timezone.now()
        try:
            stored.kind = _kind(stored.text)
            parsed = _READERS[stored.kind](stored.text)
        except X12SyntaxError as error:
            stored.status, stored.error = X12File.Status.REJECTED, str(error)[:500]
            stored.summary = {"kind": stored.kind, "rejected": True}
            stored.save(update_fields=["kind", "status", "error", "summary", "read_at"])
            return stored
        posting = _Posting(stored, user=user, agent=agent)
        _POSTERS[stored.kind](posting, parsed)
        stored.status, stored.error = X12File.Status.POSTED, ""
        stored.summary = posting.summary()
        stored.save(update_fields=["kind", "status", "error", "summary", "read_at"])
        posting.flush()
    return stored


class _Posting:
    """What reading one file does: its claims locked, moved and counted."""

    def __init__(self, stored: X12File, *, user, agent: str, source: str = FILE) -> None:
        self.file, self.user, self.agent, self.source = stored, user, agent, source
        self.batch = TransitionBatch(user=user, agent=agent, source=source)
        self.counts: Counter[str] = Counter()
        self.patients: set[str] = set()

    def claims(self, control_numbers: Iterable[str]) -> dict[str, Claim]:
        """The claims named, locked, by patient control number."""
        wanted = sorted({c for c in control_numbers if c})
        found: dict[str, Claim] = {}
        for start in range(0, len(wanted), _CHUNK):
            # The patient only for its FHIR id (audit): not its resource JSON, parsed 10,000 times.
            query = (Claim.objects.select_for_update(of=("self",)).select_related("patient").defer("patient__resource")
                     .filter(patient_control_number__in=wanted[start:start + _CHUNK]).order_by("pk"))
            found.update((c.patient_control_number, c) for c in query)
        return found

    def move(self, claim: Claim, to: str, *, reference: str, reason: str = "", **fields) -> bool:
        if not can_move(claim, to):
            self.counts["claims_left_alone"] += 1
            return False
        self.batch.move(claim, to, source_reference=f"{self.file.kind} file {self.file.pk} {reference}", reason=reason,
                        **fields)
        self.counts[f"claims_{to}"] += 1
        self.patients.add(claim.patient.fhir_id)
        return True

    def summary(self) -> dict:
        return {"kind": str(self.file.kind), **dict(sorted(self.counts.items()))}

    def flush(self) -> None:
        """Write the moves (history rows and claims, in bulk) and the audit event."""
        self.batch.flush()
        self.audit()

    def audit(self) -> None:
        signed = self.user is not None and getattr(self.user, "is_authenticated", False)
        record_access(user=self.user if signed else None,
                      source=AuditEvent.Source.TASK if not signed else AuditEvent.Source.REST_API,
                      action=AuditEvent.Action.UPDATE, subtype="post", resource_type="X12File",
                      resource_id=str(self.file.public_id), patients=sorted(self.patients),
                      system="" if signed else self.agent.removeprefix("system:"))


@cache
def status_codes() -> dict:
    return json.loads((Path(__file__).with_name("status_codes.json")).read_text())


def describe_status(category: str, code: str) -> str:
    table = status_codes()
    meaning = table["categories"].get(category, "unlisted category")
    detail = table["statuses"].get(code, "unlisted status")
    return f"{category}:{code} {meaning}; {detail}"


# --- 999 --------------------------------------------------------------------------------------


def _post_999(posting: _Posting, acknowledgments: list[ImplementationAcknowledgment]) -> None:
    file_status = {"A": ClaimFile.Status.ACCEPTED, "E": ClaimFile.Status.ACCEPTED,
                   "P": ClaimFile.Status.PARTIALLY_ACCEPTED, "R": ClaimFile.Status.REJECTED}
    for ack in acknowledgments:
        number = ack.group_control_number.strip()
        candidates = {number, number.zfill(9), number.lstrip("0") or "0"}
        sent = (ClaimFile.objects.select_for_update().filter(interchange_control_number__in=candidates)
                .order_by("pk").first())
        if sent is None:
            posting.counts["unknown_claim_files"] += 1
            continue
        posting.counts["claim_files_acknowledged"] += 1
        if sent.acknowledged_at is None and ack.status in file_status:
            sent.status, sent.acknowledged_at = file_status[ack.status], timezone.now()
            sent.save(update_fields=["status", "acknowledged_at"])
        entries = list(ClaimFileEntry.objects.filter(file=sent).values_list("set_control_number", "claim_id"))
        by_set: dict[str, list[int]] = {}
        for set_control, claim_id in entries:
            by_set.setdefault(set_control.lstrip("0"), []).append(claim_id)
        if ack.status == "R" and not ack.transactions:
            # The group refused as a whole (AK905-AK909) names no transaction set: all of it is rejected.
            posting.counts["groups_rejected"] += 1
            reason = "999 rejected the whole functional group: " + "; ".join(
                [f"AK9 code {c}" for c in ack.syntax_codes] or ["no reason given"])
            claims = (Claim.objects.select_for_update(of=("self",)).select_related("patient")
                      .filter(pk__in=[claim_id for _, claim_id in entries]).order_by("pk"))
            for claim in claims:
                posting.move(claim, S.REJECTED, reference=f"AK1 {number}", reason=reason)
            continue
        for tx in ack.transactions:
            if tx.status != "R":
                posting.counts["sets_accepted"] += 1
                continue
            posting.counts["sets_rejected"] += 1
            claim_ids = by_set.get(tx.set_control_number.lstrip("0"), [])
            claims = (Claim.objects.select_for_update(of=("self",)).select_related("patient")
                      .filter(pk__in=claim_ids).order_by("pk"))
            faults = [f"IK3 {e.segment_id} at {e.position} code {e.code}" for e in tx.errors]
            reason = "999 rejected the transaction set: " + "; ".join(
                faults + [f"IK5 code {c}" for c in tx.syntax_codes] or ["no reason given"])
            for claim in claims:
                posting.move(claim, S.REJECTED, reference=f"AK2 {tx.set_control_number}", reason=reason)


# --- 277CA / 277 ------------------------------------------------------------------------------


def _post_277(posting: _Posting, reports: list[ClaimStatusReport]) -> None:
    acknowledgment = posting.file.kind == Kind.CLAIM_ACK_277CA
    statuses = [status for report in reports for status in report.claims]
    claims = posting.claims(s.claim_id for s in statuses)
    for number, status in enumerate(statuses, 1):
        for code in status.statuses:
            posting.counts[f"category_{code.category}"] += 1
        claim = claims.get(status.claim_id)
        if claim is None:
            posting.counts["unknown_claims"] += 1
            continue
        reference = f"2200D {number} STC"
        reason = "; ".join(describe_status(s.category, s.code) for s in status.statuses)
        categories = {s.category for s in status.statuses}
        if acknowledgment or categories & {"A3", "A6", "A7", "A8", "A1", "A2"}:
            if status.rejected:
                posting.move(claim, S.REJECTED, reference=reference, reason=reason)
            elif status.accepted:
                fields = {"payer_claim_number": status.payer_claim_number} if status.payer_claim_number else {}
                posting.move(claim, S.ACCEPTED, reference=reference, reason=reason, **fields)
            continue
        if "F1" in categories:
            posting.move(claim, S.PAID, reference=reference, reason=reason)
        elif "F2" in categories:
            posting.move(claim, S.DENIED, reference=reference, reason=reason)
        else:
            posting.counts["statuses_recorded_in_summary"] += 1


# --- 835 --------------------------------------------------------------------------------------


def is_denial(group: str, reason: str) -> bool:
    """Whether an adjustment (group code, CARC) denies what it adjusts."""
    return group in ("CO", "PI", "OA") and reason in DENIAL_REASONS


def _decision(status_code: str, paid: Decimal, adjustments: Iterable[tuple[str, str]]) -> str | None:
    """The claim status an 835 CLP decides (None: a reversal, which moves no claim)."""
    if status_code == "22":
        return None
    if status_code == "4":
        return S.DENIED
    if not any(is_denial(group, reason) for group, reason in adjustments):
        return S.PAID
    return S.PARTIALLY_PAID if paid > 0 else S.DENIED


def _post_835(posting: _Posting, advices: list[RemittanceAdvice]) -> None:
    """Every CLP of the file as a ClaimPayment (in suspense when no claim matches), its SVCs as
    ServiceLinePayments matched to lines, its CASs as PaymentAdjustments, then the claims moved.
    A file's rows are written table by table (``pracops.bulk``: keys reserved in one query, one
    COPY a table on PostgreSQL), not built as models: 10,000 claim payments are ~70,000 rows."""
    now = timezone.now()
    claims = posting.claims(p.claim_id for advice in advices for p in advice.claims)
    lines_by_control: dict[str, ClaimLine] = {}
    lines_by_claim: dict[int, list[ClaimLine]] = {}
    claim_ids = [c.pk for c in claims.values()]
    for start in range(0, len(claim_ids), _CHUNK):
        for line in (ClaimLine.objects.filter(claim_id__in=claim_ids[start:start + _CHUNK])
                     .only("pk", "claim_id", "number", "procedure_code", "control_number").order_by("claim_id", "number")):
            lines_by_control[line.control_number] = line
            lines_by_claim.setdefault(line.claim_id, []).append(line)
    payer_ids = {a.payer_id for a in advices if a.payer_id}
    payers = dict(PayerBillingSettings.objects.filter(payer_id__in=payer_ids).values_list("payer_id", "organization_id"))

    payments = [payment for advice in advices for payment in advice.claims]
    services = [service for payment in payments for service in payment.services]
    keys = reserve_pks({ClaimPayment: len(payments), ServiceLinePayment: len(services),
                        PaymentAdjustment: sum(len(p.adjustments) for p in payments)
                        + sum(len(s.adjustments) for s in services)})
    rows: list[dict] = []
    paid_claims: list[tuple[Claim | None, int, str]] = []  # claim, position, set control number
    for advice in advices:
        remittance = Remittance.objects.create(
            file=posting.file, set_control_number=advice.set_control_number, payer_id=payers.get(advice.payer_id),
            payer_name=advice.payer_name[:60], payer_identifier=advice.payer_id[:80], payee_npi=advice.payee_npi[:10],
            trace_number=advice.trace_number[:50], payment_method=advice.payment_method[:3],
            payment_date=advice.payment_date, total_paid=advice.total_paid,
            provider_adjustments=[{"provider": p.provider_id, "reason": p.reason, "reference": p.reference,
                                   "amount": str(p.amount),
                                   "fiscal_period_end": p.fiscal_period_end.isoformat() if p.fiscal_period_end else None}
                                  for p in advice.provider_adjustments])
        posting.counts["remittances"] += 1
        for position, payment in enumerate(advice.claims, 1):
            claim = claims.get(payment.claim_id)
            rows.append(dict(
                remittance_id=remittance.pk, position=position, claim_id=claim.pk if claim else None,
                patient_control_number=payment.claim_id[:38], status_code=payment.status_code[:2],
                charge=payment.charge, paid=payment.paid, patient_responsibility=payment.patient_responsibility,
                filing_indicator=payment.filing_indicator[:2], payer_claim_number=payment.payer_claim_number[:50],
                remarks=list(payment.remarks), posted_at=now if claim else None,
                suspense=ClaimPayment.Suspense.NONE if claim else ClaimPayment.Suspense.OPEN))
            paid_claims.append((claim, position, advice.set_control_number))
    payment_pks = insert_rows(ClaimPayment, rows, pks=keys.get(ClaimPayment) if keys is not None else None)

    rows, adjustments = [], []
    for payment_pk, payment, (claim, _, _) in zip(payment_pks, payments, paid_claims, strict=True):
        posting.counts["claim_payments"] += 1
        if claim is None:
            posting.counts["suspense_items"] += 1
        adjustments.extend(dict(claim_payment_id=payment_pk, group=a.group[:2], reason=a.reason[:5], amount=a.amount,
                                quantity=a.quantity) for a in payment.adjustments)
        unmatched = list(lines_by_claim.get(claim.pk, [])) if claim else []
        for position, service in enumerate(payment.services, 1):
            line = _match_line(claim, service, unmatched, lines_by_control)
            rows.append(dict(
                claim_payment_id=payment_pk, position=position, line_id=line.pk if line else None,
                procedure_code=service.procedure_code[:48], modifiers=list(service.modifiers), charge=service.charge,
                paid=service.paid, units=service.units, service_date=service.service_date,
                line_control_number=service.line_control_number[:50], remarks=list(service.remarks)))
    service_pks = insert_rows(ServiceLinePayment, rows,
                              pks=keys.get(ServiceLinePayment) if keys is not None else None)
    for service_pk, row, service in zip(service_pks, rows, services, strict=True):
        adjustments.extend(dict(claim_payment_id=row["claim_payment_id"], service_line_id=service_pk, group=a.group[:2],
                                reason=a.reason[:5], amount=a.amount, quantity=a.quantity) for a in service.adjustments)
    insert_rows(PaymentAdjustment, adjustments, pks=keys.get(PaymentAdjustment) if keys is not None else None)

    for (claim, position, set_control_number), payment in zip(paid_claims, payments, strict=True):
        if claim is not None:
            _move_paid_claim(posting, claim, payment, f"ST {set_control_number} CLP {position}")


def _match_line(claim: Claim | None, service, unmatched: list[ClaimLine],
                by_control: dict[str, ClaimLine]) -> ClaimLine | None:
    """The claim line an SVC pays: by REF*6R, else the first unmatched line with its code."""
    if claim is None:
        return None
    line = by_control.get(service.line_control_number) if service.line_control_number else None
    if line is None or line.claim_id != claim.pk:
        line = next((candidate for candidate in unmatched if candidate.procedure_code == service.procedure_code), None)
    if line is not None and line in unmatched:
        unmatched.remove(line)
    return line


def _move_paid_claim(posting: _Posting, claim: Claim, payment, reference: str) -> None:
    adjustments = [(a.group, a.reason) for a in payment.adjustments] + \
        [(a.group, a.reason) for s in payment.services for a in s.adjustments]
    _move_by_decision(posting, claim, status_code=payment.status_code, paid=payment.paid,
                      payer_claim_number=payment.payer_claim_number, adjustments=adjustments, reference=reference)


def _move_by_decision(posting: _Posting, claim: Claim, *, status_code: str, paid: Decimal, payer_claim_number: str,
                      adjustments: list[tuple[str, str]], reference: str) -> None:
    to = _decision(status_code, paid, adjustments)
    if to is None:
        posting.counts["reversals"] += 1
        return
    fields = {"payer_claim_number": payer_claim_number[:50]} \
        if payer_claim_number and not claim.payer_claim_number else {}
    if claim.status == S.SUBMITTED:
        posting.move(claim, S.ACCEPTED, reference=reference, reason="835 remittance received: accepted by the payer",
                     **fields)
        fields = {}
    codes = sorted({f"{group}-{reason}" for group, reason in adjustments})
    reason = f"835 CLP02 {status_code}" + (f"; adjustments {', '.join(codes)}" if codes else "")
    posting.move(claim, to, reference=reference, reason=reason, **fields)


# --- suspense ---------------------------------------------------------------------------------


class SuspenseError(ValueError):
    """A suspense action that cannot be done, in plain words (no patient data)."""


def _lock_suspense_item(claim_payment_id: int) -> ClaimPayment:
    item = (ClaimPayment.objects.select_for_update(of=("self",)).select_related("remittance__file")
            .filter(pk=claim_payment_id).first())
    if item is None:
        raise SuspenseError("no such claim payment")
    return item


def match_suspended_payment(*, claim_payment_id: int, claim_id: int, user, note: str = "",
                            agent: str = "") -> ClaimPayment:
    """Post a payment in suspense to the claim staff found for it: its lines matched, the claim
    moved as the 835 decides (source user, the file and CLP named). Matching it again to the same
    claim changes nothing; a payment matched elsewhere or dismissed is refused."""
    with transaction.atomic():
        item = _lock_suspense_item(claim_payment_id)
        if item.suspense == ClaimPayment.Suspense.MATCHED and item.claim_id == claim_id:
            return item
        if item.suspense != ClaimPayment.Suspense.OPEN:
            raise SuspenseError(f"this payment is not in suspense ({item.get_suspense_display().lower()})")
        claim = (Claim.objects.select_for_update(of=("self",)).select_related("patient")
                 .filter(pk=claim_id).first())
        if claim is None:
            raise SuspenseError("no such claim")
        now = timezone.now()
        item.claim, item.suspense, item.posted_at = claim, ClaimPayment.Suspense.MATCHED, now
        item.resolved_at, item.resolved_by, item.resolution_note = now, _signed(user), note[:500]
        item.save(update_fields=["claim", "suspense", "posted_at", "resolved_at", "resolved_by", "resolution_note"])
        lines = list(claim.lines.order_by("number"))
        by_control = {line.control_number: line for line in lines}
        for service in item.service_lines.order_by("position"):
            line = _match_line(claim, service, lines, by_control)
            if line is not None:
                service.line = line
                service.save(update_fields=["line"])
        posting = _Posting(item.remittance.file, user=user, agent=agent or "system:remittance", source="")
        _move_by_decision(posting, claim, status_code=item.status_code, paid=item.paid,
                          payer_claim_number=item.payer_claim_number,
                          adjustments=list(item.adjustments.values_list("group", "reason")),
                          reference=f"ST {item.remittance.set_control_number} CLP {item.position} matched from suspense")
        posting.batch.flush()
        _audit_claim(claim, user=user, agent=agent)
    return item


def dismiss_suspended_payment(*, claim_payment_id: int, user, note: str = "", agent: str = "") -> ClaimPayment:
    """Close a payment in suspense that belongs to no claim of this practice (dismissing it again
    changes nothing; a matched one is refused)."""
    with transaction.atomic():
        item = _lock_suspense_item(claim_payment_id)
        if item.suspense == ClaimPayment.Suspense.DISMISSED:
            return item
        if item.suspense != ClaimPayment.Suspense.OPEN:
            raise SuspenseError(f"this payment is not in suspense ({item.get_suspense_display().lower()})")
        item.suspense, item.resolved_at = ClaimPayment.Suspense.DISMISSED, timezone.now()
        item.resolved_by, item.resolution_note = _signed(user), note[:500]
        item.save(update_fields=["suspense", "resolved_at", "resolved_by", "resolution_note"])
    return item


def _signed(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _audit_claim(claim: Claim, *, user, agent: str) -> None:
    signed = _signed(user)
    record_access(user=signed, source=AuditEvent.Source.TASK if signed is None else AuditEvent.Source.ADMIN,
                  action=AuditEvent.Action.UPDATE, subtype="post", resource_type=Claim.resource_type,
                  resource_id=str(claim.public_id), patient_id=claim.patient.fhir_id,
                  system="" if signed else (agent or "system:remittance").removeprefix("system:"))


_POSTERS = {Kind.ACK_999: _post_999, Kind.CLAIM_ACK_277CA: _post_277, Kind.STATUS_277: _post_277,
            Kind.REMITTANCE_835: _post_835}
