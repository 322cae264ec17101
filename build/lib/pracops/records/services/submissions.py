"""Asynchronous Bundles: run once, remember the answer, never leave the client polling forever."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from pracops.access.roles import allowed
from pracops.audit.models import AuditEvent
from pracops.audit.services import record_bundle, record_bundle_entries
from pracops.fhir.outcome import FhirError, Issue
from pracops.records.models import BundleSubmission
from pracops.records.services.bundles import process_bundle

logger = logging.getLogger(__name__)

PENDING = (BundleSubmission.Status.QUEUED, BundleSubmission.Status.PROCESSING)


def run_submission(*, submission_id: str) -> BundleSubmission | None:
    """Run a queued submission once (its row locked; None if gone or running elsewhere), and
    store its response.

    Whatever the Bundle raises ends the submission as failed, so its poll stops answering 202:
    a FhirError with its own OperationOutcome, anything else as a generic 500 'processing'
    issue (no internals). Only a lost database connection is raised, for the task to retry.
    """
    with transaction.atomic():
        # Locked by another worker: a second delivery of its task, which must not wait it out.
        submission = (
            BundleSubmission.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("submitted_by").filter(id=submission_id).first()
        )
        if submission is None or submission.status not in PENDING:
            return submission
        user = submission.submitted_by
        try:
            with transaction.atomic():
                result = process_bundle(
                    submission.bundle, allowed=lambda i, t: allowed(user, i, t), base_url=submission.base_url,
                    record=lambda notes: record_bundle_entries(notes, user=user, source=AuditEvent.Source.TASK),
                )
                record_bundle(user=user, source=AuditEvent.Source.TASK,
                              kind=submission.bundle.get("type", "transaction"))
            submission.status = BundleSubmission.Status.COMPLETED
            submission.response, submission.response_status = result.response, 200
        except FhirError as exc:
            submission.status = BundleSubmission.Status.FAILED
            submission.response, submission.response_status = exc.outcome(), exc.status
        except (OperationalError, InterfaceError):
            raise  # the database is unreachable: nothing can be recorded, the task retries
        except SoftTimeLimitExceeded:
            logger.warning("bundle submission %s: time limit reached", submission.id)
            _fail(submission, Issue("timeout", "the Bundle took too long to process; nothing was stored"))
        except Exception as exc:  # noqa: BLE001 - a client must learn that its Bundle failed
            # The type only: an exception's text can quote the Bundle's patient data.
            logger.error("bundle submission %s failed with %s", submission.id, type(exc).__name__)
            _fail(submission, Issue("processing", "the Bundle could not be processed; nothing was stored"))
        submission.finished_at = timezone.now()
        submission.save(update_fields=["status", "response", "response_status", "finished_at"])
        return submission


def _fail(submission: BundleSubmission, issue: Issue) -> None:
    submission.status = BundleSubmission.Status.FAILED
    submission.response, submission.response_status = FhirError(500, issue).outcome(), 500


def expire_stale_submissions(*, now=None) -> int:
    """Fail the pending submissions older than ``FHIR_ASYNC_EXPIRY_SECONDS``; how many.

    One that a worker is running right now (its row locked) is left to finish.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.FHIR_ASYNC_EXPIRY_SECONDS)
    expired = 0
    with transaction.atomic():
        stale = BundleSubmission.objects.select_for_update(skip_locked=True).filter(
            status__in=PENDING, submitted_at__lt=cutoff)
        for submission in stale:
            _fail(submission, Issue("timeout", "the Bundle was not processed in time and has expired; "
                                               "nothing was stored, submit it again"))
            submission.finished_at = now
            submission.save(update_fields=["status", "response", "response_status", "finished_at"])
            expired += 1
    return expired


def claim_submissions_to_queue(*, now=None) -> list[str]:
    """Ids of the queued submissions whose task was queued longer than the grace period ago
    (lost, most likely); their ``queued_at`` moves to now, so the next sweep waits again."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.PENDING_WORK_GRACE_SECONDS)
    with transaction.atomic():
        ids = [str(pk) for pk in BundleSubmission.objects.select_for_update(skip_locked=True).filter(
            status=BundleSubmission.Status.QUEUED, queued_at__lte=cutoff).values_list("id", flat=True)]
        BundleSubmission.objects.filter(id__in=ids).update(queued_at=now)
    return ids
