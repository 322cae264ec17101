"""Sending claim files and collecting responses in the background. Each task takes ids, calls
one service and retries what may succeed later; the services make sure nothing is sent twice."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task
from django.db import DatabaseError

from billing.submission import selectors, services
from pracops.outbound import TransientError
from pracops.pending_work import enqueue


@shared_task(name="billing.submission.send_claim_file", acks_late=True, soft_time_limit=120, time_limit=150,
             autoretry_for=(TransientError, DatabaseError), retry_backoff=10, retry_backoff_max=600,
             retry_jitter=True, max_retries=6)
def send_claim_file_task(file_id: int) -> str:
    return services.send_claim_file(file_id=file_id).status


def enqueue_send(file_id: int) -> bool:
    """Queue the send, best effort: a broker that is down leaves the file ready for the beat."""
    return enqueue(send_claim_file_task, file_id)


@shared_task(name="billing.submission.send_scrubbed_claims", acks_late=True)
def send_scrubbed_claims_task() -> dict:
    """Beat: write files for scrubbed claims, and queue again files still ready or stale sending."""
    made = services.send_scrubbed_claims()
    made_ids = {claim_file.pk for claim_file in made}
    again = [pk for pk in selectors.files_to_send().values_list("pk", flat=True) if pk not in made_ids]
    for pk in again:
        enqueue_send(pk)
    return {"files": len(made), "queued_again": len(again)}


@shared_task(name="billing.submission.poll_clearinghouses", acks_late=True)
def poll_clearinghouses_task() -> list[dict]:
    """Beat: collect 999/277CA/835 files from every clearinghouse in use."""
    return [asdict(result) for result in services.collect_all_responses()]
