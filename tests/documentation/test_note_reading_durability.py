"""A note stored is read, even when its task is lost or its reading fails: failures are recorded
on the note, tried again with backoff by the sweep, and given up after a few attempts."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from documentation import services
from documentation.models import NoteFacts, NoteReading
from documentation.nlp.extract import EXTRACTOR_VERSION
from documentation.selectors import notes_to_read
from documentation.services import claim_notes_to_read
from documentation.tasks import extract_note_facts_task
from pracops.records.models import DocumentReference
from pracops.records.services import create_resource, update_resource
from tests.celery_worker import wait_for
from tests.factories import DocumentReferenceFactory, PatientFactory

NOTE = "HPI: Low back pain for 8 months. Pain 7/10 today. Patient Ada Quokka-Lovelace."


def _broker_down(*args, **kwargs):
    raise BrokerError("Connection refused")


def _raiser(error: Exception):
    def raise_it(*args, **kwargs):
        raise error
    return raise_it


def _note(text: str = NOTE) -> DocumentReference:
    """A stored note whose task never ran (the test's transaction is never committed)."""
    note = DocumentReferenceFactory(patient=PatientFactory(), text=text)
    return DocumentReference.objects.get(fhir_id=note["id"])


def _settled(document: DocumentReference, minutes: int = 10) -> None:
    DocumentReference.objects.filter(pk=document.pk).update(
        last_updated=timezone.now() - timedelta(minutes=minutes))


@pytest.mark.worker
def test_a_note_whose_task_cannot_be_queued_is_stored_once_and_read_by_the_sweep(
        api, celery_worker, monkeypatch, settings, caplog):
    with monkeypatch.context() as broken:
        broken.setattr(extract_note_facts_task, "delay", _broker_down)
        response = api.post("/fhir/DocumentReference", DocumentReferenceFactory.build(
            patient=PatientFactory(), text=NOTE))

    assert response.status_code == 201
    assert "not queued (OperationalError)" in caplog.text
    assert DocumentReference.objects.count() == 1 and not NoteFacts.objects.exists()
    settings.PENDING_WORK_GRACE_SECONDS = 0
    call_command("sweep_pending_work")

    wait_for(lambda: NoteFacts.objects.exists(), timeout=90)
    assert NoteFacts.objects.get().facts["pain"]["nrs_current"] == 7


@pytest.mark.parametrize("error", [ValueError(f"could not parse: {NOTE}"), SoftTimeLimitExceeded()],
                         ids=["raises", "time-limit"])
def test_a_note_that_fails_to_be_read_is_recorded_and_retried_by_the_sweep(db, monkeypatch, caplog, error):
    document = _note()
    _settled(document)
    monkeypatch.setattr(services, "extract_facts", _raiser(error))

    with caplog.at_level(logging.INFO):
        extract_note_facts_task.apply(args=[document.pk])

    reading = NoteReading.objects.get(document=document)
    assert reading.attempts == 1 and reading.last_error == type(error).__name__
    assert not NoteFacts.objects.exists()
    assert "Quokka" not in caplog.text and "reading failed" in caplog.text
    assert claim_notes_to_read() == []  # backing off
    assert claim_notes_to_read(now=reading.retry_after + timedelta(seconds=1)) == [document.pk]

    monkeypatch.undo()
    extract_note_facts_task.apply(args=[document.pk])

    assert NoteFacts.objects.filter(document=document).count() == 1
    assert not NoteReading.objects.exists()


def test_a_note_is_given_up_after_its_attempts_and_the_admin_says_so(db, monkeypatch, settings, client):
    settings.NOTE_READING_MAX_ATTEMPTS = 2
    document = _note()
    _settled(document)
    monkeypatch.setattr(services, "extract_facts", _raiser(ValueError("unreadable")))

    for _ in range(3):
        extract_note_facts_task.apply(args=[document.pk])

    assert NoteReading.objects.get(document=document).attempts == 2
    assert claim_notes_to_read(now=timezone.now() + timedelta(days=30)) == []
    client.force_login(User.objects.create_superuser("reader", "r@example.org", "a-long-test-password"))
    page = client.get(f"/admin/records/documentreference/{document.pk}/change/").content.decode()
    assert "failed 2 times (last error: ValueError); given up." in page


def test_the_sweep_leaves_new_notes_to_their_own_task_and_queues_a_lost_one_once(db, settings):
    fresh, lost = _note(), _note()
    _settled(lost)

    assert claim_notes_to_read() == [lost.pk]
    assert claim_notes_to_read() == []  # it waits in the queue: not queued again every minute


def test_the_sweep_reads_a_note_again_when_its_text_changed_and_its_task_was_lost(db, settings):
    changed, touched = _note(), _note()
    for document in (changed, touched):
        extract_note_facts_task.apply(args=[document.pk])
    resource = DocumentReferenceFactory.build(patient=PatientFactory(), text=NOTE.replace("7/10", "4/10"))
    update_resource(resource_type="DocumentReference", fhir_id=changed.fhir_id,
                    resource={**resource, "id": changed.fhir_id})
    DocumentReference.objects.filter(pk=touched.pk).update(last_updated=timezone.now())
    settings.PENDING_WORK_GRACE_SECONDS = 0

    assert claim_notes_to_read() == [changed.pk]



def _pdf_document(patient) -> DocumentReference:
    """A document without text (a PDF, as a prior authorization packet is stored)."""
    resource = DocumentReferenceFactory.build(patient=patient)
    resource["content"] = [{"attachment": {"contentType": "application/pdf", "data": "JVBERi0xLjQK"}}]
    return DocumentReference.objects.get(fhir_id=create_resource(resource=resource).fhir_id)


def test_a_document_without_text_is_not_queued_for_reading(db, settings, monkeypatch,
                                                          django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr(extract_note_facts_task, "delay", lambda pk: queued.append(pk))
    with django_capture_on_commit_callbacks(execute=True):
        pdf = _pdf_document(PatientFactory())
    note = _note()
    _settled(pdf), _settled(note)
    settings.PENDING_WORK_GRACE_SECONDS = 0

    assert pdf.text == "" and pdf.pk not in queued
    assert claim_notes_to_read() == [note.pk]  # the sweep passes it over too
    assert list(notes_to_read(EXTRACTOR_VERSION)) == [note.pk]  # and `read_notes`
