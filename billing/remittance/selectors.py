"""Reads of files received and of remittances."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from billing.remittance.models import ClaimPayment, X12File


def files_left_unread(*, older_than_seconds: int | None = None) -> list[int]:
    """Files still ``received`` after the grace period: their read task was lost (a killed worker)."""
    grace = settings.PENDING_WORK_GRACE_SECONDS if older_than_seconds is None else older_than_seconds
    cutoff = timezone.now() - timedelta(seconds=grace)
    return list(X12File.objects.filter(status=X12File.Status.RECEIVED, received_at__lte=cutoff)
                .order_by("received_at", "pk").values_list("pk", flat=True)[:500])


def open_suspense_items() -> QuerySet[ClaimPayment]:
    """Claim payments that matched no claim and wait for staff."""
    return (ClaimPayment.objects.filter(suspense=ClaimPayment.Suspense.OPEN)
            .select_related("remittance", "remittance__file").order_by("remittance__payment_date", "pk"))
