"""What the sandbox payer reads: the claim an inquiry names, a subscription, receipts."""

from __future__ import annotations

from django.db.models import Q

from sandbox.payer.models import SandboxClaim, SandboxReceipt, SandboxSubscription
from sandbox.payer.pas import PasRequest


def find_claim(request: PasRequest, *, for_update: bool = False) -> SandboxClaim | None:
    """The stored claim an inquiry names: by its Claim.identifier (or the payer's tracking id),
    and only when the inquiry's patient and provider are the ones the request named (PAS: an
    inquiry matches on the identifier, the patient and the provider)."""
    system, value = request.key
    claims = SandboxClaim.objects.filter(
        Q(identifier_system=system, identifier_value=value) | Q(tracking_id=value))
    if for_update:
        claims = claims.select_for_update()
    for claim in claims:
        same_member = not (request.member_id and claim.member_id) or request.member_id == claim.member_id
        same_provider = not (request.provider_identifiers and claim.provider_identifiers) or bool(
            set(request.provider_identifiers) & set(claim.provider_identifiers))
        if same_member and same_provider:
            return claim
    return None


def claim_by_tracking_id(tracking_id: str) -> SandboxClaim | None:
    return SandboxClaim.objects.filter(tracking_id=tracking_id).first()


def subscription_by_id(public_id: str) -> SandboxSubscription | None:
    return SandboxSubscription.objects.filter(public_id=public_id).first()


def receipts_for(identifier: str, operation: str = SandboxReceipt.SUBMIT) -> list[SandboxReceipt]:
    """Every time a request with this Claim.identifier value reached ``operation``, oldest first."""
    return list(SandboxReceipt.objects.filter(identifier_value=identifier, operation=operation).order_by("id"))
