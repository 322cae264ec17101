"""The 835 health care claim payment/advice (005010X221A1), read into :class:`RemittanceAdvice` and
written from it (the sandbox clearinghouse's remittances).

Balance: an 835 whose BPR02 is not the sum of its CLP04s less its PLB amounts is refused whole
with :class:`X12BalanceError` (at the BPR), like a malformed file: posting part of a payment that
does not add up would leave the deposit unreconciled. A PLB amount is what the payer takes back,
so a negative PLB amount (money owed to the provider) increases the payment (TR3 1.10.2.1.3).

Leniencies, each met in a payer's sample: an unreadable BPR16 reads as no payment date; an SVC01
written with ">" although ISA16 is another separator is split on ">"; an SVC01 without a
procedure code reads with an empty one. A line's date is its DTM*472, else its DTM*150.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing.x12.envelope import Envelope, Transaction, write_interchange
from billing.x12.messages import (Adjustment, ClaimPayment, Interchange, ProviderAdjustment, RemittanceAdvice,
                                  ServicePayment)
from billing.x12.reader import Segment, X12BalanceError, X12SyntaxError, sets_of

GUIDE = "005010X221A1"
ZERO = Decimal("0")


# --- reading ------------------------------------------------------------------------------


def read_835(text: str | bytes) -> list[RemittanceAdvice]:
    """Every remittance advice of an 835 interchange; :class:`X12SyntaxError` (or
    :class:`X12BalanceError`) for a file that is malformed or does not balance."""
    return [_read_set(t.interchange, t.control_number, t.segments) for t in sets_of(text, "835")]


def _read_set(interchange: Interchange, control_number: str, segments: list[Segment]) -> RemittanceAdvice:
    bpr = segments[1] if len(segments) > 2 else segments[-1]
    if bpr.id != "BPR":
        raise bpr.fault("an 835 begins with BPR")
    total_paid = bpr.amount(2)
    payment_method = bpr[4]
    try:
        payment_date = bpr.optional_date(16)
    except X12SyntaxError:
        # A payer's own sample carries BPR16 20002316. The deposit is matched by trace number and
        # amount, not by this date, so an unreadable one reads as unknown rather than losing the file.
        payment_date = None
    trace_number = trn03 = payer_name = payer_id = payee_name = payee_npi = ""
    party = ""  # the N1 loop we are in: PR, PE, or "" once the detail begins
    claims: list[ClaimPayment] = []
    provider_adjustments: list[ProviderAdjustment] = []
    claim: _Claim | None = None
    service: _Service | None = None
    for segment in segments[2:-1]:
        sid = segment.elements[0]
        if sid == "CLP":
            if claim is not None:
                claims.append(claim.done(service))
            claim, service, party = _Claim(segment), None, ""
        elif sid == "SVC":
            if claim is None:
                raise segment.fault("SVC before any CLP")
            if service is not None:
                claim.services.append(service.done())
            service = _Service(segment)
        elif sid == "CAS":
            target = service if service is not None else claim
            if target is None:
                raise segment.fault("CAS before any CLP")
            target.adjustments.extend(_adjustments(segment))
        elif sid == "PLB":
            if claim is not None:
                claims.append(claim.done(service))
                claim = service = None
            provider_adjustments.extend(_provider_adjustments(segment))
        elif claim is not None:
            (service or claim).other(segment)
        elif sid == "TRN":
            trace_number, trn03 = segment.required(2), segment[3]
        elif sid == "N1":
            party = segment[1]
            if party == "PR":
                payer_name = segment[2]
            elif party == "PE":
                payee_name = segment[2]
                if segment[3] == "XX":
                    payee_npi = segment[4]
        elif sid == "REF" and party == "PR" and segment[1] == "2U":
            payer_id = segment[2]
        elif sid == "LX":
            party = ""
    if claim is not None:
        claims.append(claim.done(service))
    advice = RemittanceAdvice(
        interchange=interchange, set_control_number=control_number, payer_name=payer_name,
        payer_id=payer_id or trn03, payee_name=payee_name, payee_npi=payee_npi, trace_number=trace_number,
        payment_method=payment_method, total_paid=total_paid, payment_date=payment_date,
        claims=tuple(claims), provider_adjustments=tuple(provider_adjustments))
    expected = sum((c.paid for c in claims), ZERO) - sum((p.amount for p in provider_adjustments), ZERO)
    if expected != total_paid:
        raise X12BalanceError("BPR02 is not the sum of CLP04 less the PLB adjustments", "BPR", bpr.position)
    return advice


class _Claim:
    __slots__ = ("clp", "adjustments", "services", "remarks", "patient_name")

    def __init__(self, clp: Segment) -> None:
        clp.required(1)
        self.clp = clp
        self.adjustments: list[Adjustment] = []
        self.services: list[ServicePayment] = []
        self.remarks: tuple[str, ...] = ()
        self.patient_name = ""

    def other(self, segment: Segment) -> None:
        sid = segment.elements[0]
        if sid == "NM1" and segment[1] == "QC":
            last, given = segment[3], " ".join(part for part in (segment[4], segment[5]) if part)
            self.patient_name = f"{last}, {given}" if given else last
        elif sid == "MOA":
            self.remarks = tuple(code for code in segment.elements[3:8] if code)

    def done(self, service: _Service | None) -> ClaimPayment:
        if service is not None:
            self.services.append(service.done())
        clp = self.clp
        return ClaimPayment(
            claim_id=clp[1], status_code=clp.required(2), charge=clp.amount(3), paid=clp.amount(4),
            patient_responsibility=clp.optional_amount(5), filing_indicator=clp[6], payer_claim_number=clp[7],
            adjustments=tuple(self.adjustments), services=tuple(self.services), remarks=self.remarks,
            patient_name=self.patient_name)


class _Service:
    __slots__ = ("svc", "adjustments", "line_control_number", "service_date", "period_start", "remarks")

    def __init__(self, svc: Segment) -> None:
        self.svc = svc
        self.adjustments: list[Adjustment] = []
        self.line_control_number = ""
        self.service_date: date | None = None
        self.period_start: date | None = None
        self.remarks: list[str] = []

    def other(self, segment: Segment) -> None:
        sid = segment.elements[0]
        if sid == "DTM":
            if segment[1] == "472":
                self.service_date = segment.required_date(2)
            elif segment[1] == "150":
                self.period_start = segment.required_date(2)
        elif sid == "REF" and segment[1] == "6R":
            self.line_control_number = segment[2]
        elif sid == "LQ" and segment[1] == "HE":
            self.remarks.append(segment.required(2))

    def done(self) -> ServicePayment:
        svc = self.svc
        procedure = svc.components(1)
        if len(procedure) == 1 and ">" in procedure[0]:
            # Some payers still write the 4010-era ">" inside SVC01 whatever ISA16 says; the
            # procedure code is what posting matches on, so read it rather than lose it.
            procedure = procedure[0].split(">")
        if not procedure[0]:
            raise svc.fault("SVC01-1 product or service id qualifier is required")
        return ServicePayment(
            procedure_code=procedure[1] if len(procedure) > 1 else "",
            modifiers=tuple(m for m in procedure[2:6] if m), charge=svc.amount(2), paid=svc.amount(3),
            units=svc.optional_amount(5), line_control_number=self.line_control_number,
            service_date=self.service_date or self.period_start, adjustments=tuple(self.adjustments),
            remarks=tuple(self.remarks))


def _adjustments(cas: Segment) -> list[Adjustment]:
    group = cas.required(1)
    elements = cas.elements
    if len(elements) > 20:
        raise cas.fault("CAS has more than 19 elements")
    found = []
    for index in range(2, len(elements), 3):  # up to six reason, amount, quantity triplets
        if elements[index]:
            found.append(Adjustment(group, elements[index], cas.amount(index + 1), cas.optional_amount(index + 2)))
        elif cas[index + 1] or cas[index + 2]:
            raise cas.fault(f"CAS{index:02d} reason code is required with its amount")
    if not found:
        raise cas.fault("CAS02 is required")
    return found


def _provider_adjustments(plb: Segment) -> list[ProviderAdjustment]:
    provider_id = plb.required(1)
    period_end = plb.optional_date(2)
    found = []
    for index in range(3, 15, 2):  # up to six reason composites and amounts
        if not plb[index]:
            if plb[index + 1]:
                raise plb.fault(f"PLB{index:02d} adjustment identifier is required with its amount")
            continue
        reason, _, reference = plb[index].partition(plb.sub_element)
        found.append(ProviderAdjustment(provider_id=provider_id, fiscal_period_end=period_end, reason=reason,
                                        reference=reference, amount=plb.amount(index + 1)))
    if not found:
        raise plb.fault("PLB03 is required")
    if len(plb.elements) > 15:
        raise plb.fault("PLB has more than 14 elements")
    return found


# --- writing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PayerDetails:
    """What the TR3 requires of the payer and the bank that the remittance itself does not carry:
    the payer's address and technical contact (1000A N3, N4, PER*BL), its TRN03 identifier ("1"
    then its EIN) and, for ACH payments, the BPR's bank accounts."""

    address: str = "1 SANDBOX WAY"
    city: str = "HARRISBURG"
    state: str = "PA"
    postal_code: str = "17101"
    technical_contact: str = "EDI SUPPORT"
    phone: str = "8005550100"
    originator_id: str = "1999999999"  # TRN03 and BPR10
    payer_bank_routing: str = "011000015"  # BPR07
    payer_account: str = "1234567"  # BPR09
    payee_bank_routing: str = "021000021"  # BPR13
    payee_account: str = "7654321"  # BPR15


SANDBOX_PAYER = PayerDetails()


def write_835(advices: Sequence[RemittanceAdvice], envelope: Envelope, *, payer: PayerDetails = SANDBOX_PAYER,
              first_set_control: int = 1) -> str:
    """One interchange (GS01 HP) with an 835 transaction set for each advice; reading it back
    gives the same advices (set control numbers aside: ST02 is numbered from
    ``first_set_control``). The advices' interchange fields are not used: ``envelope`` says who
    sends what."""
    if envelope.functional_id != "HP":
        raise ValueError("this functional group's GS01 is HP")
    transactions = [Transaction("835", GUIDE, _segments(advice, payer), guide_in_st=False) for advice in advices]
    return write_interchange(envelope, transactions, first_set_control=first_set_control)


def _segments(advice: RemittanceAdvice, payer: PayerDetails) -> list[list[object]]:
    method = advice.payment_method
    if method == "ACH":
        bpr: list[object] = ["BPR", "C", _money(advice.total_paid), "C", "ACH", "CCP", "01", payer.payer_bank_routing,
                             "DA", payer.payer_account, payer.originator_id, "", "01", payer.payee_bank_routing,
                             "DA", payer.payee_account, _date(advice.payment_date)]
    else:
        handling = "H" if method == "NON" else "C"
        bpr = ["BPR", handling, _money(advice.total_paid), "C", method] + [""] * 11 + [_date(advice.payment_date)]
    out: list[list[object]] = [bpr, ["TRN", "1", advice.trace_number, payer.originator_id]]
    out += [["N1", "PR", advice.payer_name], ["N3", payer.address],
            ["N4", payer.city, payer.state, payer.postal_code]]
    if advice.payer_id:
        out.append(["REF", "2U", advice.payer_id])
    out.append(["PER", "BL", payer.technical_contact, "TE", payer.phone])
    if not advice.payee_npi:
        raise ValueError("an 835's N1*PE needs the payee's NPI")
    out.append(["N1", "PE", advice.payee_name, "XX", advice.payee_npi])
    if advice.claims:
        out.append(["LX", "1"])
    for claim in advice.claims:
        out.append(["CLP", claim.claim_id, claim.status_code, _money(claim.charge), _money(claim.paid),
                    _money(claim.patient_responsibility), claim.filing_indicator, claim.payer_claim_number])
        out += _cas(claim.adjustments)
        last, _, given = claim.patient_name.partition(", ")
        out.append(["NM1", "QC", "1", last, given])
        if claim.remarks:
            out.append(["MOA", "", "", *claim.remarks])
        for service in claim.services:
            out.append(["SVC", ("HC", service.procedure_code, *service.modifiers), _money(service.charge),
                        _money(service.paid), "", _money(service.units)])
            if service.service_date:
                out.append(["DTM", "472", _date(service.service_date)])
            out += _cas(service.adjustments)
            if service.line_control_number:
                out.append(["REF", "6R", service.line_control_number])
            out += [["LQ", "HE", remark] for remark in service.remarks]
    by_provider: dict[tuple[str, date | None], list[ProviderAdjustment]] = {}
    for adjustment in advice.provider_adjustments:
        by_provider.setdefault((adjustment.provider_id, adjustment.fiscal_period_end), []).append(adjustment)
    for (provider_id, period_end), adjustments in by_provider.items():
        for start in range(0, len(adjustments), 6):
            plb: list[object] = ["PLB", provider_id, _date(period_end)]
            for adjustment in adjustments[start:start + 6]:
                plb += [(adjustment.reason, adjustment.reference), _money(adjustment.amount)]
            out.append(plb)
    return out


def _cas(adjustments: Sequence[Adjustment]) -> list[list[object]]:
    """CAS segments, one a group in the order groups first appear, six triplets at most each."""
    by_group: dict[str, list[Adjustment]] = {}
    for adjustment in adjustments:
        by_group.setdefault(adjustment.group, []).append(adjustment)
    out = []
    for group, items in by_group.items():
        for start in range(0, len(items), 6):
            cas: list[object] = ["CAS", group]
            for item in items[start:start + 6]:
                cas += [item.reason, _money(item.amount), _money(item.quantity)]
            out.append(cas)
    return out


def _money(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def _date(value: date | None) -> str:
    return "" if value is None else value.strftime("%Y%m%d")


__all__ = ["GUIDE", "PayerDetails", "SANDBOX_PAYER", "X12BalanceError", "X12SyntaxError", "read_835", "write_835"]
