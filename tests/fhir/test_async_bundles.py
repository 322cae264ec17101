"""Bundles sent with ``Prefer: respond-async`` are run by a Celery worker (a real one in CI)."""

import json

import pytest
from django.test import Client

from pracops.access.services import create_api_client
from pracops.records.models import BundleSubmission, Patient
from tests.celery_worker import wait_for

pytestmark = pytest.mark.worker


def _client(role: str = "integration") -> Client:
    _, token = create_api_client(name=f"async-{role}", role=role)
    return Client(headers={"Authorization": f"Bearer {token}"})


def _bundle(mrn: str) -> dict:
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [{
            "fullUrl": "urn:uuid:0b6a4c2e-4d47-4c2a-9d55-8e1f3f1a0a01",
            "resource": {
                "resourceType": "Patient",
                "identifier": [{"system": "urn:test:mrn", "value": mrn}],
                "name": [{"family": "Async", "given": ["Ada"]}],
            },
            "request": {"method": "POST", "url": "Patient"},
        }, {
            "resource": {
                "resourceType": "Encounter", "status": "finished",
                "class": {"code": "AMB"},
                "subject": {"reference": "urn:uuid:0b6a4c2e-4d47-4c2a-9d55-8e1f3f1a0a01"},
            },
            "request": {"method": "POST", "url": "Encounter"},
        }],
    }


def _poll(client: Client, location: str):
    def done():
        response = client.get(location)
        return response if response.status_code != 202 else None

    return wait_for(done, timeout=60)


def test_async_transaction_is_run_by_the_worker_and_answers_at_its_status_url(celery_worker):
    client = _client()

    response = client.post("/fhir", _bundle("ASYNC-1"), content_type="application/fhir+json",
                           headers={"Prefer": "respond-async"})

    assert response.status_code == 202
    location = response["Content-Location"]
    assert "/fhir/_async/" in location
    finished = _poll(client, location.split("testserver", 1)[-1])
    assert finished.status_code == 200
    body = finished.json()
    assert body["type"] == "transaction-response"
    assert [e["response"]["status"] for e in body["entry"]] == ["201 Created", "201 Created"]
    patient = Patient.objects.get(identifiers__value="ASYNC-1")
    encounter_subject = body["entry"][1]["resource"]["subject"]["reference"]
    assert encounter_subject == f"Patient/{patient.fhir_id}"


def test_async_transaction_that_fails_stores_nothing_and_reports_its_outcome(celery_worker):
    client = _client()
    bundle = _bundle("ASYNC-2")
    bundle["entry"][1]["resource"]["subject"] = {"reference": "Patient/does-not-exist"}

    response = client.post("/fhir", bundle, content_type="application/fhir+json",
                           headers={"Prefer": "respond-async"})

    finished = _poll(client, response["Content-Location"].split("testserver", 1)[-1])
    assert finished.status_code == 422
    assert finished.json()["resourceType"] == "OperationOutcome"
    assert not Patient.objects.filter(identifiers__value="ASYNC-2").exists()
    assert BundleSubmission.objects.get().status == BundleSubmission.Status.FAILED


def test_a_submission_runs_once_even_if_its_task_is_delivered_twice(celery_worker):
    from pracops.records.tasks import process_bundle_submission

    client = _client()
    response = client.post("/fhir", _bundle("ASYNC-3"), content_type="application/fhir+json",
                           headers={"Prefer": "respond-async"})
    _poll(client, response["Content-Location"].split("testserver", 1)[-1])
    submission = BundleSubmission.objects.get()

    process_bundle_submission.apply(args=[str(submission.id)])  # a redelivery, in-process

    assert Patient.objects.filter(identifiers__value="ASYNC-3").count() == 1


def test_async_status_is_private_to_the_submitter(celery_worker):
    owner, other = _client(), _client("front_office")
    response = owner.post("/fhir", _bundle("ASYNC-4"), content_type="application/fhir+json",
                          headers={"Prefer": "respond-async"})
    location = response["Content-Location"].split("testserver", 1)[-1]
    _poll(owner, location)  # let the worker finish before the test's tables are emptied

    assert other.get(location).status_code == 404
    assert owner.get(location).status_code == 200


def test_an_async_transaction_keeps_the_digits_of_its_decimals(celery_worker):
    client = _client()
    bundle = json.dumps(_bundle("ASYNC-5"))
    observation = ('{"resource":{"resourceType":"Observation","status":"final","code":{"text":"pi"},'
                   '"subject":{"reference":"urn:uuid:0b6a4c2e-4d47-4c2a-9d55-8e1f3f1a0a01"},'
                   '"valueQuantity":{"value":3.141592653589793238}},"request":{"method":"POST","url":"Observation"}}')
    bundle = bundle[:-2] + "," + observation + "]}"  # the entry list and the Bundle close the text

    response = client.post("/fhir", bundle, content_type="application/fhir+json",
                           headers={"Prefer": "respond-async"})

    assert response.status_code == 202
    finished = _poll(client, response["Content-Location"].split("testserver", 1)[-1])
    assert finished.status_code == 200
    assert b'"value":3.141592653589793238' in finished.content
