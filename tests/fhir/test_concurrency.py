"""Concurrent writes to the same records: real threads, each with its own PostgreSQL connection.

SQLite runs one writing transaction at a time, so these races cannot happen there.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Callable

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from pracops.records.models import Observation, Patient
from pracops.records.services import store_by_identifier
from tests.conftest import FhirApi
from tests.factories import MRN_SYSTEM, ApiClientFactory, PatientFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="needs PostgreSQL: SQLite serialises writers, so there is no race to lose",
    ),
]

THREADS = 20


def at_once(work: Callable[[int], object], n: int = THREADS) -> list:
    """Run ``work(i)`` in n threads released together; their results in order (or exceptions raised)."""
    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
    return results


@pytest.fixture
def integration() -> FhirApi:
    return FhirApi(Client(), ApiClientFactory(role="integration"))


def in_thread(api: FhirApi) -> FhirApi:
    return FhirApi(Client(), api.api_client)  # a test Client per thread


def test_concurrent_puts_with_the_same_if_match_let_exactly_one_through(integration):
    patient = PatientFactory()

    def put(i: int):
        body = {**patient, "name": [{"family": "Racer", "given": [f"Number{i}"]}]}
        return in_thread(integration).put(f"/fhir/Patient/{patient['id']}", body, **{"If-Match": 'W/"1"'})

    responses = at_once(put)

    assert Counter(r.status_code for r in responses) == {200: 1, 412: THREADS - 1}
    winner = next(r for r in responses if r.status_code == 200)
    stored = Patient.objects.get(fhir_id=patient["id"])
    assert (stored.version_id, winner["ETag"]) == (2, 'W/"2"')
    assert stored.given == winner.json()["name"][0]["given"][0]


def test_concurrent_puts_without_if_match_each_get_their_own_version_and_a_true_etag(integration):
    patient = PatientFactory()

    def put(i: int):
        body = {**patient, "name": [{"family": "Racer", "given": [f"Number{i}"]}]}
        return in_thread(integration).put(f"/fhir/Patient/{patient['id']}", body)

    responses = at_once(put)

    assert [r.status_code for r in responses] == [200] * THREADS
    versions = sorted(int(r.json()["meta"]["versionId"]) for r in responses)
    assert versions == list(range(2, THREADS + 2))  # no two writes share a version: none was lost
    for i, response in enumerate(responses):
        body = response.json()
        assert response["ETag"] == f'W/"{body["meta"]["versionId"]}"'
        assert body["name"][0]["given"] == [f"Number{i}"]  # the version it names holds its own write
    last = max(range(THREADS), key=lambda i: int(responses[i].json()["meta"]["versionId"]))
    stored = Patient.objects.get(fhir_id=patient["id"])
    assert (stored.version_id, stored.given) == (THREADS + 1, f"Number{last}")


@pytest.mark.parametrize("token", [f"{MRN_SYSTEM}|RACE-1", "RACE-1"], ids=["with-system", "value-only"])
def test_concurrent_conditional_creates_store_one_record_and_answer_the_rest_with_it(integration, token):
    def post(i: int):
        body = PatientFactory.build(mrn="RACE-1", given=f"Number{i}")
        return in_thread(integration).post("/fhir/Patient", body, **{"If-None-Exist": f"identifier={token}"})

    responses = at_once(post)

    assert Counter(r.status_code for r in responses) == {201: 1, 200: THREADS - 1}
    assert len({r.json()["id"] for r in responses}) == 1
    assert Patient.objects.count() == 1


def test_concurrent_note_readers_store_each_score_once():
    note = "urn:pracops:note-fact"
    patient = PatientFactory()

    def store(i: int):
        return store_by_identifier(resources=[{
            "resourceType": "Observation", "status": "final",
            "identifier": [{"system": note, "value": "note-1/pain.score"}],
            "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]},
            "subject": {"reference": f"Patient/{patient['id']}"},
            "valueInteger": i % 10,
        }])[0].result

    results = at_once(store)

    assert Counter(results)["created"] == 1
    assert Observation.objects.filter(identifiers__value="note-1/pain.score").count() == 1


def test_concurrent_puts_to_a_new_id_create_it_once_and_update_it_after(integration):
    sent = PatientFactory.build(id="ehr-race-7")

    def put(i: int):
        body = {**sent, "name": [{"family": "Racer", "given": [f"Number{i}"]}]}
        return in_thread(integration).put("/fhir/Patient/ehr-race-7", body)

    responses = at_once(put)

    assert Counter(r.status_code for r in responses) == {201: 1, 200: THREADS - 1}
    assert sorted(int(r.json()["meta"]["versionId"]) for r in responses) == list(range(1, THREADS + 1))
    assert Patient.objects.get(fhir_id="ehr-race-7").version_id == THREADS
