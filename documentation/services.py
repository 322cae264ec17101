"""Reading notes: extract their facts, store them, and record their scores as Observations."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from documentation.models import UNFINISHED, NoteFacts, NoteReading
from documentation.nlp.extract import EXTRACTOR_VERSION, extract_facts
from documentation.observations import score_observations
from documentation.selectors import notes_due_for_reading, text_sha256
from documentation.signals import note_facts_stored
from pracops.audit.models import AuditEvent
from pracops.audit.services import record_many
from pracops.records.models import DocumentReference
from pracops.records.registry import KINDS
from pracops.records.services import store_by_identifier

logger = logging.getLogger(__name__)


class NoteUnreadable(Exception):
    """Reading a note raised. The attempt is recorded (NoteReading) and the sweep tries again later."""

    def __init__(self, document_pk: int, error: str):
        # Ids and the error's type only: an extractor's exception can quote the note.
        super().__init__(f"note pk={document_pk}: {error}")
        self.document_pk, self.error = document_pk, error


def extract_note_facts(*, document_pk: int, force: bool = False, system: str = "extract_note_facts",
                       source: str = AuditEvent.Source.TASK) -> NoteFacts | None:
    """Extract a note's facts with the current extractor, once per note text and version.

    Idempotent: a note already read by this extractor version from the same text is left
    alone (unless ``force``), also when two deliveries of its task run at once. Each attempt
    is counted before it starts; a failure raises NoteUnreadable, and after
    ``NOTE_READING_MAX_ATTEMPTS`` the note is given up (None) until its text changes. A lost
    database connection is raised as is, for the task to retry. The note's text is never logged.
    The pain scores it records are audited as written by ``system`` from ``source`` (the task,
    or a command that reads notes itself).
    """
    document = DocumentReference.objects.filter(pk=document_pk).first()
    if document is None:
        return None  # deleted since the task was queued
    digest = text_sha256(document.text)
    existing = NoteFacts.objects.filter(document=document, extractor_version=EXTRACTOR_VERSION).first()
    if existing is not None and existing.text_sha256 == digest and not force:
        return existing
    if not force and _given_up(document, digest):
        return None
    _start_attempt(document, digest)
    try:
        note_date: date | None = document.date.date() if document.date else None
        facts = extract_facts(document.text, note_date=note_date)
        with transaction.atomic():
            # A second delivery of this task waits here, then finds the facts stored.
            DocumentReference.objects.select_for_update().filter(pk=document.pk).first()
            stored = NoteFacts.objects.filter(document=document, extractor_version=EXTRACTOR_VERSION).first()
            if force or stored is None or stored.text_sha256 != digest:
                stored, _ = NoteFacts.objects.update_or_create(
                    document=document, extractor_version=EXTRACTOR_VERSION,
                    defaults={"facts": facts, "text_sha256": digest, "extracted_at": timezone.now()},
                )
                _record_scores(document, facts, system=system, source=source)
                transaction.on_commit(lambda: note_facts_stored.send(
                    sender=NoteFacts, document_pk=document.pk, patient_pk=document.patient_id))
            NoteReading.objects.filter(document=document, extractor_version=EXTRACTOR_VERSION).delete()
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:  # noqa: BLE001 - recorded, and tried again by the sweep
        error = type(exc).__name__
        NoteReading.objects.filter(document=document, extractor_version=EXTRACTOR_VERSION).update(
            last_error=error[:100])
        raise NoteUnreadable(document.pk, error) from exc
    logger.info("note pk=%s: facts extracted (extractor %s)", document.pk, EXTRACTOR_VERSION)
    return stored


def _given_up(document: DocumentReference, digest: str) -> bool:
    return NoteReading.objects.filter(
        document=document, extractor_version=EXTRACTOR_VERSION, text_sha256=digest,
        attempts__gte=settings.NOTE_READING_MAX_ATTEMPTS,
    ).exists()


def _start_attempt(document: DocumentReference, digest: str) -> None:
    """Count an attempt before it runs (committed at once), so one that never returns counts too."""
    now = timezone.now()
    with transaction.atomic():
        reading, _ = NoteReading.objects.select_for_update().get_or_create(
            document=document, extractor_version=EXTRACTOR_VERSION)
        if reading.text_sha256 != digest:  # new text: earlier failures do not count against it
            reading.text_sha256, reading.attempts = digest, 0
        reading.attempts += 1
        reading.last_error = UNFINISHED
        reading.last_attempt_at = now
        # Later than the hard time limit, so an attempt still running is not queued again.
        reading.retry_after = now + timedelta(
            seconds=settings.NOTE_READING_RETRY_SECONDS * 2 ** (reading.attempts - 1))
        reading.save()


def claim_notes_to_read(*, now: datetime | None = None) -> list[int]:
    """The notes the sweep should queue (see ``notes_due_for_reading``), each marked so the
    next sweeps leave it alone for ``NOTE_READING_RETRY_SECONDS`` while it waits in the queue."""
    now = now or timezone.now()
    pks = notes_due_for_reading(
        EXTRACTOR_VERSION, now=now, limit=settings.PENDING_WORK_SWEEP_BATCH,
        settled_before=now - timedelta(seconds=settings.PENDING_WORK_GRACE_SECONDS),
    )
    retry_after = now + timedelta(seconds=settings.NOTE_READING_RETRY_SECONDS)
    with transaction.atomic():
        NoteReading.objects.filter(document_id__in=pks, extractor_version=EXTRACTOR_VERSION).update(
            retry_after=retry_after)
        NoteReading.objects.bulk_create(
            [NoteReading(document_id=pk, extractor_version=EXTRACTOR_VERSION, retry_after=retry_after)
             for pk in pks], ignore_conflicts=True)
    return pks


def _record_scores(document: DocumentReference, facts: dict, *, system: str, source: str) -> None:
    resource = KINDS["DocumentReference"].to_fhir(document)
    # Each score's identifier names the note and the fact: reading the note again updates it.
    ops = store_by_identifier(resources=score_observations(facts=facts, document=resource))
    events = [
        dict(action="C" if op.result == "created" else "U", resource_type="Observation",
             resource_id=op.fhir_id, patient_id=document.patient.fhir_id)
        for op in ops if op.result in ("created", "updated")
    ]
    # Changes made by the software are audited like anyone's.
    record_many(events, user=None, source=source, system=system)
