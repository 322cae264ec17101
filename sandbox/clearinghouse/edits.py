"""The clearinghouse's front-end claim edits: each claim of an accepted 837P accepted for
processing (277CA STC A2:20) or rejected with the reasons (A6/A7/A3 and a claim status code).
Pure: a ``ReceivedClaim`` and the rules in, a ``ClaimStatus`` out.

Edits (claim status codes, X12 code list 508; entity codes: 85 billing provider, 82 rendering
provider, IL subscriber, PR payer):
- the billing provider's NPI missing or failing its check digit: A7:562:85 (A6 when missing);
- the rendering provider's NPI failing its check digit: A7:562:82;
- the subscriber's member id not 2 to 20 letters and digits: A7:164:IL (A6 when missing);
- the claim's charge not the sum of its lines' charges: A7:178;
- a date of service after the day the claim arrived: A7:187;
- a ``reject`` rule matching the claim (its payer, member or any line's code): its status code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from billing.x12.messages import ClaimStatus, LineStatus, StatusCode
from pracops.records.validators import npi_is_valid
from sandbox.clearinghouse.received import ReceivedClaim
from sandbox.clearinghouse.rules import REJECT, Rule, ordered

ACCEPTED = StatusCode(category="A2", code="20")  # accepted for processing
_MEMBER_ID = re.compile(r"[A-Za-z0-9]{2,20}")


def acknowledge_claim(claim: ReceivedClaim, rules: Sequence[Rule], *, received: date,
                      payer_claim_number: str) -> ClaimStatus:
    """The 277CA status of ``claim`` received on ``received``: accepted with the payer's claim
    number (REF*1K), or rejected with the first three reasons found (a 277CA's STC holds three)."""
    reasons = rejections(claim, rules, received=received)
    accepted = not reasons
    return ClaimStatus(
        claim_id=claim.claim_id, statuses=(ACCEPTED,) if accepted else tuple(reasons[:3]), status_date=received,
        charge=claim.charge, payer_claim_number=payer_claim_number if accepted else "",
        service_date_from=claim.service_date_from or received, service_date_to=claim.service_date_to,
        patient_name=claim.patient_name, member_id=claim.member_id,
        lines=tuple(LineStatus(line_control_number=line.control_number, procedure_code=line.procedure_code,
                               statuses=(ACCEPTED,) if accepted else (reasons[0],), charge=line.charge)
                    for line in claim.lines if line.control_number),
    )


def rejections(claim: ReceivedClaim, rules: Sequence[Rule], *, received: date) -> list[StatusCode]:
    """Why ``claim`` is rejected (empty when it is accepted), in the order above."""
    found: list[StatusCode] = []
    if not claim.billing_npi:
        found.append(StatusCode("A6", "562", "85"))
    elif not npi_is_valid(claim.billing_npi):
        found.append(StatusCode("A7", "562", "85"))
    if claim.rendering_npi and not npi_is_valid(claim.rendering_npi):
        found.append(StatusCode("A7", "562", "82"))
    if not claim.member_id:
        found.append(StatusCode("A6", "164", "IL"))
    elif not _MEMBER_ID.fullmatch(claim.member_id):
        found.append(StatusCode("A7", "164", "IL"))
    if claim.lines and sum(line.charge for line in claim.lines) != claim.charge:
        found.append(StatusCode("A7", "178"))
    if any(line.service_date and line.service_date > received for line in claim.lines):
        found.append(StatusCode("A7", "187"))
    codes = {line.procedure_code for line in claim.lines} or {""}
    for rule in ordered(rules):
        if rule.action == REJECT and any(rule.matches(code=code, payer_id=claim.payer_id, member_id=claim.member_id)
                                         for code in codes):
            parts = rule.status_code.split(":")
            found.append(StatusCode(parts[0], parts[1], parts[2] if len(parts) > 2 else ""))
            break
    return found
