"""What the clearinghouse reads from an 837P file: its interchange header and its claims, as
plain data (pure: text in, objects out; no ORM, no HTTP).

Segments come from pyx12's tokenizer (``pyx12.x12file.X12Reader``, which takes the delimiters from
the ISA); the loops are followed by hand, since the clearinghouse needs only a few values from each
claim: who bills, who is insured, which payer, the claim's control number and charge, and each
line's code, charge, units, date and line control number (REF*6R).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pyx12.errors
import pyx12.x12file

from billing.x12.messages import Interchange


class NotX12(ValueError):
    """The text is not an X12 interchange (no readable ISA); the message says why, without the text."""


@dataclass(frozen=True)
class ReceivedLine:
    """One 2400 loop."""

    number: int  # LX01
    procedure_code: str
    modifiers: tuple[str, ...]
    charge: Decimal
    units: Decimal
    service_date: date | None
    control_number: str = ""  # REF*6R
    prior_authorization: str = ""  # REF*G1 at the line


@dataclass(frozen=True)
class ReceivedClaim:
    """One 2300 loop with what it hangs from (2010AA billing provider, 2010BA subscriber, 2010BB payer)."""

    claim_id: str  # CLM01
    charge: Decimal  # CLM02
    billing_npi: str
    billing_name: str
    member_id: str
    patient_last_name: str
    patient_first_name: str
    payer_id: str
    payer_name: str
    filing_indicator: str  # SBR09
    lines: tuple[ReceivedLine, ...]
    rendering_npi: str = ""  # 2310B, when given
    prior_authorization: str = ""  # REF*G1 at the claim
    frequency: str = "1"  # CLM05-3
    transaction_control: str = ""  # ST02 of the set it came in

    @property
    def patient_name(self) -> str:
        return f"{self.patient_last_name}, {self.patient_first_name}".strip(", ")

    def authorization_for(self, line: ReceivedLine) -> str:
        """The prior authorization number that covers ``line``: its own REF*G1, else the claim's."""
        return line.prior_authorization or self.prior_authorization

    @property
    def service_date_from(self) -> date | None:
        return min((line.service_date for line in self.lines if line.service_date), default=None)

    @property
    def service_date_to(self) -> date | None:
        return max((line.service_date for line in self.lines if line.service_date), default=None)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (money and dates as strings), for storing; ``from_dict`` reads it back."""
        data = asdict(self)
        data["charge"] = str(self.charge)
        data["lines"] = [{**asdict(line), "charge": str(line.charge), "units": str(line.units),
                          "modifiers": list(line.modifiers),
                          "service_date": line.service_date.isoformat() if line.service_date else None}
                         for line in self.lines]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReceivedClaim:
        lines = tuple(ReceivedLine(**{
            **line, "charge": Decimal(line["charge"]), "units": Decimal(line["units"]),
            "modifiers": tuple(line["modifiers"]),
            "service_date": date.fromisoformat(line["service_date"]) if line["service_date"] else None,
        }) for line in data["lines"])
        return cls(**{**data, "charge": Decimal(data["charge"]), "lines": lines})


def _segments(text: str) -> Iterator[Any]:
    try:
        yield from pyx12.x12file.X12Reader(io.StringIO(text))
    except pyx12.errors.X12Error as exc:
        # pyx12's messages name positions and delimiters, never element values.
        raise NotX12(f"not an X12 interchange: {exc}") from None


def read_interchange(text: str) -> Interchange:
    """The ISA and GS of ``text``; raises ``NotX12`` when there is no ISA to read."""
    if not text.lstrip().startswith("ISA") or len(text.lstrip()) < 106:
        raise NotX12("not an X12 interchange: it must begin with a 106-character ISA segment")
    isa = gs = None
    try:
        for segment in _segments(text):
            if segment.get_seg_id() == "ISA":
                isa = segment
            elif segment.get_seg_id() == "GS":
                gs = segment
                break
    except (pyx12.errors.EngineError, IndexError, ValueError):
        pass  # the ISA was read; the validator reports the rest
    if isa is None:
        raise NotX12("not an X12 interchange: the ISA segment cannot be read")

    def value(segment: Any, position: str) -> str:
        if segment is None:
            return ""
        try:
            return (segment.get_value(position) or "").strip()
        except pyx12.errors.EngineError:
            return ""

    control = value(isa, "13")
    if len(control) != 9 or not control.isascii() or not control.isdigit():
        raise NotX12("not an X12 interchange: ISA13, the interchange control number, must be nine digits")
    if len(value(isa, "06")) > 15 or len(value(isa, "08")) > 15:
        raise NotX12("not an X12 interchange: ISA06 and ISA08 hold at most 15 characters")
    return Interchange(
        sender_id=value(isa, "06"), receiver_id=value(isa, "08"), control_number=control,
        group_control_number=value(gs, "06"), functional_id=value(gs, "01"), guide=value(gs, "08"),
        created=value(isa, "09") + value(isa, "10"), usage=value(isa, "15"),
    )


@dataclass
class _Claim:
    """A claim being read (mutable until its loop ends)."""

    context: dict[str, str]
    claim_id: str
    charge: Decimal
    frequency: str
    prior_authorization: str = ""
    rendering_npi: str = ""
    lines: list[dict[str, Any]] = field(default_factory=list)


def read_claims(text: str) -> list[ReceivedClaim]:
    """Every claim in an 837P interchange, in file order. Assumes the file passed validation;
    a value that cannot be read becomes empty (or zero) rather than an error."""
    claims: list[ReceivedClaim] = []
    context: dict[str, str] = {}  # billing provider, subscriber, patient, payer: what the claim inherits
    entity = ""  # the NM1 loop the next N3/N4/REF/PER belongs to
    current: _Claim | None = None
    line: dict[str, Any] | None = None
    st_control = ""

    def finish() -> None:
        nonlocal current, line
        if current is not None:
            claims.append(_build(current, st_control))
        current, line = None, None

    for segment in _segments(text):
        seg_id = segment.get_seg_id()
        get = _getter(segment)
        if seg_id == "ST":
            finish()
            st_control = get("02")
        elif seg_id == "HL":
            finish()
            level = get("03")
            if level == "20":
                context = {}
            elif level == "22":
                context = {k: v for k, v in context.items() if k.startswith("billing_")}
            elif level == "23":
                context = {k: v for k, v in context.items() if not k.startswith("patient_")}
        elif seg_id == "SBR":
            context["filing_indicator"] = get("09")
        elif seg_id == "NM1":
            entity = get("01")
            if current is None:
                if entity == "85":
                    context["billing_npi"] = get("09") if get("08") == "XX" else ""
                    context["billing_name"] = get("03")
                elif entity == "IL":
                    context["member_id"] = get("09")
                    context["patient_last"], context["patient_first"] = get("03"), get("04")
                elif entity == "QC":
                    context["patient_last"], context["patient_first"] = get("03"), get("04")
                elif entity == "PR":
                    context["payer_id"], context["payer_name"] = get("09"), get("03")
            elif entity == "82" and line is None and get("08") == "XX":
                current.rendering_npi = get("09")
        elif seg_id == "CLM":
            finish()
            current = _Claim(context=dict(context), claim_id=get("01"), charge=_money(get("02")),
                             frequency=get("05-3") or "1")
            entity = ""
        elif seg_id == "REF" and current is not None and entity in ("", "LX"):
            if get("01") == "G1":
                if line is None:
                    current.prior_authorization = get("02")
                else:
                    line["prior_authorization"] = get("02")
            elif get("01") == "6R" and line is not None:
                line["control_number"] = get("02")
        elif seg_id == "LX" and current is not None:
            line = {"number": int(get("01") or 0) if get("01").isdigit() else 0}
            current.lines.append(line)
            entity = "LX"
        elif seg_id == "SV1" and line is not None:
            line["procedure_code"] = get("01-2")
            line["modifiers"] = tuple(m for m in (get("01-3"), get("01-4"), get("01-5"), get("01-6")) if m)
            line["charge"] = _money(get("02"))
            line["units"] = _money(get("04"), default="1")
        elif seg_id == "DTP" and line is not None and get("01") == "472":
            line["service_date"] = _date(get("03"))
        elif seg_id in ("SE", "GE", "IEA"):
            finish()
    finish()
    return claims


def _getter(segment: Any):
    def get(position: str) -> str:
        try:
            return (segment.get_value(position) or "").strip()
        except (pyx12.errors.EngineError, IndexError, ValueError):
            return ""

    return get


def _build(claim: _Claim, st_control: str) -> ReceivedClaim:
    c = claim.context
    lines = tuple(ReceivedLine(
        number=line.get("number", n + 1) or n + 1, procedure_code=line.get("procedure_code", ""),
        modifiers=line.get("modifiers", ()), charge=line.get("charge", Decimal("0.00")),
        units=line.get("units", Decimal("1")), service_date=line.get("service_date"),
        control_number=line.get("control_number", ""), prior_authorization=line.get("prior_authorization", ""),
    ) for n, line in enumerate(claim.lines))
    return ReceivedClaim(
        claim_id=claim.claim_id, charge=claim.charge, billing_npi=c.get("billing_npi", ""),
        billing_name=c.get("billing_name", ""), member_id=c.get("member_id", ""),
        patient_last_name=c.get("patient_last", ""), patient_first_name=c.get("patient_first", ""),
        payer_id=c.get("payer_id", ""), payer_name=c.get("payer_name", ""),
        filing_indicator=c.get("filing_indicator", ""), lines=lines, rendering_npi=claim.rendering_npi,
        prior_authorization=claim.prior_authorization, frequency=claim.frequency, transaction_control=st_control,
    )


def _money(text: str, default: str = "0") -> Decimal:
    try:
        return Decimal(text or default).quantize(Decimal("0.01"))
    except InvalidOperation:
        return Decimal(default).quantize(Decimal("0.01"))


def _date(text: str) -> date | None:
    try:
        return datetime.strptime(text[:8], "%Y%m%d").date()
    except ValueError:
        return None
