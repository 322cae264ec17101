"""Reads for sending claims: which clearinghouse a claim goes through, what is waiting to be sent."""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.db.models import QuerySet

from billing.claim_data import Party
from billing.models import BillingProfile, Claim, PayerBillingSettings
from billing.submission.models import ClaimFile


def billing_profile_of(claim: Claim) -> BillingProfile | None:
    return BillingProfile.objects.filter(organization_id=claim.billing_provider_id).first()


def clearinghouse_party(name: str, identifier: str) -> Party:
    """The clearinghouse as the 837P's receiver (loop 1000B)."""
    return Party(name=name, identifier=identifier)


def clearinghouse_of_payer(payer_pk: int) -> str:
    chosen = (PayerBillingSettings.objects.filter(organization_id=payer_pk)
              .values_list("clearinghouse", flat=True).first())
    return chosen or settings.BILLING_DEFAULT_CLEARINGHOUSE


def scrubbed_claims_by_route() -> dict[tuple[str, str], list[int]]:
    """Scrubbed claims not in a file, grouped by (clearinghouse, submitter ETIN): one file each."""
    chosen = dict(PayerBillingSettings.objects.values_list("organization_id", "clearinghouse"))
    etins = dict(BillingProfile.objects.values_list("organization_id", "submitter_etin"))
    routes: dict[tuple[str, str], list[int]] = defaultdict(list)
    for pk, payer_pk, provider_pk in (Claim.objects.filter(status=Claim.Status.SCRUBBED).order_by("pk")
                                      .values_list("pk", "payer_id", "billing_provider_id")):
        routes[(chosen.get(payer_pk) or settings.BILLING_DEFAULT_CLEARINGHOUSE, etins.get(provider_pk, ""))].append(pk)
    return dict(routes)


def files_to_send() -> QuerySet[ClaimFile]:
    """Files ready (their enqueue may have failed) or sending (a stale one is looked at again)."""
    return ClaimFile.objects.filter(status__in=[ClaimFile.Status.READY, ClaimFile.Status.SENDING]).order_by("pk")


def clearinghouses_in_use() -> list[str]:
    """The default clearinghouse and every one a payer names."""
    named = set(PayerBillingSettings.objects.exclude(clearinghouse="").values_list("clearinghouse", flat=True))
    return sorted(named | {settings.BILLING_DEFAULT_CLEARINGHOUSE})
