"""Prior authorization background work. Each task takes ids, calls one service and retries
what may succeed later (a payer or database briefly away); the services hold the logic."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError

from priorauth import services
from priorauth.models import PriorAuthorization
from pracops.outbound import TransientError
from pracops.pending_work import enqueue

logger = logging.getLogger(__name__)

# Sending: 6 tries after the first, waiting about 10 s, 20 s, ... up to 10 minutes between them
# (jittered); the sweep queues a submission still not sent after that.
_SEND_RETRY = dict(autoretry_for=(TransientError, DatabaseError), retry_backoff=10, retry_backoff_max=600,
                   retry_jitter=True, max_retries=6)


@shared_task(acks_late=True, soft_time_limit=120, time_limit=150, **_SEND_RETRY)
def send_submission_task(authorization_pk: int) -> str:
    """Send one request to its payer, exactly once (see services.send_submission)."""
    outcome = services.send_submission(authorization_pk=authorization_pk)
    logger.info("prior authorization pk=%s: submission %s", authorization_pk, outcome)
    return outcome


@shared_task(acks_late=True, soft_time_limit=120, time_limit=150, autoretry_for=(DatabaseError,),
             retry_backoff=5, max_retries=5)
def build_packet_task(authorization_pk: int) -> None:
    """Render and store one request's packet."""
    if PriorAuthorization.objects.filter(pk=authorization_pk).exists():
        services.build_packet(authorization=PriorAuthorization(pk=authorization_pk))


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90, autoretry_for=(TransientError, DatabaseError),
             retry_backoff=10, retry_backoff_max=300, max_retries=3)
def check_status_task(authorization_pk: int) -> str:
    """Ask the payer about one request ($inquire) and apply its answer."""
    if not PriorAuthorization.objects.filter(pk=authorization_pk).exists():
        return "gone"
    return services.check_status(authorization=PriorAuthorization(pk=authorization_pk))


@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=5, max_retries=5)
def reevaluate_patient_task(patient_pk: int) -> int:
    """Evaluate again the patient's requests still being prepared (a new note or procedure)."""
    return services.reevaluate_patient(patient_pk=patient_pk)


@shared_task(name="priorauth.poll_payers", acks_late=True)
def poll_payers_task() -> int:
    """Beat: queue a status check of every request awaiting a payer that can be asked."""
    return services.poll_payers()


@shared_task(name="priorauth.expire_approvals", acks_late=True)
def expire_approvals_task() -> int:
    """Beat, daily: approvals past their valid period become expired."""
    return services.expire_approvals()


def sweep_prior_authorizations() -> int:
    """Queue again submissions and packets asked for and not done after the grace period
    (see pracops/pending_work.py)."""
    submissions, packets = services.claim_pending_work()
    for pk in submissions:
        enqueue(send_submission_task, pk)
    for pk in packets:
        enqueue(build_packet_task, pk)
    return len(submissions) + len(packets)


