"""Asynchronous Bundles: run once, remember the answer."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from pracops.access.roles import allowed
from pracops.audit.models import AuditEvent
from pracops.audit.services import record_bundle, record_bundle_entries
from pracops.fhir.outcome import FhirError
from pracops.records.models import BundleSubmission
from pracops.records.services.bundles import process_bundle


def run_submission(*, submission_id: str) -> BundleSubmission | None:
    with transaction.atomic():
        submission = (
            BundleSubmission.objects.select_for_update(of=("self",)).select_related("submitted_by")
            .filter(id=submission_id).first()
        )
        if submission is None or submission.status in (
            BundleSubmission.Status.COMPLETED, BundleSubmission.Status.FAILED
        ):
            return submission
        user = submission.submitted_by
        try:
            with transaction.atomic():
                result = process_bundle(
                    submission.bundle, allowed=lambda i, t: allowed(user, i, t), base_url=submission.base_url,
                    record=lambda notes: record_bundle_entries(notes, user=user, source=AuditEvent.Source.TASK),
                )
                record_bundle([], user=user, source=AuditEvent.Source.TASK,
                              kind=submission.bundle.get("type", "transaction"))
            submission.status = BundleSubmission.Status.COMPLETED
            submission.response, submission.response_status = result.response, 200
        except FhirError as exc:
            submission.status = BundleSubmission.Status.FAILED
            submission.response, submission.response_status = exc.outcome(), exc.status
        submission.finished_at = timezone.now()
        submission.save(update_fields=["status", "response", "response_status", "finished_at"])
        return submission
