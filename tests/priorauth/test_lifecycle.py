"""The lifecycle moves a request only along its transitions, and records every move."""

import pytest
from django.contrib.auth.models import User

from priorauth.lifecycle import TRANSITIONS, TransitionNotAllowed, can_move, transition
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
