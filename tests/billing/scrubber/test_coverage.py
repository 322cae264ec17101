"""Edits against the payer and the records: authorization-missing, -expired, -exhausted,
timely-filing(-soon), duplicate-claim."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from billing.claim_data import Frequency
from billing.scrubber import AuthorizationStatus, sent_line_key
from tests.billing.scrubber.helpers import messages
from tests.factories import AuthorizationOnFileFactory, ProfessionalClaimFactory, ScrubContextFactory


# authorization-missing

def test_a_claim_under_its_approved_authorization_passes():
    assert messages(ProfessionalClaimFactory(), ScrubContextFactory(), "authorization-missing") == []


def test_codes_the_payer_does_not_require_authorization_for_pass_without_one():
    context = ScrubContextFactory(authorizations=(), codes_requiring_authorization=frozenset({"64633"}))

    assert messages(ProfessionalClaimFactory(prior_authorization=""), context, "authorization-missing") == []


def test_no_authorization_on_file_or_only_a_pending_one_is_an_error():
    claim = ProfessionalClaimFactory()
    context = ScrubContextFactory(authorizations=(
        AuthorizationOnFileFactory(codes=frozenset({"64483"}), status=AuthorizationStatus.PENDING),))

    assert messages(claim, context, "authorization-missing") == [
        "Line 1 (64483 RT) needs prior authorization and no approved authorization on file covers it (the one on "
        "file is pending, not approved).",
        "Line 2 (64484 RT) needs prior authorization and no approved authorization on file covers it.",
    ]


def test_an_empty_box_23_or_a_number_not_on_file_is_an_error():
    context = ScrubContextFactory()

    assert messages(ProfessionalClaimFactory(prior_authorization=""), context, "authorization-missing")[0] == (
        "Line 1 (64483 RT): an approved authorization covers this code but box 23 (prior authorization number) is "
        "empty; enter its number.")
    assert messages(ProfessionalClaimFactory(prior_authorization="PA0000"), context, "authorization-missing")[1] == (
        "Line 2 (64484 RT): the number in box 23 is not an approved authorization on file for this code.")


# authorization-expired

def test_a_date_of_service_on_the_last_valid_day_passes():
    context = ScrubContextFactory(authorizations=(AuthorizationOnFileFactory(valid_until=date(2026, 11, 20)),))

    assert messages(ProfessionalClaimFactory(), context, "authorization-expired") == []


def test_a_date_of_service_outside_the_valid_dates_is_an_error():
    context = ScrubContextFactory(authorizations=(
        AuthorizationOnFileFactory(valid_from=date(2026, 8, 1), valid_until=date(2026, 10, 31)),))

    assert messages(ProfessionalClaimFactory(), context, "authorization-expired") == [
        "Line 1 (64483 RT): the date of service 11/20/2026 is outside the authorization's valid dates (08/01/2026 to "
        "10/31/2026).",
        "Line 2 (64484 RT): the date of service 11/20/2026 is outside the authorization's valid dates (08/01/2026 to "
        "10/31/2026).",
    ]


# authorization-exhausted

def test_units_up_to_the_approved_units_pass():
    context = ScrubContextFactory(authorizations=(AuthorizationOnFileFactory(approved_units=4, units_used=2),))

    assert messages(ProfessionalClaimFactory(), context, "authorization-exhausted") == []


def test_units_past_the_approved_units_are_an_error():
    context = ScrubContextFactory(authorizations=(AuthorizationOnFileFactory(approved_units=4, units_used=3),))

    assert messages(ProfessionalClaimFactory(), context, "authorization-exhausted") == [
        "Line 1 (64483 RT): the authorization approved 4 units, 3 units already used, 1 unit left; this claim bills "
        "2 units under it (lines 1, 2). Ask the payer for more units or bill only what is left."]


# timely-filing, timely-filing-soon

@pytest.mark.parametrize("today", [date(2027, 5, 19), date(2026, 11, 20)])
def test_a_claim_within_the_limit_passes(today):
    context = ScrubContextFactory(today=today, timely_filing_days=180)

    assert messages(ProfessionalClaimFactory(), context, "timely-filing") == []


def test_a_claim_past_the_limit_is_an_error_and_an_unknown_limit_is_not_guessed():
    claim = ProfessionalClaimFactory()

    assert messages(claim, ScrubContextFactory(today=date(2027, 5, 20), timely_filing_days=180), "timely-filing") == [
        "The first date of service (11/20/2026) was 181 days ago; this payer's timely filing limit is 180 days. The "
        "claim will be denied unless you have proof it was filed in time."]
    assert messages(claim, ScrubContextFactory(today=date(2030, 1, 1), timely_filing_days=None), "timely-filing") == []


def test_a_claim_two_weeks_from_the_limit_is_flagged_to_go_first():
    claim = ProfessionalClaimFactory()

    assert messages(claim, ScrubContextFactory(today=date(2027, 5, 4)), "timely-filing-soon") == []
    assert messages(claim, ScrubContextFactory(today=date(2027, 5, 18)), "timely-filing-soon") == [
        "Only 1 day left to file: the first date of service (11/20/2026) was 179 days ago and this payer's limit is "
        "180 days."]


# duplicate-claim

def sent(claim, line, claim_id):
    return {sent_line_key(member_id=claim.subscriber.member_id, service_date=line.service_date,
                          procedure_code=line.procedure_code, modifiers=reversed(line.modifiers)): claim_id}


def test_lines_not_sent_before_pass_and_a_resent_claim_is_not_its_own_duplicate():
    claim = ProfessionalClaimFactory()
    other_side = replace(claim.lines[0], modifiers=("LT",))

    assert messages(claim, ScrubContextFactory(claims_sent=sent(claim, other_side, "PO-1")), "duplicate-claim") == []
    assert messages(claim, ScrubContextFactory(claims_sent=sent(claim, claim.lines[0], claim.claim_id)),
                    "duplicate-claim") == []


def test_a_line_already_sent_on_another_claim_is_an_error_naming_that_claim_outside_the_message():
    claim = ProfessionalClaimFactory()
    context = ScrubContextFactory(claims_sent=sent(claim, claim.lines[1], "PO-1"))

    assert messages(claim, context, "duplicate-claim") == [
        "Line 2 (64484 RT) on 11/20/2026 was already sent on another claim for this patient; to change it, send a "
        "corrected claim (frequency 7) instead."]
    from billing.scrubber import scrub
    assert [f.other_claim for f in scrub(claim, context) if f.edit == "duplicate-claim"] == ["PO-1"]


@pytest.mark.parametrize("frequency", [Frequency.CORRECTED, Frequency.VOID])
def test_a_corrected_or_void_claim_is_not_a_duplicate(frequency):
    claim = ProfessionalClaimFactory(frequency=frequency, payer_claim_number="2026112000123")
    context = ScrubContextFactory(claims_sent=sent(claim, claim.lines[0], "PO-1"))

    assert messages(claim, context, "duplicate-claim") == []
