"""Claims as the sending side leaves them (submitted, in a claim file) and the files a
clearinghouse answers with, written by the billing.x12 writers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from billing import services
from billing.lifecycle import transition
from billing.models import Claim
from billing.submission.models import ClaimFile, ClaimFileEntry
from billing.x12.ack999 import write_999
from billing.x12.messages import (Adjustment, ClaimStatus, ClaimStatusReport, ImplementationAcknowledgment,
                                  StatusCode, TransactionAcknowledgment)
from billing.x12.remit835 import write_835
from billing.x12.status277 import AcknowledgmentParties, write_277ca
from tests.billing.factories import practice, price_list, visit
from tests.billing.x12.conftest import envelope
from tests.factories import ClaimPaymentFactory, InterchangeFactory, RemittanceAdviceFactory, ServicePaymentFactory

PARTIES = AcknowledgmentParties(
    source_name="SANDBOX CLEARINGHOUSE", source_id="CH001", receiver_name="PRACOPS", receiver_id="PRACOPS01",
    provider_name="PAIN CLINIC", provider_npi="1234567893", received=date(2026, 12, 4), processed=date(2026, 12, 5))


def submitted_claims(count: int = 1, *, case=None) -> list[Claim]:
    """``count`` claims of one 64483 line each (950.00), scrubbed and submitted."""
    case = case or practice()
    price_list(None, {"64483": "950.00"})
    claims = []
    for day in range(count):
        [claim] = services.create_claims_for_encounter(encounter=visit(case, on=f"2026-11-{day + 1:02d}"),
                                                       agent="system:test")
        transition(claim, Claim.Status.SCRUBBED, agent="system:test")
        transition(claim, Claim.Status.SUBMITTED, agent="system:test")
        claims.append(claim)
    return claims


def claim_file(claims: list[Claim], *, control: str = "000001207", per_set: int = 1) -> ClaimFile:
    sent = ClaimFile.objects.create(clearinghouse="sandbox", interchange_control_number=control,
                                    status=ClaimFile.Status.SENT, text="ISA...", sha256="0" * 64)
    for index, claim in enumerate(claims):
        ClaimFileEntry.objects.create(file=sent, claim=claim, set_control_number=f"{index // per_set + 1:04d}")
    return sent


def paid_in_full(claim: Claim, **fields):
    """A CLP paying the claim's one line: 600 paid, 350 written off (CO-45)."""
    line = claim.lines.get()
    service = ServicePaymentFactory(procedure_code=line.procedure_code, modifiers=tuple(line.modifiers),
                                    charge=line.charge, paid=Decimal("600.00"),
                                    line_control_number=line.control_number,
                                    adjustments=(Adjustment("CO", "45", line.charge - Decimal("600.00")),))
    return ClaimPaymentFactory(claim_id=claim.patient_control_number, services=(service,), **fields)


def denied(claim: Claim, reason: str = "197"):
    line = claim.lines.get()
    service = ServicePaymentFactory(procedure_code=line.procedure_code, modifiers=tuple(line.modifiers),
                                    charge=line.charge, paid=Decimal("0.00"), line_control_number=line.control_number,
                                    adjustments=(Adjustment("CO", reason, line.charge),))
    return ClaimPaymentFactory(claim_id=claim.patient_control_number, services=(service,), status_code="4")


def file_835(payments, *, control: int = 905, payer_id: str = "12345") -> str:
    return write_835([RemittanceAdviceFactory(claims=tuple(payments), payer_id=payer_id)],
                     envelope("HP", interchange_control=control))


def file_277ca(statuses: list[ClaimStatus], *, control: int = 906) -> str:
    report = ClaimStatusReport(InterchangeFactory(functional_id="HN", guide="005010X214"), "005010X214",
                               tuple(statuses))
    return write_277ca([report], envelope("HN", interchange_control=control), PARTIES)


def accepted(claim: Claim, payer_claim_number: str = "PAYER777") -> ClaimStatus:
    return ClaimStatus(claim.patient_control_number, (StatusCode("A2", "20", "PR"),), date(2026, 12, 5),
                       claim.total_charge, payer_claim_number=payer_claim_number,
                       service_date_from=claim.service_date, service_date_to=claim.service_date,
                       patient_name="DOE, JANE", member_id="M123")


def rejected(claim: Claim) -> ClaimStatus:
    return ClaimStatus(claim.patient_control_number, (StatusCode("A7", "562", "85"),), date(2026, 12, 5),
                       claim.total_charge, service_date_from=claim.service_date, service_date_to=claim.service_date,
                       patient_name="DOE, JANE", member_id="M123")


def file_999(group_control: str, transactions: list[TransactionAcknowledgment], status: str, *,
             control: int = 907, syntax_codes: tuple[str, ...] = ()) -> str:
    ack = ImplementationAcknowledgment(
        interchange=InterchangeFactory(functional_id="FA", guide="005010X231A1"), group_control_number=group_control,
        functional_id="HC", status=status, transactions=tuple(transactions), included=len(transactions),
        received=len(transactions), accepted=sum(t.status != "R" for t in transactions), version="005010X222A1",
        syntax_codes=syntax_codes)
    return write_999([ack], envelope("FA", interchange_control=control))
