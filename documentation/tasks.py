"""Note understanding runs on the ``nlp`` queue, one pipeline per worker process."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError

from documentation.services import extract_note_facts

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=5, default_retry_delay=15)
def extract_note_facts_task(self, document_pk: int) -> None:
    """Read one note. Database trouble is retried; a note the extractor cannot read is logged
    (by id and error type only: never its text) and left for a newer extractor."""
    try:
        extract_note_facts(document_pk=document_pk)
    except DatabaseError as exc:
        raise self.retry(exc=exc)
    except Exception as exc:  # noqa: BLE001 - one unreadable note must not stop the queue
        logger.error("note pk=%s: extraction failed with %s", document_pk, type(exc).__name__)
