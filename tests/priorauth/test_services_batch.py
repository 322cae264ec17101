"""Evaluating many stored requests at once (services.evaluate_authorizations): the same
evaluations, statuses, StatusChanges and audit events as one by one, in a number of queries that
does not grow with the number of requests."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from priorauth import services
from priorauth.lifecycle import transition
from priorauth.models import PayerProfile, PriorAuthorization, StatusChange
from pracops.audit.models import AuditEvent
from tests.factories import ProcedureFactory
from tests.priorauth.workflow import COMPLETE_ESI_NOTE, THIN_ESI_NOTE, add_note, practice_case

S = PriorAuthorization.Status
pytestmark = pytest.mark.django_db

_FIELDS = ("status", "policy_key", "policy_id", "requires_auth", "ready", "evaluation", "coverage_information")


def _mixed_requests() -> list[PriorAuthorization]:
    """Requests whose re-evaluation does each thing it can: needs_documentation -> ready (a new
    note), ready -> needs_documentation (the payer's policy set changed), ready stays ready, a
    patient with procedure history, a sent request left alone, a payer without a policy set
    refused, and two requests of one patient."""
    requests = []
    # Thin note, then a complete one after the request was made: moves to ready.
    case = practice_case()
    add_note(case.patient, THIN_ESI_NOTE, date="2026-11-01T10:00:00Z")
    requests.append(services.create_authorization(service_request=case.order, user=None))
    add_note(case.patient, COMPLETE_ESI_NOTE, date="2026-11-05T10:00:00Z")
    # Complete note: ready, and stays so (a second order of the same patient and payer shares the facts).
    case = practice_case()
    add_note(case.patient, COMPLETE_ESI_NOTE)
    requests.append(services.create_authorization(service_request=case.order, user=None))
    ProcedureFactory.create(patient=f"Patient/{case.patient.fhir_id}", cpt="64483",
                            performedDateTime="2026-06-01T10:00:00Z", status="completed")
    # Medicare payer: its own policy for the same note.
    case = practice_case(policy_key="medicare")
    add_note(case.patient, COMPLETE_ESI_NOTE)
    requests.append(services.create_authorization(service_request=case.order, user=None))
    # Thin note, stays needing documentation.
    case = practice_case()
    add_note(case.patient, THIN_ESI_NOTE)
    requests.append(services.create_authorization(service_request=case.order, user=None))
    # Already sent: not evaluated.
    case = practice_case()
    add_note(case.patient, COMPLETE_ESI_NOTE)
    sent = services.create_authorization(service_request=case.order, user=None)
    transition(sent, S.SUBMITTED)
    requests.append(sent)
    # The payer profile now names no policy set: refused, left as it is.
    case = practice_case()
    add_note(case.patient, COMPLETE_ESI_NOTE)
    requests.append(services.create_authorization(service_request=case.order, user=None))
    PayerProfile.objects.filter(pk=case.profile.pk).update(policy_key="no-such-payer")
    return requests


def _state(pks: list[int], since_change: int, since_event: int) -> dict:
    """What evaluation wrote: the rows' evaluated columns, the new StatusChanges and audit events."""
    rows = {a.pk: {name: getattr(a, name) for name in _FIELDS}
            for a in PriorAuthorization.objects.filter(pk__in=pks)}
    changes = list(StatusChange.objects.filter(pk__gt=since_change).order_by("authorization_id").values_list(
        "authorization_id", "from_status", "to_status", "user_id", "agent", "reason"))
    events = sorted(AuditEvent.objects.filter(pk__gt=since_event).values_list(
        "resource_type", "resource_id", "patient_id", "action", "subtype", "source", "user_id", "agent_name", "agent_roles"))
    return {"rows": rows, "changes": changes, "events": events}


def _marks() -> tuple[int, int]:
    last_change = StatusChange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    last_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return last_change, last_event


def _restore(saved: list[dict]) -> None:
    for row in saved:
        PriorAuthorization.objects.filter(pk=row["pk"]).update(**{k: v for k, v in row.items() if k != "pk"})


def test_the_batch_evaluates_stores_and_moves_exactly_as_one_by_one():
    requests = _mixed_requests()
    pks = [a.pk for a in requests]
    saved = list(PriorAuthorization.objects.filter(pk__in=pks).values("pk", *_FIELDS))
    assert {row["status"] for row in saved} >= {S.READY, S.NEEDS_DOCUMENTATION, S.SUBMITTED}

    change_mark, event_mark = _marks()
    refused = []
    for authorization in requests:
        try:
            services.evaluate_authorization(authorization=PriorAuthorization(pk=authorization.pk),
                                            agent="system:reevaluate")
        except services.AuthorizationError as exc:
            refused.append((authorization.pk, str(exc)))
    one_by_one = _state(pks, change_mark, event_mark)

    _restore(saved)
    change_mark, event_mark = _marks()
    result = services.evaluate_authorizations(authorizations=[PriorAuthorization(pk=pk) for pk in reversed(pks)],
                                              agent="system:reevaluate")
    batch = _state(pks, change_mark, event_mark)

    assert batch == one_by_one
    # The scenario exercised what it means to: one move to ready, a refusal, a sent request left alone.
    assert [(c[1], c[2]) for c in batch["changes"]] == [(S.NEEDS_DOCUMENTATION, S.READY)]
    assert list(result.skipped.items()) == refused == [(pks[-1], "no payer policy set named 'no-such-payer'")]
    assert sorted(result.evaluated) == pks[:4]
    assert [a.pk for a in result.authorizations] == sorted(pks)
    assert len(batch["events"]) == 4


def test_a_request_moving_back_to_needing_documentation_is_recorded_like_one_by_one():
    case = practice_case()
    add_note(case.patient, COMPLETE_ESI_NOTE)
    authorization = services.create_authorization(service_request=case.order, user=None)
    assert authorization.status == S.READY
    # The note is read again and now says less (a newer, thinner note wins per fact for some facts).
    add_note(case.patient, THIN_ESI_NOTE, date="2026-11-10T10:00:00Z")
    saved = list(PriorAuthorization.objects.filter(pk=authorization.pk).values("pk", *_FIELDS))

    change_mark, event_mark = _marks()
    services.evaluate_authorization(authorization=authorization, agent="system:reevaluate")
    one = _state([authorization.pk], change_mark, event_mark)
    _restore(saved)
    change_mark, event_mark = _marks()
    services.evaluate_authorizations(authorizations=[authorization], agent="system:reevaluate")

    assert _state([authorization.pk], change_mark, event_mark) == one


def _evaluation_queries(count: int) -> int:
    requests = []
    for _ in range(count):
        case = practice_case()
        add_note(case.patient, THIN_ESI_NOTE, date="2026-11-01T10:00:00Z")
        requests.append(services.create_authorization(service_request=case.order, user=None))
        add_note(case.patient, COMPLETE_ESI_NOTE, date="2026-11-05T10:00:00Z")
    with CaptureQueriesContext(connection) as queries:
        result = services.evaluate_authorizations(authorizations=requests, agent="system:reevaluate")
    assert len(result.evaluated) == count
    assert set(PriorAuthorization.objects.filter(pk__in=[a.pk for a in requests]).values_list(
        "status", flat=True)) == {S.READY}
    return len(queries)


def test_the_batch_query_count_does_not_grow_with_the_number_of_requests():
    few = _evaluation_queries(2)
    many = _evaluation_queries(7)

    assert few == many
    assert many <= 14
