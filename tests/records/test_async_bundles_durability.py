"""An asynchronous Bundle accepted is run, whatever happens to the broker or the worker, and its
poll always ends: completed, failed with its OperationOutcome, or expired."""

from __future__ import annotations

import logging
import os
import signal
from datetime import timedelta

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from pracops.access.services import create_api_client
from pracops.records.models import BundleSubmission, Patient
from pracops.records.tasks import process_bundle_submission
from tests.celery_worker import database_url, wait_for
from tests.fhir.test_async_bundles import _bundle

ASYNC = {"Prefer": "respond-async"}


class Submitter:
    """An EHR client that posts asynchronous Bundles and polls them."""

    def __init__(self):
        self.user, token = create_api_client(name="durability", role="integration")
        self.client = Client(headers={"Authorization": f"Bearer {token}"})

    def submit(self, bundle: dict) -> str:
        response = self.client.post("/fhir", bundle, content_type="application/fhir+json", headers=ASYNC)
        assert response.status_code == 202, response.content
        return response["Content-Location"].split("testserver", 1)[-1]

    def poll(self, location: str):
        return self.client.get(location)

    def finished(self, location: str, timeout: float = 60):
        return wait_for(lambda: (r := self.poll(location)).status_code != 202 and r, timeout=timeout)


def _broker_down(*args, **kwargs):
    raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


@pytest.mark.worker
def test_a_bundle_whose_task_cannot_be_queued_is_accepted_and_run_by_the_sweep(
        celery_worker, monkeypatch, settings, caplog):
    ehr = Submitter()
    with monkeypatch.context() as broken:
        broken.setattr(process_bundle_submission, "delay", _broker_down)
        location = ehr.submit(_bundle("DURABLE-1"))

    assert ehr.poll(location).status_code == 202
    assert "not queued (OperationalError)" in caplog.text
    settings.PENDING_WORK_GRACE_SECONDS = 0
    call_command("sweep_pending_work")

    assert ehr.finished(location).status_code == 200
    assert Patient.objects.filter(identifiers__value="DURABLE-1").count() == 1


def test_the_sweep_leaves_a_submission_inside_its_grace_period_to_its_own_task(db, monkeypatch):
    queued = []
    monkeypatch.setattr(process_bundle_submission, "delay", lambda *args: queued.append(args))
    submission = BundleSubmission.objects.create(bundle=_bundle("DURABLE-2"))

    call_command("sweep_pending_work")
    assert queued == []

    BundleSubmission.objects.filter(pk=submission.pk).update(queued_at=timezone.now() - timedelta(minutes=6))
    call_command("sweep_pending_work")
    call_command("sweep_pending_work")  # queued again once per grace period, not once per sweep
    assert queued == [(str(submission.id),)]


def test_a_submission_that_raises_fails_with_a_processing_outcome_and_its_poll_stops(db, monkeypatch, caplog):
    ehr = Submitter()
    submission = BundleSubmission.objects.create(bundle=_bundle("DURABLE-3"), submitted_by=ehr.user)

    def crash(*args, **kwargs):
        raise RuntimeError("patient Ada Async, MRN DURABLE-3, could not be stored")

    monkeypatch.setattr("pracops.records.services.submissions.process_bundle", crash)
    with caplog.at_level(logging.INFO):
        process_bundle_submission.apply(args=[str(submission.id)])

    answer = ehr.poll(f"/fhir/_async/{submission.id}")
    assert answer.status_code == 500
    issue = answer.json()["issue"][0]
    assert issue["code"] == "processing" and "DURABLE-3" not in issue["diagnostics"]
    assert "RuntimeError" in caplog.text and "DURABLE-3" not in caplog.text
    assert BundleSubmission.objects.get().status == BundleSubmission.Status.FAILED


def test_a_submission_left_unfinished_past_the_expiry_fails_as_expired(db, settings, monkeypatch):
    monkeypatch.setattr(process_bundle_submission, "delay", lambda *args: None)
    settings.FHIR_ASYNC_EXPIRY_SECONDS = 3600
    ehr = Submitter()
    long_ago = timezone.now() - timedelta(hours=2)
    stale = BundleSubmission.objects.create(bundle=_bundle("DURABLE-4"), submitted_by=ehr.user,
                                            submitted_at=long_ago, queued_at=long_ago)
    recent = BundleSubmission.objects.create(bundle=_bundle("DURABLE-5"), submitted_by=ehr.user)

    call_command("sweep_pending_work")

    answer = ehr.poll(f"/fhir/_async/{stale.id}")
    assert answer.status_code == 500
    assert answer.json()["issue"][0]["code"] == "timeout"
    assert ehr.poll(f"/fhir/_async/{recent.id}").status_code == 202


@pytest.mark.worker
def test_a_bundle_whose_worker_is_killed_mid_task_is_run_once_by_another(private_broker, settings):
    private_broker.start()
    doomed = private_broker.start_worker()
    ehr = Submitter()
    # A connection of the test's own holds the patient table, so the worker stops mid-Bundle.
    with psycopg.connect(database_url(), autocommit=False) as blocker:
        blocker.execute("LOCK TABLE records_patient IN EXCLUSIVE MODE")
        location = ehr.submit(_bundle("KILLED-1"))
        wait_for(_a_worker_waits_for_the_patient_table, timeout=60)

        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=10)
        blocker.rollback()

    assert ehr.poll(location).status_code == 202
    private_broker.start_worker()
    settings.PENDING_WORK_GRACE_SECONDS = 0
    call_command("sweep_pending_work")

    assert ehr.finished(location, timeout=90).status_code == 200
    assert Patient.objects.filter(identifiers__value="KILLED-1").count() == 1


def _a_worker_waits_for_the_patient_table() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE relation = 'records_patient'::regclass AND NOT granted")
        return cursor.fetchone()[0] > 0


def test_a_second_delivery_leaves_a_submission_running_elsewhere_alone_without_waiting(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: a row lock held by another connection")
    ehr = Submitter()
    submission = BundleSubmission.objects.create(bundle=_bundle("LOCKED-1"), submitted_by=ehr.user)
    with psycopg.connect(database_url(), autocommit=False) as running:  # a worker busy with it
        running.execute("SELECT 1 FROM records_bundlesubmission WHERE id = %s FOR UPDATE", [submission.id])

        started = timezone.now()
        with connection.cursor() as cursor:  # waiting for the lock would fail, not hang, the test
            cursor.execute("SET lock_timeout = '3s'")
        try:
            process_bundle_submission.apply(args=[str(submission.id)])
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = 0")

        assert timezone.now() - started < timedelta(seconds=5)
        assert not Patient.objects.filter(identifiers__value="LOCKED-1").exists()
        running.rollback()
    process_bundle_submission.apply(args=[str(submission.id)])
    assert Patient.objects.filter(identifiers__value="LOCKED-1").count() == 1
