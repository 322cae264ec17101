"""Two receivers of one file store one row; two readers of one file post it once (PostgreSQL:
real concurrent transactions; SQLite serializes every writer, so there is nothing to race)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from billing.models import Claim
from billing.remittance import services
from billing.remittance.models import ClaimPayment, Remittance, X12File
from tests.billing.remittance.helpers import accepted, file_277ca, file_835, paid_in_full, submitted_claims

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent transactions with row locks and a unique index")


def at_once(work, callers: int = 2) -> list:
    start = threading.Barrier(callers)
    results: list = []
    errors: list = []

    def run():
        try:
            start.wait(timeout=30)
            results.append(work())
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


def test_two_receivers_of_one_file_store_one(monkeypatch):
    [claim] = submitted_claims(1)
    text = file_835([paid_in_full(claim)])
    both_looked = threading.Barrier(2)
    real_filter = X12File.objects.filter

    def look_then_wait(*args, **kwargs):
        found = real_filter(*args, **kwargs)
        if "sha256" in kwargs:
            found = list(found)  # both look before either stores
            both_looked.wait(timeout=30)
            return _First(found)
        return found

    monkeypatch.setattr(X12File.objects, "filter", look_then_wait)
    results = at_once(lambda: services.receive_x12_file(text=text, name="r.835", source="test"))

    assert sorted(created for _, created in results) == [False, True]
    assert len({stored.pk for stored, _ in results}) == 1 and X12File.objects.count() == 1


class _First:
    def __init__(self, rows):
        self.rows = rows

    def first(self):
        return self.rows[0] if self.rows else None


def test_two_readers_of_one_835_post_it_once():
    claims = submitted_claims(3)
    stored, _ = services.receive_x12_file(text=file_277ca([accepted(c) for c in claims]), name="a", source="test")
    services.read_x12_file(file_id=stored.pk)
    remit, _ = services.receive_x12_file(text=file_835([paid_in_full(c) for c in claims]), name="r", source="test")

    results = at_once(lambda: services.read_x12_file(file_id=remit.pk).status)

    assert results == ["posted", "posted"]
    assert Remittance.objects.count() == 1 and ClaimPayment.objects.count() == 3
    for claim in claims:
        claim.refresh_from_db()
        assert claim.status == Claim.Status.PAID and claim.history.filter(to_status="paid").count() == 1
