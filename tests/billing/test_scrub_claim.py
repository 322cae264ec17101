"""Scrubbing a stored claim: the context read from the database (authorizations on file, the
payer's timely filing limit and authorization list, lines already sent), findings kept per run,
and the status they leave the claim in."""

from __future__ import annotations

from datetime import date

import pytest

from billing import selectors, services
from billing.models import Claim, ClaimEdit
from billing.services import BillingError
from priorauth.models import PayerProfile
from tests.billing.factories import approval, practice, price_list, visit

pytestmark = pytest.mark.django_db

S = Claim.Status
SOON_AFTER = date(2026, 11, 25)


@pytest.fixture
def case():
    found = practice()
    # The commercial policy set requires authorization for 64483 (transforaminal epidurals).
    PayerProfile.objects.create(organization=found.payer, policy_key="commercial")
    price_list(None, {"64483": "950.00", "64493": "600.00"})
    return found


def _bill(case, **visit_terms) -> Claim:
    [claim] = services.create_claims_for_encounter(encounter=visit(case, **visit_terms))
    return claim


def _codes(edits) -> list[str]:
    return [edit.code for edit in edits]


def test_a_clean_claim_with_its_authorization_is_scrubbed(case):
    approval(case, units=1)
    claim = _bill(case)
    context = selectors.scrub_context(claim, today=SOON_AFTER)
    assert context.codes_requiring_authorization == frozenset({"64483"})
    assert context.timely_filing_days == 90
    [on_file] = context.authorizations
    # The claim's own procedure is the approval's one unit: it is not counted as used before it.
    assert (on_file.number, on_file.approved_units, on_file.units_used) == ("AUTH-77001", 1, 0)

    edits = services.scrub_claim(claim=claim, agent="system:test", today=SOON_AFTER)

    assert edits == [] and claim.status == S.SCRUBBED
    claim.refresh_from_db()
    assert claim.status == S.SCRUBBED
    assert claim.history.last().reason == "scrubbed: no errors, 0 warnings"


def test_a_code_the_payer_wants_authorized_without_an_approval_keeps_the_claim_a_draft(case):
    claim = _bill(case)
    edits = services.scrub_claim(claim=claim, today=SOON_AFTER)
    assert "authorization-missing" in _codes(edits)
    assert all(edit.severity in ("error", "warning") for edit in edits)
    claim.refresh_from_db()
    assert claim.status == S.DRAFT
    stored = ClaimEdit.objects.filter(claim=claim)
    assert stored.count() == len(edits) and len({edit.run for edit in stored}) == 1
    assert case.patient.family not in " ".join(edit.message for edit in stored)


def test_an_approval_that_arrives_after_the_claim_is_made_is_on_it_when_scrubbed_again(case):
    claim = _bill(case)
    assert "authorization-missing" in _codes(services.scrub_claim(claim=claim, today=SOON_AFTER))
    approval(case, units=1)  # the payer approves after the claim was held

    edits = services.scrub_claim(claim=claim, today=SOON_AFTER)

    claim.refresh_from_db()
    assert edits == [] and claim.status == S.SCRUBBED
    assert claim.prior_authorization_number == "AUTH-77001" and claim.prior_authorization is not None


def test_units_used_by_earlier_procedures_count_against_the_approval(case):
    approval(case, units=1, valid_from=date(2026, 11, 1))
    visit(case, on="2026-11-03")  # performed, uses the one unit
    claim = _bill(case)  # 2026-11-20: the approval has no unit left for it
    assert claim.prior_authorization_number == ""
    [on_file] = selectors.scrub_context(claim, today=SOON_AFTER).authorizations
    assert on_file.units_used == 1
    assert "authorization-missing" in _codes(services.scrub_claim(claim=claim, today=SOON_AFTER))


def test_a_line_already_sent_on_another_claim_is_a_duplicate(case):
    approval(case, units=2)
    sent = _bill(case, on="2026-11-20")
    services.scrub_claim(claim=sent, today=SOON_AFTER)
    services.move_claim(claim=sent, to=S.SUBMITTED)
    again = _bill(case, on="2026-11-20")  # the same procedure recorded on a second encounter

    edits = services.scrub_claim(claim=again, today=SOON_AFTER)

    [duplicate] = [edit for edit in edits if edit.code == "duplicate-claim"]
    assert duplicate.other_claim == sent.patient_control_number and duplicate.line_number == 1
    assert sent.patient_control_number not in duplicate.message


def test_a_claim_past_the_payers_timely_filing_limit_is_held(case):
    approval(case, units=1)
    claim = _bill(case)
    edits = services.scrub_claim(claim=claim, today=date(2027, 3, 1))  # 101 days, limit 90
    assert "timely-filing" in _codes(edits)
    claim.refresh_from_db()
    assert claim.status == S.DRAFT


def test_a_scrubbed_claim_that_fails_a_later_scrub_goes_back_to_draft(case):
    approval(case, units=1)
    claim = _bill(case)
    services.scrub_claim(claim=claim, today=SOON_AFTER)
    edits = services.scrub_claim(claim=claim, today=date(2027, 3, 1))
    claim.refresh_from_db()
    assert claim.status == S.DRAFT and "timely-filing" in _codes(edits)
    assert list(claim.history.values_list("to_status", flat=True)) == [S.DRAFT, S.SCRUBBED, S.DRAFT]
    assert ClaimEdit.objects.filter(claim=claim).values("run").distinct().count() == 1  # the clean run stored none


def test_a_sent_claim_is_not_scrubbed(case):
    approval(case, units=1)
    claim = _bill(case)
    services.scrub_claim(claim=claim, today=SOON_AFTER)
    services.move_claim(claim=claim, to=S.SUBMITTED)
    with pytest.raises(BillingError, match="not yet sent"):
        services.scrub_claim(claim=claim, today=SOON_AFTER)
