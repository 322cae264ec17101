"""The 277CA claim acknowledgment (005010X214) and the 277 claim status response (005010X212),
read into :class:`ClaimStatusReport`; the 277CA is also written (the sandbox clearinghouse's
answer to an 837).

Both are hierarchies of HL levels: information source (20), information receiver (21), billing
provider (19), then the claim's level: subscriber (22) or dependent (23) in the 277, patient (PT)
in the 277CA. A claim status loop begins with TRN at that level; the statuses the receiver and
provider levels carry (counts and totals of the whole file) are not claims and are not read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing.x12.envelope import Envelope, Transaction, write_interchange
from billing.x12.messages import ClaimStatus, ClaimStatusReport, LineStatus, StatusCode
from billing.x12.reader import Segment, TransactionSet, read_sets

CLAIM_ACKNOWLEDGMENT = "005010X214"  # 277CA
CLAIM_STATUS_RESPONSE = "005010X212"  # 277
_CLAIM_LEVELS = ("22", "23", "PT")
_LEVELS = ("20", "21", "19", *_CLAIM_LEVELS)
_REJECTED = ("A3", "A6", "A7", "A8")


def read_277(text: str | bytes) -> list[ClaimStatusReport]:
    """Every report of a 277CA or 277 interchange, one a transaction set, with the claims it
    names; :class:`~billing.x12.reader.X12SyntaxError` for a malformed file."""
    found = []
    for transaction in read_sets(text):
        if transaction.code != "277":
            raise transaction.segments[0].fault("ST01 is not 277")
        found.append(_read_set(transaction))
    return found


def _read_set(transaction: TransactionSet) -> ClaimStatusReport:
    claims: list[ClaimStatus] = []
    level = ""
    seen_levels: set[str] = set()
    name = member_id = ""
    claim: _Claim | None = None
    line: _Line | None = None
    for segment in transaction.segments[1:-1]:
        sid = segment.elements[0]
        if sid == "HL":
            if claim is not None:
                claims.append(claim.done(line))
                claim = line = None
            number, parent, level = segment.required(1), segment[2], segment.required(3)
            if level not in _LEVELS:
                raise segment.fault("HL03 is not a level of a 277")
            if parent and parent not in seen_levels:
                raise segment.fault("HL02 names no earlier HL01")
            seen_levels.add(number)
            name = member_id = ""
        elif level not in _CLAIM_LEVELS:
            continue  # source, receiver and provider levels: no claims there
        elif sid == "NM1" and claim is None and segment[1] in ("QC", "IL"):
            last, given = segment[3], " ".join(part for part in (segment[4], segment[5]) if part)
            name, member_id = (f"{last}, {given}" if given else last), segment[9]
        elif sid == "TRN":
            if claim is not None:
                claims.append(claim.done(line))
                line = None
            claim = _Claim(segment.required(2), name, member_id)
        elif claim is None:
            raise segment.fault("a claim status segment before the claim's TRN")
        elif sid == "SVC":
            if line is not None:
                claim.lines.append(line.done())
            line = _Line(segment)
        elif line is not None:
            line.other(segment)
        else:
            claim.other(segment)
    if claim is not None:
        claims.append(claim.done(line))
    return ClaimStatusReport(interchange=transaction.interchange, guide=transaction.guide, claims=tuple(claims))


def _statuses(stc: Segment) -> list[StatusCode]:
    """STC01, STC10 and STC11: category, status code and entity code each."""
    found = []
    for index in (1, 10, 11):
        if not stc[index]:
            if index == 1:
                raise stc.fault("STC01 is required")
            continue
        parts = stc.components(index)
        if not parts[0]:
            raise stc.fault(f"STC{index:02d}-1 status category is required")
        found.append(StatusCode(category=parts[0], code=parts[1] if len(parts) > 1 else "",
                                entity=parts[2] if len(parts) > 2 else ""))
    return found


def _service_dates(dtp: Segment) -> tuple[date, date]:
    qualifier, value = dtp[2], dtp.required(3)
    if qualifier == "RD8":
        start, separator, end = value.partition("-")
        if not separator:
            raise dtp.fault("DTP03 is not a date range (RD8)")
        period = (dtp.date_within(3, start), dtp.date_within(3, end))
        if period[1] < period[0]:
            raise dtp.fault("DTP03 ends before it starts")
        return period
    if qualifier != "D8":
        raise dtp.fault("DTP02 is neither D8 nor RD8")
    day = dtp.required_date(3)
    return day, day


class _Claim:
    __slots__ = ("claim_id", "patient_name", "member_id", "statuses", "status_date", "charge",
                 "payer_claim_number", "message", "period", "lines")

    def __init__(self, claim_id: str, patient_name: str, member_id: str) -> None:
        self.claim_id, self.patient_name, self.member_id = claim_id, patient_name, member_id
        self.statuses: list[StatusCode] = []
        self.status_date: date | None = None
        self.charge: Decimal | None = None
        self.payer_claim_number = self.message = ""
        self.period: tuple[date | None, date | None] = (None, None)
        self.lines: list[LineStatus] = []

    def other(self, segment: Segment) -> None:
        sid = segment.elements[0]
        if sid == "STC":
            first = not self.statuses
            self.statuses += _statuses(segment)
            if first:
                self.status_date = segment.optional_date(2)
                self.charge = segment.optional_amount(4)
            self.message = self.message or segment[12]
        elif sid == "REF" and segment[1] == "1K":
            self.payer_claim_number = segment[2]
        elif sid == "DTP" and segment[1] == "472":
            self.period = _service_dates(segment)

    def done(self, line: _Line | None) -> ClaimStatus:
        if line is not None:
            self.lines.append(line.done())
        return ClaimStatus(
            claim_id=self.claim_id, statuses=tuple(self.statuses), status_date=self.status_date, charge=self.charge,
            payer_claim_number=self.payer_claim_number, message=self.message, service_date_from=self.period[0],
            service_date_to=self.period[1], lines=tuple(self.lines), patient_name=self.patient_name,
            member_id=self.member_id)


class _Line:
    __slots__ = ("svc", "statuses", "line_control_number")

    def __init__(self, svc: Segment) -> None:
        self.svc = svc
        self.statuses: list[StatusCode] = []
        self.line_control_number = ""

    def other(self, segment: Segment) -> None:
        sid = segment.elements[0]
        if sid == "STC":
            self.statuses += _statuses(segment)
        elif sid == "REF" and segment[1] == "FJ":
            self.line_control_number = segment[2]

    def done(self) -> LineStatus:
        procedure = self.svc.components(1)
        return LineStatus(line_control_number=self.line_control_number,
                          procedure_code=procedure[1] if len(procedure) > 1 else "",
                          statuses=tuple(self.statuses), charge=self.svc.optional_amount(2))


# --- writing the 277CA --------------------------------------------------------------------


@dataclass(frozen=True)
class AcknowledgmentParties:
    """Who the 277CA's upper levels name: the clearinghouse or payer answering (2100A), the
    submitter it answers (2100B, its ETIN) and the billing provider (2100C), and the dates the
    batch was received and processed (2200A DTP*050 and DTP*009)."""

    source_name: str
    source_id: str  # NM109 with PI (payer id)
    receiver_name: str
    receiver_id: str  # NM109 with 46 (ETIN)
    provider_name: str
    provider_npi: str
    received: date
    processed: date
    batch_reference: str = "1"  # BHT03 and the 2200A TRN02


def write_277ca(reports: Sequence[ClaimStatusReport], envelope: Envelope, parties: AcknowledgmentParties, *,
                first_set_control: int = 1) -> str:
    """One interchange (GS01 HN) with a 277CA transaction set for each report, its claims under
    one billing provider. The receiver and provider levels count and total the claims accepted
    (no A3/A6/A7/A8 status) and rejected. Each claim needs a status date, a charge and a first
    service date (the TR3 requires them); reading the text back gives the same claims."""
    if envelope.functional_id != "HN":
        raise ValueError("this functional group's GS01 is HN")
    transactions = [Transaction("277", CLAIM_ACKNOWLEDGMENT, _segments(report, parties)) for report in reports]
    return write_interchange(envelope, transactions, first_set_control=first_set_control)


def _segments(report: ClaimStatusReport, parties: AcknowledgmentParties) -> list[list[object]]:
    processed = _date(parties.processed)
    accepted = [c for c in report.claims if not c.rejected]
    rejected = [c for c in report.claims if c.rejected]
    amounts: list[list[object]] = []
    if accepted:
        amounts.append(["AMT", "YU", _money(sum((c.charge or Decimal(0) for c in accepted), Decimal(0)))])
    if rejected:
        amounts.append(["AMT", "YY", _money(sum((c.charge or Decimal(0) for c in rejected), Decimal(0)))])
    total = _money(sum((c.charge or Decimal(0) for c in report.claims), Decimal(0)))
    out: list[list[object]] = [
        ["BHT", "0085", "08", parties.batch_reference, processed, "0000", "TH"],
        ["HL", "1", "", "20", "1"],
        ["NM1", "PR", "2", parties.source_name, "", "", "", "", "PI", parties.source_id],
        ["TRN", "1", parties.batch_reference],
        ["DTP", "050", "D8", _date(parties.received)],
        ["DTP", "009", "D8", processed],
        ["HL", "2", "1", "21", "1"],
        ["NM1", "41", "2", parties.receiver_name, "", "", "", "", "46", parties.receiver_id],
        ["TRN", "2", parties.batch_reference],
        ["STC", ("A1", "19", "PR"), processed, "WQ", total],
        *_counts(("90", "AA"), accepted, rejected), *amounts,
        ["HL", "3", "2", "19", "1" if report.claims else "0"],
        ["NM1", "85", "2", parties.provider_name, "", "", "", "", "XX", parties.provider_npi],
        ["TRN", "1", parties.batch_reference],
        ["STC", ("A1", "19", "PR"), "", "WQ", total],  # STC02 is not used at the provider level
        *_counts(("QA", "QC"), accepted, rejected), *amounts,
    ]
    for number, claim in enumerate(report.claims, start=4):
        if claim.status_date is None or claim.charge is None or claim.service_date_from is None:
            raise ValueError("a 277CA claim needs its status date, charge and service date")
        if not claim.statuses or len(claim.statuses) > 3:
            raise ValueError("a 277CA claim carries one to three statuses (STC01, STC10, STC11)")
        last, _, given = claim.patient_name.partition(", ")
        out += [["HL", number, "3", "PT"],
                ["NM1", "QC", "1", last, given, "", "", "", "MI", claim.member_id],
                ["TRN", "2", claim.claim_id],
                _stc(claim.statuses, claim.status_date, claim.charge, claim.message)]
        if claim.payer_claim_number:
            out.append(["REF", "1K", claim.payer_claim_number])
        out.append(_service_dates_segment(claim.service_date_from, claim.service_date_to))
        for line in claim.lines:
            if not line.statuses or len(line.statuses) > 3 or line.charge is None:
                raise ValueError("a 277CA line carries its charge and one to three statuses")
            out.append(["SVC", ("HC", line.procedure_code), _money(line.charge)])
            out.append(_stc(line.statuses, claim.status_date, None, "", action="U"))
            if line.line_control_number:
                out.append(["REF", "FJ", line.line_control_number])
    return out


def _counts(qualifiers: tuple[str, str], accepted: list[ClaimStatus],
            rejected: list[ClaimStatus]) -> list[list[object]]:
    """QTY segments counting the claims accepted and rejected (qualifiers differ by level)."""
    return [["QTY", qualifier, len(claims)] for qualifier, claims in zip(qualifiers, (accepted, rejected)) if claims]


def _stc(statuses: Sequence[StatusCode], on: date, charge: Decimal | None, message: str,
         action: str = "WQ") -> list[object]:
    composites = [(s.category, s.code, s.entity) for s in statuses]
    rejected = any(s.category in _REJECTED for s in statuses)
    stc: list[object] = ["STC", composites[0], _date(on), "U" if rejected else action, _money(charge)]
    if len(composites) > 1 or message:
        stc += [""] * 5 + [c for c in composites[1:]] + [""] * (3 - len(composites)) + [message]
    return stc


def _service_dates_segment(start: date, end: date | None) -> list[object]:
    if end is None or end == start:
        return ["DTP", "472", "D8", _date(start)]
    return ["DTP", "472", "RD8", f"{_date(start)}-{_date(end)}"]


def _money(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def _date(value: date) -> str:
    return value.strftime("%Y%m%d")
