"""Reading received X12 files in the background. Tasks take ids and call one service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError

from billing.remittance import selectors, services
from pracops.pending_work import enqueue

logger = logging.getLogger(__name__)


@shared_task(name="billing.remittance.tasks.read_x12_file_task", acks_late=True, soft_time_limit=300,
             time_limit=360, autoretry_for=(DatabaseError,), retry_backoff=5, max_retries=5)
def read_x12_file_task(file_id: int) -> str:
    """Read and post one received file, once (a file already read is left alone)."""
    stored = services.read_x12_file(file_id=file_id, agent="system:remittance")
    logger.info("x12 file pk=%s: %s %s", file_id, stored.kind or "unknown", stored.status)
    return stored.status


def sweep_received_files() -> int:
    """Queue again the files still ``received`` after the grace period (a worker that died)."""
    ids = selectors.files_left_unread()
    for pk in ids:
        enqueue(read_x12_file_task, pk)
    return len(ids)
