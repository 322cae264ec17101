"""What the sandbox clearinghouse reads: a submitter's mailbox and one file in it."""

from __future__ import annotations

from django.db.models.functions import Length

from sandbox.clearinghouse.models import ClearinghouseClaim, ResponseFile, Submission


def mailbox(submitter: str, *, after: int = 0, limit: int = 100) -> list[ResponseFile]:
    """The submitter's response files not yet acknowledged, with ids greater than ``after``,
    oldest first; each carries ``size`` (characters) instead of its text."""
    return list(ResponseFile.objects.filter(submitter=submitter, acknowledged_at__isnull=True, pk__gt=after)
                .annotate(size=Length("text")).defer("text").order_by("id")[:limit])


def response_file(submitter: str, file_id: int) -> ResponseFile | None:
    """One of the submitter's response files, acknowledged or not."""
    return ResponseFile.objects.filter(submitter=submitter, pk=file_id).first()


def claims_of(submission: Submission) -> list[ClearinghouseClaim]:
    return list(submission.claims.order_by("id"))
