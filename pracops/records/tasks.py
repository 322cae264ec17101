"""Background work on the practice's records. Tasks take ids, load, and call one service."""

from __future__ import annotations

import logging

from celery import shared_task

from pracops.records.services.submissions import run_submission

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=5, default_retry_delay=10)
def process_bundle_submission(self, submission_id: str) -> None:
    """Run a Bundle accepted with ``Prefer: respond-async``. Safe to run twice: a finished one is left alone."""
    try:
        run_submission(submission_id=submission_id)
    except Exception as exc:  # database or broker trouble: try again later
        from django.db import DatabaseError

        if isinstance(exc, DatabaseError):
            logger.warning("bundle submission %s: %s, retrying", submission_id, type(exc).__name__)
            raise self.retry(exc=exc)
        raise
