"""The payer's side, played by the clearinghouse: each accepted claim paid or denied line by line
under the rules (sandbox/clearinghouse/rules.py), and the claims of one payer to one billing
provider gathered in one remittance advice (835). Pure: plain objects in and out.

Every line balances: charge = paid + CO adjustments + PR adjustments; every claim: CLP03 = sum of
its lines' charges, CLP04 = sum of their payments, CLP05 = sum of the PR adjustments; the 835:
BPR02 = sum of CLP04 - sum of PLB amounts (no PLB is made here, so BPR02 = sum of CLP04).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from billing.x12.messages import Adjustment, ClaimPayment, Interchange, RemittanceAdvice, ServicePayment
from sandbox.clearinghouse.received import ReceivedClaim, ReceivedLine
from sandbox.clearinghouse.rules import BUNDLED, DENY, MISSING_AUTHORIZATION, Rule, line_rule

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
PROCESSED_AS_PRIMARY, DENIED = "1", "4"

# CLP06 takes fewer codes than the 837's SBR09: commercial plans (CI, BL) are reported as PPO (12),
# the way commercial payers' 835s usually do; a code the 835 lacks becomes ZZ (mutually defined).
_CLP06 = {"12", "13", "14", "15", "16", "17", "AM", "CH", "DS", "HM", "LM", "MA", "MB", "MC", "OF", "TV", "VA", "WC",
          "ZZ"}
_CLP06_FOR_SBR09 = {"CI": "12", "BL": "12"}


def filing_indicator(sbr09: str) -> str:
    """The 835's claim filing indicator (CLP06) for the 837's (SBR09)."""
    return sbr09 if sbr09 in _CLP06 else _CLP06_FOR_SBR09.get(sbr09 or "CI", "ZZ")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def adjudicate(claim: ReceivedClaim, rules: Sequence[Rule], *, default: Rule,
               payer_claim_number: str) -> ClaimPayment:
    """The payer's decision on ``claim``: each line paid or denied by its rule. The claim is
    denied (CLP02 4) when every line is; else processed as primary (1), even when the patient
    owes all of it."""
    billed = {line.procedure_code for line in claim.lines}
    services = tuple(_pay_line(claim, line, line_rule(rules, code=line.procedure_code, payer_id=claim.payer_id,
                                                       member_id=claim.member_id, default=default), billed)
                     for line in claim.lines)
    denied = bool(services) and all(_line_denied(s) for s in services)
    return ClaimPayment(
        claim_id=claim.claim_id, status_code=DENIED if denied else PROCESSED_AS_PRIMARY,
        charge=sum((s.charge for s in services), ZERO), paid=sum((s.paid for s in services), ZERO),
        patient_responsibility=sum((a.amount for s in services for a in s.adjustments if a.group == "PR"), ZERO),
        filing_indicator=filing_indicator(claim.filing_indicator), payer_claim_number=payer_claim_number,
        services=services, patient_name=claim.patient_name,
    )


def _line_denied(service: ServicePayment) -> bool:
    return service.paid == ZERO and any(a.group == "CO" and a.reason != "45" for a in service.adjustments)


def _pay_line(claim: ReceivedClaim, line: ReceivedLine, rule: Rule, billed: set[str]) -> ServicePayment:
    charge = _cents(line.charge)

    def denied(reason: str, remarks: Sequence[str]) -> ServicePayment:
        return _service(line, charge, ZERO, (Adjustment("CO", reason, charge),) if charge else (), tuple(remarks))

    if rule.action == DENY:
        return denied(rule.reason_code, rule.remark_codes)
    if rule.requires_authorization and not claim.authorization_for(line):
        return denied(*MISSING_AUTHORIZATION)
    if set(rule.bundled_into) & (billed - {line.procedure_code}):
        return denied(*BUNDLED)
    if rule.fee is not None:
        allowed = _cents(rule.fee * line.units)
    else:
        allowed = _cents(charge * (rule.allowed_percent if rule.allowed_percent is not None else 100) / 100)
    allowed = min(allowed, charge)
    copay = min(_cents(rule.copay), allowed)
    deductible = min(_cents(rule.deductible), allowed - copay)
    coinsurance = _cents((allowed - copay - deductible) * rule.coinsurance_percent / 100)
    paid = allowed - copay - deductible - coinsurance
    adjustments = [Adjustment(group, reason, amount) for group, reason, amount in (
        ("CO", "45", charge - allowed), ("PR", "1", deductible), ("PR", "2", coinsurance), ("PR", "3", copay),
    ) if amount > 0]
    return _service(line, charge, paid, tuple(adjustments), ())


def _service(line: ReceivedLine, charge: Decimal, paid: Decimal, adjustments: tuple[Adjustment, ...],
             remarks: tuple[str, ...]) -> ServicePayment:
    return ServicePayment(procedure_code=line.procedure_code, modifiers=line.modifiers, charge=charge, paid=paid,
                          units=line.units, line_control_number=line.control_number, service_date=line.service_date,
                          adjustments=adjustments, remarks=remarks)


@dataclass(frozen=True)
class Payee:
    name: str
    npi: str


def remittance(*, interchange: Interchange, set_control_number: str, payer_name: str, payer_id: str,
               payee: Payee, trace_number: str, payment_date: date,
               claims: Sequence[ClaimPayment]) -> RemittanceAdvice:
    """One 835 from one payer to one payee for ``claims``: an ACH payment of their total, or a
    notice (NON) when nothing is paid."""
    total = sum((claim.paid for claim in claims), ZERO)
    return RemittanceAdvice(
        interchange=interchange, set_control_number=set_control_number, payer_name=payer_name, payer_id=payer_id,
        payee_name=payee.name, payee_npi=payee.npi, trace_number=trace_number,
        payment_method="ACH" if total > 0 else "NON", total_paid=total, payment_date=payment_date,
        claims=tuple(claims),
    )
