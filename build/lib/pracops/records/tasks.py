"""Background work on the practice's records. Tasks take ids, load, and call one service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from pracops.pending_work import enqueue
from pracops.records.services.submissions import (
    claim_submissions_to_queue,
    expire_stale_submissions,
    run_submission,
)

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=5, default_retry_delay=10,
             soft_time_limit=settings.FHIR_ASYNC_SOFT_TIME_LIMIT, time_limit=settings.FHIR_ASYNC_TIME_LIMIT)
def process_bundle_submission(self, submission_id: str) -> None:
    """Run a Bundle accepted with ``Prefer: respond-async``. Safe to run twice: a finished one is left alone.

    Database trouble is retried here; should the retries run out, the submission stays queued
    and the pending-work sweep queues it again until it expires.
    """
    try:
        run_submission(submission_id=submission_id)
    except DatabaseError as exc:
        logger.warning("bundle submission %s: %s, retrying", submission_id, type(exc).__name__)
        raise self.retry(exc=exc)


def sweep_bundle_submissions() -> int:
    """Expire the stale asynchronous Bundles and queue again those whose task was lost."""
    expire_stale_submissions()
    ids = claim_submissions_to_queue()
    for submission_id in ids:
        enqueue(process_bundle_submission, submission_id)
    return len(ids)
