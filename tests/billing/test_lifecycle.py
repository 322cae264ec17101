"""The claim lifecycle: every move it has works and is recorded with its source; every move it
does not have is refused and leaves nothing behind."""

from __future__ import annotations

import pytest

from billing import lifecycle
from billing.lifecycle import TRANSITIONS, TransitionNotAllowed, transition
from billing.models import Claim, ClaimStatusChange
from billing.services import create_claims_for_encounter
from tests.billing.factories import practice, price_list, visit
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

S = Claim.Status


@pytest.fixture
def claim() -> Claim:
    case = practice()
    price_list(None, {"64483": "950.00"})
    [made] = create_claims_for_encounter(encounter=visit(case))
    return made


def _at(claim: Claim, status: str) -> Claim:
    # A claim as the lifecycle would have left it (the test's starting point, not a move).
    Claim.objects.filter(pk=claim.pk).update(status=status)
    claim.refresh_from_db()
    return claim


def test_every_status_has_its_moves_and_closed_is_the_end():
    assert set(TRANSITIONS) == set(S.values)
    assert all(to in S.values for moves in TRANSITIONS.values() for to in moves)
    assert TRANSITIONS[S.CLOSED] == frozenset()


@pytest.mark.parametrize("start", S.values)
def test_each_move_the_lifecycle_has_is_made_and_recorded_and_the_others_are_refused(claim, start):
    for to in S.values:
        _at(claim, start)
        before = ClaimStatusChange.objects.count()
        if to in TRANSITIONS[start]:
            change = transition(claim, to, agent="system:test", reason="test")
            claim.refresh_from_db()
            assert claim.status == to
            assert (change.from_status, change.to_status, change.source, change.agent) == (
                start, to, "task", "system:test")
            assert ClaimStatusChange.objects.count() == before + 1
        else:
            with pytest.raises(TransitionNotAllowed):
                transition(claim, to, agent="system:test")
            claim.refresh_from_db()
            assert claim.status == start and ClaimStatusChange.objects.count() == before


def test_the_happy_path_from_draft_to_closed(claim):
    for to in (S.SCRUBBED, S.SUBMITTED, S.ACCEPTED, S.PARTIALLY_PAID, S.APPEALED, S.PAID, S.CLOSED):
        transition(claim, to)
    assert list(claim.history.values_list("to_status", flat=True)) == [
        S.DRAFT, S.SCRUBBED, S.SUBMITTED, S.ACCEPTED, S.PARTIALLY_PAID, S.APPEALED, S.PAID, S.CLOSED]


def test_a_refused_move_says_what_in_plain_words(claim):
    with pytest.raises(TransitionNotAllowed, match="a claim that is draft cannot become paid"):
        transition(claim, S.PAID)


def test_a_change_from_a_file_names_the_file_and_segment(claim):
    _at(claim, S.SUBMITTED)
    change = transition(claim, S.REJECTED, agent="system:277ca", source="file",
                        source_reference="277CA file 12, STC of claim 3", reason="A7:562")
    assert (change.source, change.source_reference, change.user) == ("file", "277CA file 12, STC of claim 3", None)


def test_a_users_change_names_the_user(claim):
    user = StaffUserFactory()
    change = transition(claim, S.CLOSED, user=user, reason="written off")
    assert (change.user, change.agent, change.source) == (user, user.username, "user")


def test_an_unknown_source_is_refused(claim):
    with pytest.raises(ValueError):
        transition(claim, S.SCRUBBED, source="fax")
    claim.refresh_from_db()
    assert claim.status == S.DRAFT


def test_fields_are_saved_with_the_status(claim):
    _at(claim, S.SUBMITTED)
    transition(claim, S.ACCEPTED, source="file", payer_claim_number="ICN1")
    claim.refresh_from_db()
    assert claim.payer_claim_number == "ICN1"
    assert lifecycle.can_move(claim, S.PAID)


def test_a_batch_checks_each_move_and_writes_history_and_status_together(claim):
    _at(claim, Claim.Status.SUBMITTED)
    batch = lifecycle.TransitionBatch(agent="system:remittance", source=ClaimStatusChange.Source.FILE)

    batch.move(claim, Claim.Status.ACCEPTED, source_reference="835 file 1 ST 0001 CLP 1", payer_claim_number="P9")
    batch.move(claim, Claim.Status.PAID, source_reference="835 file 1 ST 0001 CLP 1", reason="835 CLP02 1")
    with pytest.raises(TransitionNotAllowed):
        batch.move(claim, Claim.Status.SUBMITTED)
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.SUBMITTED  # nothing written before flush
    batch.flush()

    stored = Claim.objects.get(pk=claim.pk)
    assert (stored.status, stored.payer_claim_number) == (Claim.Status.PAID, "P9")
    assert list(stored.history.filter(source="file").order_by("pk").values_list("from_status", "to_status", "agent")) \
        == [("submitted", "accepted", "system:remittance"), ("accepted", "paid", "system:remittance")]


def test_a_submitted_claim_whose_file_was_refused_goes_back_to_scrubbed(claim):
    _at(claim, S.SUBMITTED)
    change = transition(claim, S.SCRUBBED, agent="system:billing-submission", source="task",
                        source_reference="837P file ISA13 000000042", reason="the file was refused")
    assert (change.from_status, change.to_status) == (S.SUBMITTED, S.SCRUBBED)
    assert claim.status == S.SCRUBBED and lifecycle.can_move(claim, S.SUBMITTED)
