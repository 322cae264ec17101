"""pracops.bulk.update_rows: the same rows as bulk_update, whatever the column types."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from pracops.bulk import update_rows
from priorauth.models import PriorAuthorization
from tests.priorauth.workflow import COMPLETE_ESI_NOTE, add_note, practice_case

pytestmark = pytest.mark.django_db

_FIELDS = ["status", "evaluation", "ready", "policy_id", "evaluated_at", "valid_until", "approved_units"]


def _request() -> PriorAuthorization:
    from priorauth import services

    case = practice_case()
    add_note(case.patient, COMPLETE_ESI_NOTE)
    return services.create_authorization(service_request=case.order, user=None)


def test_update_rows_writes_each_type_as_bulk_update_does_and_leaves_other_rows_alone():
    first, second, untouched = _request(), _request(), _request()
    before = PriorAuthorization.objects.filter(pk=untouched.pk).values(*_FIELDS).get()
    first.evaluation = {"criteria": [{"id": "x", "text": "it's \"quoted\" ü", "facts": {"a": [1, 2.5, None]}}]}
    first.ready, first.policy_id, first.status = False, "", "needs_documentation"
    first.evaluated_at = datetime(2026, 11, 3, 8, 30, 15, 123456, tzinfo=timezone.utc)
    first.valid_until, first.approved_units = date(2027, 1, 31), 3
    second.evaluation, second.evaluated_at, second.valid_until, second.approved_units = {}, None, None, None

    update_rows([first, second], _FIELDS)

    for obj in (first, second):
        stored = PriorAuthorization.objects.filter(pk=obj.pk).values(*_FIELDS).get()
        assert stored == {name: getattr(obj, name) for name in _FIELDS}
    assert PriorAuthorization.objects.filter(pk=untouched.pk).values(*_FIELDS).get() == before
