"""Work committed is work done: a note and an asynchronous Bundle accepted while the broker is
down are each processed exactly once when it is back (pracops/pending_work.py)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from documentation.models import NoteFacts
from pracops.records.models import BundleSubmission, DocumentReference, Patient
from tests.celery_worker import wait_for
from tests.factories import DocumentReferenceFactory, PatientFactory
from tests.fhir.test_async_bundles import _bundle
from tests.records.test_async_bundles_durability import Submitter

pytestmark = pytest.mark.worker


def test_a_note_and_a_bundle_posted_while_the_broker_is_down_are_processed_once_it_is_back(
        private_broker, api, settings):
    private_broker.start()
    private_broker.start_worker()
    private_broker.stop()
    ehr = Submitter()

    note = api.post("/fhir/DocumentReference", DocumentReferenceFactory.build(
        patient=PatientFactory(), text="Low back pain for 8 months. Pain 7/10 today."))
    location = ehr.submit(_bundle("DOWN-1"))

    assert note.status_code == 201  # answered, not 500: the note is stored and will be read
    assert DocumentReference.objects.count() == 1 and BundleSubmission.objects.count() == 1
    private_broker.start()
    settings.PENDING_WORK_GRACE_SECONDS = 0
    call_command("sweep_pending_work")

    assert ehr.finished(location, timeout=90).status_code == 200
    wait_for(lambda: NoteFacts.objects.exists(), timeout=120)
    call_command("sweep_pending_work")  # nothing is pending any more: nothing runs twice
    assert Patient.objects.filter(identifiers__value="DOWN-1").count() == 1
    assert NoteFacts.objects.get().facts["pain"]["nrs_current"] == 7
    assert DocumentReference.objects.count() == 1


@pytest.mark.django_db
def test_beat_runs_the_sweep_every_minute():
    from pracops.celery import app

    entry = app.conf.beat_schedule["sweep-pending-work"]

    assert entry["schedule"] == 60
    assert app.tasks[entry["task"]].apply().get() == {
        "sweep_bundle_submissions": 0, "sweep_unread_notes": 0, "sweep_prior_authorizations": 0,
        "sweep_received_files": 0, "sweep_stale_projections": 0}
