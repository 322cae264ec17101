"""Two billers scrubbing one claim through the API at once (PostgreSQL: real concurrent
transactions under the claim's row lock; SQLite serializes every writer, nothing to race)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from billing.models import Claim
from tests.billing.api.conftest import S, BillingApi, claim_in
from tests.billing.factories import practice, price_list

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_scrubs_at_once_move_the_claim_once():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent transactions with row locks")
    case = practice()
    price_list(None, {"64483": "950.00"})
    claim = claim_in(case, S.DRAFT)
    callers = [BillingApi("billing"), BillingApi("billing")]
    start = threading.Barrier(2)
    answers: list[int] = []
    errors: list[Exception] = []

    def scrub(api):
        try:
            start.wait(timeout=30)
            answers.append(api.post(f"/api/claims/{claim.public_id}/scrub/").status_code)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scrub, args=(api,)) for api in callers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == [] and answers == [200, 200]
    stored = Claim.objects.get(pk=claim.pk)
    assert stored.status == S.SCRUBBED
    assert stored.history.filter(to_status=S.SCRUBBED).count() == 1
