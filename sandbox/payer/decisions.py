"""How the sandbox payer decides a requested item: its rules, as plain data (pure, no ORM).

A rule matches an item by service code and/or member id (blank matches any); the first
matching rule by priority decides. ``approve`` certifies the item (A1), or modifies it (A6)
when the rule grants fewer units than asked; ``deny`` does not certify it (A3) with the rule's
reason; ``pend`` answers A4 now and applies the rule's ``then`` action after ``pend_seconds``.
With no matching rule the item is approved as requested: the payer's default.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Sequence

from sandbox.payer.pas import RequestedItem

APPROVE, DENY, PEND = "approve", "deny", "pend"
ACTIONS = (APPROVE, DENY, PEND)
FINAL_ACTIONS = (APPROVE, DENY)

# X12 306 review action codes (Health Care Services Review, HCR01).
CERTIFIED, NOT_CERTIFIED, PENDED, MODIFIED = "A1", "A3", "A4", "A6"
REVIEW_ACTION_DISPLAY = {
    CERTIFIED: "Certified in total",
    NOT_CERTIFIED: "Not Certified",
    PENDED: "Pended",
    MODIFIED: "Modified",
}
DEFAULT_PERIOD_DAYS = 90


class RuleError(ValueError):
    """A rule that cannot be applied; the message names the field at fault."""


@dataclass(frozen=True)
class Rule:
    """One decision rule (the admin's SandboxRule, or a settings entry), as plain data."""

    name: str
    action: str
    code: str = ""  # the service code (CPT) it applies to; "" for any
    member_id: str = ""  # the member it applies to; "" for any
    priority: int = 100  # lower first
    approved_units: int | None = None  # None: as requested
    period_days: int = DEFAULT_PERIOD_DAYS
    reason_code: str = ""  # X12 HCR reason code for a denial (or a modification)
    reason_text: str = ""
    pend_seconds: int = 0
    then: str = APPROVE  # what a pended item becomes when its delay has passed

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise RuleError(f"action: {self.action!r} is not one of {', '.join(ACTIONS)}")
        if self.then not in FINAL_ACTIONS:
            raise RuleError(f"then: {self.then!r} is not one of {', '.join(FINAL_ACTIONS)}")
        if self.approved_units is not None and self.approved_units < 1:
            raise RuleError("approved_units: must be at least 1 (deny instead)")
        if self.period_days < 1:
            raise RuleError("period_days: must be at least 1")
        if self.pend_seconds < 0:
            raise RuleError("pend_seconds: must not be negative")
        if DENY in (self.action, self.then if self.action == PEND else "") and not self.reason_code:
            raise RuleError("reason_code: a denial needs the payer's reason code")

    def matches(self, item: RequestedItem, member_id: str) -> bool:
        return (not self.code or self.code == item.code) and (not self.member_id or self.member_id == member_id)


@dataclass(frozen=True)
class ItemDecision:
    """The payer's answer for one item."""

    sequence: int
    code: str
    review_action: str  # A1, A3, A4, A6
    requested_units: int
    units: int | None  # certified units (A1/A6)
    period_start: date | None
    period_end: date | None
    reason_code: str
    reason_text: str
    rule: str  # the deciding rule's name, for the admin
    decide_at: datetime | None  # for a pended item: when its rule's delay has passed
    then: str | None  # for a pended item: its final action

    @property
    def pended(self) -> bool:
        return self.review_action == PENDED

    def as_dict(self) -> dict:
        return {
            "sequence": self.sequence, "code": self.code, "review_action": self.review_action,
            "requested_units": self.requested_units, "units": self.units,
            "period_start": self.period_start.isoformat() if self.period_start else None,
            "period_end": self.period_end.isoformat() if self.period_end else None,
            "reason_code": self.reason_code, "reason_text": self.reason_text, "rule": self.rule,
            "decide_at": self.decide_at.isoformat() if self.decide_at else None, "then": self.then,
        }

    @classmethod
    def from_dict(cls, data: dict) -> ItemDecision:
        return cls(
            sequence=data["sequence"], code=data["code"], review_action=data["review_action"],
            requested_units=data["requested_units"], units=data["units"],
            period_start=date.fromisoformat(data["period_start"]) if data["period_start"] else None,
            period_end=date.fromisoformat(data["period_end"]) if data["period_end"] else None,
            reason_code=data["reason_code"], reason_text=data["reason_text"], rule=data["rule"],
            decide_at=datetime.fromisoformat(data["decide_at"]) if data["decide_at"] else None,
            then=data["then"],
        )


_DEFAULT = Rule(name="default: approve as requested", action=APPROVE, priority=10**6)


def matching_rule(item: RequestedItem, member_id: str, rules: Sequence[Rule]) -> Rule:
    """The rule that decides ``item``: the first match by priority (ties by order given)."""
    ordered = sorted(enumerate(rules), key=lambda pair: (pair[1].priority, pair[0]))
    return next((rule for _, rule in ordered if rule.matches(item, member_id)), _DEFAULT)


def decide_item(item: RequestedItem, member_id: str, rules: Sequence[Rule], *, now: datetime) -> ItemDecision:
    """The first answer for ``item`` under ``rules`` at ``now`` (A4 for a pend rule)."""
    rule = matching_rule(item, member_id, rules)
    if rule.action == PEND:
        return ItemDecision(
            sequence=item.sequence, code=item.code, review_action=PENDED, requested_units=item.units,
            units=None, period_start=None, period_end=None, reason_code="", reason_text="",
            rule=rule.name, decide_at=now + timedelta(seconds=rule.pend_seconds), then=rule.then,
        )
    return _final(item.sequence, item.code, item.units, item.service_date, rule, rule.action, now=now)


def settle(decision: ItemDecision, service_date: date | None, rule: Rule | None, *, now: datetime) -> ItemDecision:
    """A pended item's final answer once its delay has passed (its ``then`` action, under its
    rule as it stands now; the default approval when that rule is gone)."""
    if not decision.pended:
        return decision
    rule = rule or _DEFAULT
    action = decision.then or APPROVE
    return _final(decision.sequence, decision.code, decision.requested_units, service_date, rule, action, now=now)


def _final(sequence: int, code: str, requested: int, service_date: date | None, rule: Rule, action: str,
           *, now: datetime) -> ItemDecision:
    if action == DENY:
        return ItemDecision(
            sequence=sequence, code=code, review_action=NOT_CERTIFIED, requested_units=requested, units=None,
            period_start=None, period_end=None, reason_code=rule.reason_code,
            reason_text=rule.reason_text or "Not medically necessary per the payer's criteria",
            rule=rule.name, decide_at=None, then=None,
        )
    units = requested if rule.approved_units is None else min(rule.approved_units, requested)
    start = max(service_date, now.date()) if service_date else now.date()
    modified = units < requested
    return ItemDecision(
        sequence=sequence, code=code, review_action=MODIFIED if modified else CERTIFIED,
        requested_units=requested, units=units, period_start=start,
        period_end=start + timedelta(days=rule.period_days - 1),
        reason_code=rule.reason_code if modified else "",
        reason_text=(rule.reason_text or f"Certified for {units} of {requested} units requested") if modified else "",
        rule=rule.name, decide_at=None, then=None,
    )
