"""The 277CA edits: each claim accepted for processing (A2:20) or rejected with its reasons."""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from sandbox.clearinghouse.edits import acknowledge_claim
from sandbox.clearinghouse.received import read_claims
from sandbox.clearinghouse.rules import Rule
from tests.sandbox.clearinghouse.conftest import ProfessionalClaimFactory, professional_claim_file

TODAY = date.today()


def received_claim(**changes):
    [claim] = read_claims(professional_claim_file([ProfessionalClaimFactory()]))
    return replace(claim, **changes)


def statuses(claim, rules=()):
    status = acknowledge_claim(claim, list(rules), received=TODAY, payer_claim_number="SBX1")
    return [":".join(filter(None, (s.category, s.code, s.entity))) for s in status.statuses], status


def test_a_clean_claim_is_accepted_for_processing_with_the_payers_claim_number():
    claim = received_claim()

    codes, status = statuses(claim)

    assert codes == ["A2:20"]
    assert status.accepted and not status.rejected
    assert (status.claim_id, status.charge, status.payer_claim_number) == (claim.claim_id, claim.charge, "SBX1")
    assert [line.line_control_number for line in status.lines] == [claim.lines[0].control_number]


@pytest.mark.parametrize("changes, expected", [
    ({"billing_npi": "1234567890"}, ["A7:562:85"]),  # fails the check digit
    ({"billing_npi": ""}, ["A6:562:85"]),
    ({"rendering_npi": "1111111111"}, ["A7:562:82"]),
    ({"member_id": "X"}, ["A7:164:IL"]),
    ({"member_id": "ABC-123"}, ["A7:164:IL"]),
    ({"member_id": ""}, ["A6:164:IL"]),
    ({"billing_npi": "1234567890", "member_id": "X"}, ["A7:562:85", "A7:164:IL"]),
])
def test_provider_and_subscriber_errors_reject_the_claim(changes, expected):
    codes, status = statuses(received_claim(**changes))

    assert codes == expected
    assert status.rejected and status.payer_claim_number == ""


def test_charges_that_do_not_add_up_reject_the_claim():
    claim = received_claim()

    codes, _ = statuses(replace(claim, charge=claim.charge + 1))

    assert codes == ["A7:178"]


def test_a_service_after_the_claim_arrived_rejects_it():
    claim = received_claim()
    line = replace(claim.lines[0], service_date=TODAY + timedelta(days=1))

    assert statuses(replace(claim, lines=(line,)))[0] == ["A7:187"]


def test_a_reject_rule_rejects_the_claims_it_matches_with_its_status():
    unknown = Rule(name="member not found", action="reject", member_id="XAC999", status_code="A3:33:IL")
    claim = received_claim()

    assert statuses(replace(claim, member_id="XAC999"), [unknown])[0] == ["A3:33:IL"]
    assert statuses(claim, [unknown])[0] == ["A2:20"]
