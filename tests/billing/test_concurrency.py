"""Two workers billing one encounter at once make one claim (PostgreSQL: real concurrent
transactions; SQLite serializes every writer, so there is nothing to race there)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from billing import services
from billing.models import Claim, ClaimLine
from tests.billing.factories import practice, price_list, visit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def encounter():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent transactions with row locks and a unique index")
    case = practice()
    price_list(None, {"64483": "950.00"})
    return visit(case)


def _bill_at_once(encounter, callers: int = 2) -> list:
    start = threading.Barrier(callers)
    made: list = []
    errors: list = []

    def bill():
        try:
            start.wait(timeout=30)
            made.append([claim.pk for claim in services.create_claims_for_encounter(encounter=encounter)])
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=bill) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return made


def test_two_workers_billing_one_encounter_make_one_claim(encounter):
    made = _bill_at_once(encounter)
    [claim] = Claim.objects.all()
    assert made == [[claim.pk], [claim.pk]]
    assert ClaimLine.objects.count() == 1 and claim.history.count() == 1


def test_without_the_lock_the_unique_constraint_still_makes_one_claim(encounter, monkeypatch):
    """Both callers get past both looks and insert; the second insert waits on the unique index,
    fails once the first commits, and the loser returns the winner's claim."""
    both_looked = threading.Barrier(2)
    new_claim = services._new_claim

    def after_both_looked(*args, **kwargs):
        both_looked.wait(timeout=30)
        return new_claim(*args, **kwargs)

    monkeypatch.setattr(services, "_lock_encounter", lambda pk: None)
    monkeypatch.setattr(services, "_new_claim", after_both_looked)
    made = _bill_at_once(encounter)
    [claim] = Claim.objects.all()
    assert made == [[claim.pk], [claim.pk]]
    assert ClaimLine.objects.count() == 1
