"""Reads for the projection: what a claim's FHIR records are built from, and which claims'
projections are stale."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing.fhir.models import ClaimProjection
from billing.fhir.resources import ClaimFacts
from billing.models import Claim, ClaimLine, ClaimStatusChange
from billing.remittance.models import ClaimPayment, PaymentAdjustment, ServiceLinePayment

S = Claim.Status


def ever_sent() -> Exists:
    """Claims sent once, whatever they are now (a claim sent goes back to draft or scrubbed only
    to be fixed and sent again; one closed as a draft was never sent)."""
    return Exists(ClaimStatusChange.objects.filter(claim_id=OuterRef("pk"), to_status=S.SUBMITTED))


def lock_claims(claim_ids: Sequence[int]) -> list[Claim]:
    """The claims, locked as the lifecycle locks them (a move in flight finishes first), with
    what a projection refers to; those never sent are left out."""
    return list(
        Claim.objects.select_for_update(of=("self",)).filter(ever_sent(), pk__in=list(claim_ids))
        .select_related("patient", "payer", "coverage", "billing_provider", "rendering_provider", "replaces")
        .order_by("pk")
    )


def projection_facts(claims: list[Claim]) -> list[ClaimFacts]:
    """What each claim's FHIR records are built from, in a fixed number of queries."""
    ids = [c.pk for c in claims]
    facts = {c.pk: ClaimFacts(claim=c) for c in claims}
    for line in ClaimLine.objects.filter(claim_id__in=ids).order_by("claim_id", "number"):
        facts[line.claim_id].lines.append(line)
    for change in ClaimStatusChange.objects.filter(claim_id__in=ids).order_by("claim_id", "at", "pk"):
        facts[change.claim_id].history.append(change)
    adjustments = PaymentAdjustment.objects.order_by("pk")
    payments = (ClaimPayment.objects.filter(claim_id__in=ids, posted_at__isnull=False)
                .select_related("remittance__file").order_by("claim_id", "pk")
                .prefetch_related(Prefetch("adjustments", queryset=adjustments),
                                  Prefetch("service_lines", queryset=ServiceLinePayment.objects.order_by("position")
                                           .prefetch_related(Prefetch("adjustments", queryset=adjustments)))))
    for payment in payments:
        facts[payment.claim_id].payments.append(payment)
    replaced = {c.replaces_id for c in claims if c.replaces_id}
    projected = dict(ClaimProjection.objects.filter(claim_id__in=replaced).values_list("claim_id", "claim_fhir_id"))
    voided = set(Claim.objects.filter(replaces_id__in=ids, frequency=Claim.Frequency.VOID)
                 .exclude(status__in=Claim.UNSENT).values_list("replaces_id", flat=True))
    for item in facts.values():
        item.replaces_fhir_id = projected.get(item.claim.replaces_id, "")
        item.voided = item.claim.pk in voided
    return [facts[pk] for pk in ids]


def stale_claim_ids(*, older_than_seconds: int | None = None, limit: int | None = None) -> list[int]:
    """Claims sent whose FHIR projection is missing or behind their history or payments, by a
    change older than the grace period (a newer one still has its own task on the way)."""
    grace = settings.PENDING_WORK_GRACE_SECONDS if older_than_seconds is None else older_than_seconds
    cutoff = timezone.now() - timedelta(seconds=grace)
    projection = ClaimProjection.objects.filter(claim_id=OuterRef("pk"))
    seen_change = Coalesce(Subquery(projection.values("last_status_change_id")[:1]), 0,
                           output_field=IntegerField())
    seen_payment = Coalesce(Subquery(projection.values("last_payment_id")[:1]), 0, output_field=IntegerField())
    newer_change = ClaimStatusChange.objects.filter(claim_id=OuterRef("pk"), pk__gt=OuterRef("seen_change"),
                                                    at__lt=cutoff)
    newer_payment = ClaimPayment.objects.filter(claim_id=OuterRef("pk"), posted_at__isnull=False,
                                                pk__gt=OuterRef("seen_payment"), posted_at__lt=cutoff)
    recent_payment = ClaimPayment.objects.filter(claim_id=OuterRef("pk"), posted_at__gte=cutoff)
    # A payment matched from suspense later may have an older id: its count gives it away.
    payments = (ClaimPayment.objects.filter(claim_id=OuterRef("pk"), posted_at__isnull=False)
                .order_by().values("claim_id").annotate(n=Count("pk")).values("n"))
    seen_count = Coalesce(Subquery(projection.values("payment_count")[:1]), 0, output_field=IntegerField())
    stale = (Claim.objects.exclude(status__in=Claim.UNSENT).filter(ever_sent()).order_by()
             .annotate(seen_change=seen_change, seen_payment=seen_payment, seen_count=seen_count,
                       payment_count=Coalesce(Subquery(payments, output_field=IntegerField()), 0))
             .filter(Exists(newer_change) | Exists(newer_payment)
                     | (~Q(payment_count=F("seen_count")) & ~Exists(recent_payment)))
             .order_by("pk").values_list("pk", flat=True))
    limit = settings.PENDING_WORK_SWEEP_BATCH if limit is None else limit
    return list(stale[:limit])

