"""Reading notes: extract their facts, store them, and record their scores as Observations."""

from __future__ import annotations

import hashlib
import logging
from datetime import date

from django.db import transaction

from documentation.models import NoteFacts
from documentation.nlp.extract import EXTRACTOR_VERSION, extract_facts
from documentation.observations import score_observations
from pracops.audit.models import AuditEvent
from pracops.audit.services import record_many
from pracops.records.models import DocumentReference
from pracops.records.registry import KINDS
from pracops.records.services import store_by_identifier

logger = logging.getLogger(__name__)


def extract_note_facts(*, document_pk: int, force: bool = False) -> NoteFacts | None:
    """Extract a note's facts with the current extractor, once per note text and version.

    Idempotent: a note already read by this extractor version from the same text is left
    alone (unless ``force``). The note's text is never logged.
    """
    document = DocumentReference.objects.filter(pk=document_pk).first()
    if document is None:
        return None  # deleted since the task was queued
    digest = hashlib.sha256(document.text.encode("utf-8", errors="replace")).hexdigest()
    existing = NoteFacts.objects.filter(document=document, extractor_version=EXTRACTOR_VERSION).first()
    if existing is not None and existing.text_sha256 == digest and not force:
        return existing
    note_date: date | None = document.date.date() if document.date else None
    facts = extract_facts(document.text, note_date=note_date)
    with transaction.atomic():
        stored, _ = NoteFacts.objects.update_or_create(
            document=document, extractor_version=EXTRACTOR_VERSION,
            defaults={"facts": facts, "text_sha256": digest},
        )
        _record_scores(document, facts)
    logger.info("note %s: facts extracted (extractor %s)", document.fhir_id, EXTRACTOR_VERSION)
    return stored


def _record_scores(document: DocumentReference, facts: dict) -> None:
    resource = KINDS["DocumentReference"].to_fhir(document)
    # Each score's identifier names the note and the fact: reading the note again updates it.
    ops = store_by_identifier(resources=score_observations(facts=facts, document=resource))
    events = [
        dict(action="C" if op.result == "created" else "U", resource_type="Observation",
             resource_id=op.fhir_id, patient_id=document.patient.fhir_id)
        for op in ops if op.result in ("created", "updated")
    ]
    # Changes made by the software are audited like anyone's.
    record_many(events, user=None, source=AuditEvent.Source.TASK, system="extract_note_facts")
