"""Projecting billing claims into FHIR in the background. Tasks take ids and call one service."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from celery import shared_task
from django.db import DatabaseError, transaction

from billing.fhir import selectors, services
from pracops.pending_work import enqueue

logger = logging.getLogger(__name__)


@shared_task(name="billing.fhir.project_claims", acks_late=True, soft_time_limit=300, time_limit=360,
             autoretry_for=(DatabaseError,), retry_backoff=5, max_retries=5)
def project_claims_task(claim_ids: list[int]) -> dict:
    done = services.project_claims(claim_ids=claim_ids)
    logger.info("billing FHIR projection: %s claims, %s records %s", done.claims, sum(done.records.values()),
                dict(done.records))
    return {"claims": done.claims, "skipped": done.skipped, "failed": done.failed, **done.records}


def enqueue_projection(claim_ids: Iterable[int]) -> int:
    """Queue the projection of these claims, ``services.BATCH`` a task; how many tasks were queued."""
    ids = sorted(set(claim_ids))
    queued = 0
    for start in range(0, len(ids), services.BATCH):
        queued += enqueue(project_claims_task, ids[start:start + services.BATCH])
    return queued


class _PendingProjection:
    """The on-commit callback of one transaction: every claim it changed, projected once."""

    def __init__(self) -> None:
        self.claim_ids: set[int] = set()
        self.called = False

    def __call__(self) -> None:
        self.called = True
        enqueue_projection(self.claim_ids)


def project_on_commit(claim_ids: Iterable[int]) -> None:
    """Queue the projection of these claims once the current transaction commits; the claims a
    transaction changes are gathered into one callback (a file moving 10,000 claims queues 50
    tasks, not 10,000)."""
    ids = set(claim_ids)
    if not ids:
        return
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        for _, callback, _ in connection.run_on_commit:
            if isinstance(callback, _PendingProjection) and not callback.called:
                callback.claim_ids |= ids
                return
    pending = _PendingProjection()
    pending.claim_ids |= ids
    transaction.on_commit(pending)


def sweep_stale_projections() -> int:
    """Queue again the claims whose projection is missing or stale after the grace period (a task
    lost with its worker, or a payment posted with no move of its claim)."""
    ids = selectors.stale_claim_ids()
    enqueue_projection(ids)
    return len(ids)
