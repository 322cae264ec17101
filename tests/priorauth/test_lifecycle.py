"""The lifecycle moves a request only along its transitions, and records every move."""

import pytest
from django.contrib.auth.models import User

from priorauth.lifecycle import TRANSITIONS, TransitionNotAllowed, can_move, transition, transition_many
from priorauth.models import PriorAuthorization, StatusChange
from pracops.records.models import ServiceRequest
from tests.factories import ServiceRequestFactory

S = PriorAuthorization.Status
pytestmark = pytest.mark.django_db


def _authorization() -> PriorAuthorization:
    order = ServiceRequest.objects.get(fhir_id=ServiceRequestFactory.create()["id"])
    return PriorAuthorization.objects.create(service_request=order, patient=order.patient, cpt="64483")


def test_every_state_has_its_transitions():
    assert set(TRANSITIONS) == set(S.values)
    assert TRANSITIONS[S.CANCELLED] == TRANSITIONS[S.EXPIRED] == frozenset()


def test_a_move_is_recorded_with_who_when_why_and_from_what():
    authorization = _authorization()
    user = User.objects.create_user("frontdesk")
    transition(authorization, S.NEEDS_DOCUMENTATION, user=user, reason="2 criteria need documentation")
    transition(authorization, S.READY, agent="system:reevaluate", reason="new note")
    authorization.refresh_from_db()
    assert authorization.status == S.READY
    changes = list(StatusChange.objects.filter(authorization=authorization).values_list(
        "from_status", "to_status", "agent", "reason"))
    assert changes == [("draft", "needs_documentation", "frontdesk", "2 criteria need documentation"),
                       ("needs_documentation", "ready", "system:reevaluate", "new note")]


def test_fields_are_saved_with_the_status():
    authorization = _authorization()
    transition(authorization, S.READY)
    transition(authorization, S.SUBMITTED, channel="fax")
    transition(authorization, S.APPROVED, auth_number="A123", approved_units=2)
    authorization.refresh_from_db()
    assert (authorization.status, authorization.channel, authorization.auth_number, authorization.approved_units) == (
        S.APPROVED, "fax", "A123", 2)


@pytest.mark.parametrize("start,to", [(S.DRAFT, S.SUBMITTED), (S.DRAFT, S.APPROVED), (S.READY, S.APPROVED)])
def test_a_move_the_lifecycle_does_not_have_is_refused_and_not_recorded(start, to):
    authorization = _authorization()
    if start != S.DRAFT:
        transition(authorization, start)
    before = StatusChange.objects.count()
    assert not can_move(authorization, to)
    with pytest.raises(TransitionNotAllowed):
        transition(authorization, to)
    authorization.refresh_from_db()
    assert authorization.status == start and StatusChange.objects.count() == before


def test_a_cancelled_request_moves_no_more():
    authorization = _authorization()
    transition(authorization, S.CANCELLED, reason="order withdrawn")
    for to in S.values:
        with pytest.raises(TransitionNotAllowed):
            transition(authorization, to)


def test_an_order_has_one_open_request_but_may_have_closed_ones():
    from django.db import IntegrityError, transaction

    first = _authorization()
    with pytest.raises(IntegrityError), transaction.atomic():
        PriorAuthorization.objects.create(service_request=first.service_request, patient=first.patient, cpt="64483")
    transition(first, S.CANCELLED)
    PriorAuthorization.objects.create(service_request=first.service_request, patient=first.patient, cpt="64483")


def test_many_moves_are_recorded_and_saved_with_their_fields_as_one_by_one():
    first, second = _authorization(), _authorization()
    transition(second, S.NEEDS_DOCUMENTATION)
    first.policy_id = second.policy_id = "esi-2026"

    changes = transition_many([(first, S.NEEDS_DOCUMENTATION, "thin notes"), (second, S.READY, "new note")],
                              agent="system:reevaluate", update_fields=["policy_id"])

    assert len(changes) == 2
    rows = {a.pk: (a.status, a.policy_id) for a in PriorAuthorization.objects.filter(pk__in=[first.pk, second.pk])}
    assert rows == {first.pk: (S.NEEDS_DOCUMENTATION, "esi-2026"), second.pk: (S.READY, "esi-2026")}
    assert list(StatusChange.objects.filter(authorization=first).values_list(
        "from_status", "to_status", "agent", "reason")) == [("draft", "needs_documentation", "system:reevaluate",
                                                             "thin notes")]
    assert StatusChange.objects.filter(authorization=second).last().from_status == S.NEEDS_DOCUMENTATION


def test_many_moves_with_one_the_lifecycle_does_not_have_write_nothing():
    first, second = _authorization(), _authorization()
    before = StatusChange.objects.count()

    with pytest.raises(TransitionNotAllowed):
        transition_many([(first, S.READY, ""), (second, S.APPROVED, "")])

    assert set(PriorAuthorization.objects.filter(pk__in=[first.pk, second.pk]).values_list(
        "status", flat=True)) == {S.DRAFT}
    assert StatusChange.objects.count() == before
