"""Everything the sandbox payer writes: claims received and decided, subscriptions, notifications,
and the helpers tests drive it with (``set_rule``, ``inject_fault``, ``receipts_for``).

The payer is idempotent on Claim.identifier: a request submitted again gets the stored answer,
and every receipt is counted (SandboxReceipt) so a test can tell a request reached it once.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import fields
from datetime import datetime
from typing import Any, Iterable

import httpx
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from sandbox.payer import decisions
from sandbox.payer.decisions import ItemDecision, Rule, RuleError
from sandbox.payer.models import (
    SandboxClaim,
    SandboxFault,
    SandboxNotification,
    SandboxReceipt,
    SandboxRule,
    SandboxSubscription,
)
from sandbox.payer.pas import PasRequest, read_request
from sandbox.payer.responses import Answer, notification_bundle, response_bundle
from sandbox.payer.selectors import find_claim, receipts_for  # noqa: F401  (receipts_for: a test helper)
from sandbox.payer.subscriptions import read_subscription

logger = logging.getLogger(__name__)

MAX_NOTIFICATION_ATTEMPTS = 5
FHIR_JSON = "application/fhir+json"


# --- $submit and $inquire ------------------------------------------------------------

def submit_claim(*, bundle: Any, base_url: str, now: datetime | None = None) -> dict:
    """Receive a PAS request Bundle and answer it: the PAS response Bundle.

    Raises ``PasRequestError`` for a non-conformant Bundle (nothing is stored). A Claim.identifier
    already received gets its stored (current) answer; either way the receipt is counted."""
    request = read_request(bundle)
    now = now or timezone.now()
    system, value = request.key
    with transaction.atomic():
        claim = SandboxClaim.objects.select_for_update().filter(
            identifier_system=system, identifier_value=value).first()
        if claim is None:
            claim = _new_claim(request, base_url=base_url, now=now)
        else:
            _settle_if_due(claim, now=now)
        SandboxReceipt.objects.create(operation=SandboxReceipt.SUBMIT, identifier_value=value, claim=claim,
                                      status_code=200)
    deliver_notifications()
    return claim.response_bundle


def _new_claim(request: PasRequest, *, base_url: str, now: datetime) -> SandboxClaim:
    rules = active_rules()
    answers = [decisions.decide_item(item, request.member_id, rules, now=now) for item in request.items]
    claim = SandboxClaim(
        identifier_system=request.key[0], identifier_value=request.key[1],
        tracking_id=f"PA{uuid.uuid4().hex[:14].upper()}", member_id=request.member_id,
        provider_identifiers=list(request.provider_identifiers), request_bundle=request.bundle,
        base_url=base_url, response_bundle={},
    )
    _record_decisions(claim, request, answers, now=now)
    try:
        with transaction.atomic():
            claim.save()
    except IntegrityError:
        # The same request arrived at the same moment on another connection: its answer stands.
        claim = SandboxClaim.objects.select_for_update().get(
            identifier_system=request.key[0], identifier_value=request.key[1])
    return claim


def _record_decisions(claim: SandboxClaim, request: PasRequest, answers: list[ItemDecision], *,
                      now: datetime) -> None:
    pended = [a for a in answers if a.pended]
    certified = any(a.review_action in (decisions.CERTIFIED, decisions.MODIFIED) for a in answers)
    if certified and not claim.auth_number:
        claim.auth_number = f"SBX{secrets.randbelow(10**9):09d}"
    claim.decisions = [a.as_dict() for a in answers]
    claim.status = SandboxClaim.PENDED if pended else SandboxClaim.DECIDED
    claim.decide_at = min(a.decide_at for a in pended) if pended else None
    if not pended:
        claim.decided_at = now
    claim.response_bundle = response_bundle(request, _answer(claim, answers, now))


def _answer(claim: SandboxClaim, answers: list[ItemDecision], created: datetime) -> Answer:
    return Answer(tracking_id=claim.tracking_id, auth_number=claim.auth_number or None, decisions=answers,
                  created=created, base_url=claim.base_url)


def inquire_claim(*, bundle: Any, now: datetime | None = None) -> dict | None:
    """Answer a PAS inquiry Bundle with the current response (an inquiry response Bundle), or
    ``None`` when the payer knows no such request for that patient and provider.

    A pended request whose delay has passed is decided now (and its subscribers notified)."""
    request = read_request(bundle, inquiry=True)
    now = now or timezone.now()
    with transaction.atomic():
        claim = find_claim(request, for_update=True)
        SandboxReceipt.objects.create(operation=SandboxReceipt.INQUIRE, identifier_value=request.key[1],
                                      claim=claim, status_code=200 if claim else 404)
        if claim is None:
            return None
        _settle_if_due(claim, now=now)
    deliver_notifications()
    stored = read_request(claim.request_bundle)
    answers = [ItemDecision.from_dict(d) for d in claim.decisions]
    return response_bundle(stored, _answer(claim, answers, claim.decided_at or claim.received_at), inquiry=True)


# --- deciding pended claims --------------------------------------------------------

def decide_due_claims(*, now: datetime | None = None) -> int:
    """Decide every pended claim whose delay has passed and notify its subscribers; how many
    claims were decided. Run by beat (sandbox.payer.tasks) and safe to run concurrently."""
    now = now or timezone.now()
    decided = 0
    due = SandboxClaim.objects.filter(status=SandboxClaim.PENDED, decide_at__lte=now).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            claim = SandboxClaim.objects.select_for_update(skip_locked=True).filter(
                pk=pk, status=SandboxClaim.PENDED).first()
            if claim is not None and _settle_if_due(claim, now=now):
                decided += 1
    deliver_notifications()
    return decided


def _settle_if_due(claim: SandboxClaim, *, now: datetime) -> bool:
    """Apply the final action of every pended item of ``claim`` (locked) whose delay has passed;
    True when that decided the claim. Queues its notifications in the same transaction."""
    if claim.status != SandboxClaim.PENDED or claim.decide_at is None or claim.decide_at > now:
        return False
    request = read_request(claim.request_bundle)
    rules = {rule.name: rule for rule in active_rules()}
    served = {item.sequence: item.service_date for item in request.items}
    answers = []
    for answer in (ItemDecision.from_dict(d) for d in claim.decisions):
        if answer.pended and answer.decide_at and answer.decide_at <= now:
            answer = decisions.settle(answer, served.get(answer.sequence), rules.get(answer.rule), now=now)
        answers.append(answer)
    _record_decisions(claim, request, answers, now=now)
    claim.save()
    if claim.status != SandboxClaim.DECIDED:
        return False
    _queue_notifications(claim)
    return True


# --- subscriptions and notifications -----------------------------------------------

def create_subscription(*, resource: Any, base_url: str) -> SandboxSubscription:
    """Accept a PAS rest-hook Subscription (active at once); raises ``SubscriptionError``."""
    wanted = read_subscription(resource)
    public_id = uuid.uuid4().hex
    stored = {**wanted.resource, "id": public_id, "status": SandboxSubscription.ACTIVE}
    return SandboxSubscription.objects.create(
        public_id=public_id, org_identifier=wanted.org_identifier, endpoint=wanted.endpoint,
        headers=wanted.headers, payload=wanted.payload, resource=stored, base_url=base_url,
    )


def delete_subscription(*, public_id: str) -> bool:
    """Remove a subscription; False when there was none."""
    deleted, _ = SandboxSubscription.objects.filter(public_id=public_id).delete()
    return bool(deleted)


def _queue_notifications(claim: SandboxClaim) -> None:
    subscriptions = SandboxSubscription.objects.select_for_update().filter(
        status=SandboxSubscription.ACTIVE, org_identifier__in=claim.provider_identifiers or [""])
    for subscription in subscriptions:
        if SandboxNotification.objects.filter(subscription=subscription, claim=claim).exists():
            continue
        subscription.events = F("events") + 1
        subscription.save(update_fields=["events"])
        subscription.refresh_from_db(fields=["events"])
        SandboxNotification.objects.create(subscription=subscription, claim=claim, event_number=subscription.events)


def deliver_notifications(*, ids: Iterable[int] | None = None) -> int:
    """POST every notification not yet delivered (at most MAX_NOTIFICATION_ATTEMPTS tries each)
    to its subscription's endpoint with its headers; how many were delivered (2xx).

    Outside any transaction: each attempt is claimed first, so two senders never send one
    attempt twice."""
    pending = SandboxNotification.objects.filter(
        delivered_at__isnull=True, attempts__lt=MAX_NOTIFICATION_ATTEMPTS,
        subscription__status=SandboxSubscription.ACTIVE,
    ).select_related("subscription", "claim").order_by("id")
    if ids is not None:
        pending = pending.filter(pk__in=list(ids))
    delivered = 0
    for notification in pending:
        claimed = SandboxNotification.objects.filter(
            pk=notification.pk, attempts=notification.attempts, delivered_at__isnull=True,
        ).update(attempts=F("attempts") + 1)
        if claimed:
            delivered += _send(notification)
    return delivered


def _send(notification: SandboxNotification) -> int:
    subscription, claim = notification.subscription, notification.claim
    subscription_url = f"{subscription.base_url}Subscription/{subscription.public_id}"
    body = notification_bundle(
        subscription_url=subscription_url, event_number=notification.event_number, timestamp=timezone.now(),
        payload=subscription.payload, response=claim.response_bundle,
        focus_url=f"{claim.base_url}ClaimResponse/{claim.tracking_id}",
    )
    headers = {"Content-Type": FHIR_JSON, **subscription.headers}
    try:
        response = httpx.post(subscription.endpoint, json=body, headers=headers,
                              timeout=settings.SANDBOX_PAYER_NOTIFY_TIMEOUT)
    except httpx.HTTPError as exc:
        # The endpoint is the subscriber's address, not patient data; the body never is logged.
        SandboxNotification.objects.filter(pk=notification.pk).update(error=type(exc).__name__)
        logger.warning("sandbox payer: notification %s not delivered (%s)", notification.pk, type(exc).__name__)
        return 0
    ok = 200 <= response.status_code < 300
    SandboxNotification.objects.filter(pk=notification.pk).update(
        status_code=response.status_code, delivered_at=timezone.now() if ok else None,
        error="" if ok else f"HTTP {response.status_code}")
    return int(ok)


# --- rules ----------------------------------------------------------------------------

def active_rules() -> list[Rule]:
    """The rules in force, as plain data; a rule the admin saved broken is passed over."""
    rules = []
    for row in SandboxRule.objects.filter(active=True):
        try:
            rules.append(row.as_rule())
        except RuleError as exc:
            logger.warning("sandbox payer: rule %s ignored: %s", row.pk, exc)
    return rules


def set_rule(*, action: str, code: str = "", member_id: str = "", name: str | None = None, priority: int = 100,
             approved_units: int | None = None, period_days: int = decisions.DEFAULT_PERIOD_DAYS,
             reason_code: str = "", reason_text: str = "", pend_seconds: int = 0,
             then: str = decisions.APPROVE) -> SandboxRule:
    """Create (or replace, by name) a decision rule; raises ``RuleError`` naming the bad field."""
    rule = Rule(name=name or f"{action} {code or 'any service'} {member_id or 'any member'} {uuid.uuid4().hex[:6]}",
                action=action, code=code, member_id=member_id, priority=priority, approved_units=approved_units,
                period_days=period_days, reason_code=reason_code, reason_text=reason_text,
                pend_seconds=pend_seconds, then=then)
    values = {f.name: getattr(rule, f.name) for f in fields(Rule) if f.name != "name"}
    row, _ = SandboxRule.objects.update_or_create(name=rule.name, defaults={**values, "active": True})
    return row


def clear_rules() -> None:
    """Remove every rule: the payer then approves everything as requested (its default)."""
    SandboxRule.objects.all().delete()


def load_rules(entries: list[dict], *, replace: bool = False) -> list[SandboxRule]:
    """Create or update the rules ``entries`` describe (dicts of ``set_rule``'s arguments), all or
    none; raises ``RuleError`` naming the entry and field at fault."""
    checked = []
    allowed = {f.name for f in fields(Rule)}
    for n, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise RuleError(f"rule {n}: must be a mapping of fields")
        unknown = set(entry) - allowed
        if unknown:
            raise RuleError(f"rule {n}: unknown field(s) {', '.join(sorted(unknown))}")
        if not entry.get("name"):
            raise RuleError(f"rule {n}: name is required")
        try:
            checked.append(Rule(**entry))
        except (RuleError, TypeError) as exc:
            raise RuleError(f"rule {n} ({entry['name']}): {exc}") from None
    with transaction.atomic():
        if replace:
            SandboxRule.objects.all().delete()
        return [set_rule(**{f.name: getattr(rule, f.name) for f in fields(Rule)}) for rule in checked]


# --- faults (tests) -------------------------------------------------------------------

def inject_fault(operation: str, kind: str, *, times: int = 1, delay_seconds: float = 0) -> SandboxFault:
    """Make the next ``times`` requests to ``operation`` ("submit", "inquire", "subscription" or
    "any") answer 500 or 503, or (``kind`` "delay") be processed and answered ``delay_seconds`` late."""
    if operation not in SandboxFault.OPERATIONS:
        raise ValueError(f"operation: {operation!r} is not one of {', '.join(SandboxFault.OPERATIONS)}")
    if kind not in (SandboxFault.HTTP_500, SandboxFault.HTTP_503, SandboxFault.DELAY):
        raise ValueError(f"kind: {kind!r} is not one of 500, 503, delay")
    if times < 1 or (kind == SandboxFault.DELAY and delay_seconds <= 0):
        raise ValueError("times must be at least 1, and a delay needs delay_seconds > 0")
    return SandboxFault.objects.create(operation=operation, kind=str(kind), remaining=times,
                                       delay_seconds=delay_seconds)


def take_fault(operation: str) -> SandboxFault | None:
    """Use up one injected fault for a request to ``operation``: the fault to apply, if any."""
    for fault in SandboxFault.objects.filter(operation__in=[operation, "any"], remaining__gt=0):
        if SandboxFault.objects.filter(pk=fault.pk, remaining__gt=0).update(remaining=F("remaining") - 1):
            return fault
    return None


def clear_faults() -> None:
    SandboxFault.objects.all().delete()
