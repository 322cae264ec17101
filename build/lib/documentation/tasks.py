"""Note understanding runs on the ``nlp`` queue, one pipeline per worker process."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from documentation.services import NoteUnreadable, claim_notes_to_read, extract_note_facts
from pracops.pending_work import enqueue

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=5, default_retry_delay=15,
             soft_time_limit=settings.NOTE_READING_SOFT_TIME_LIMIT, time_limit=settings.NOTE_READING_TIME_LIMIT)
def extract_note_facts_task(self, document_pk: int) -> None:
    """Read one note. Database trouble is retried here; a note the extractor cannot read (or
    not within the soft time limit) is recorded on the note and tried again by the sweep."""
    try:
        extract_note_facts(document_pk=document_pk)
    except NoteUnreadable as exc:
        logger.warning("note pk=%s: reading failed with %s; the sweep tries again later",
                       exc.document_pk, exc.error)
    except DatabaseError as exc:
        raise self.retry(exc=exc)


def sweep_unread_notes() -> int:
    """Queue the notes whose reading was lost or failed and is due again (see pracops/pending_work.py)."""
    pks = claim_notes_to_read()
    for pk in pks:
        enqueue(extract_note_facts_task, pk)
    return len(pks)
