"""The sandbox payer's own tables: its rules, the claims it received, subscriptions, faults."""

from __future__ import annotations

from django.db import models

from sandbox.payer import decisions


class SandboxRule(models.Model):
    """How the sandbox payer decides an item (see sandbox/payer/decisions.py)."""

    ACTIONS = [(decisions.APPROVE, "approve"), (decisions.DENY, "deny"), (decisions.PEND, "pend")]
    FINAL_ACTIONS = [(decisions.APPROVE, "approve"), (decisions.DENY, "deny")]

    name = models.CharField(max_length=100, unique=True)
    active = models.BooleanField(default=True)
    priority = models.IntegerField(default=100, help_text="Lower first; the first matching rule decides.")
    code = models.CharField("CPT code", max_length=20, blank=True, help_text="Blank: any service.")
    member_id = models.CharField(max_length=80, blank=True, help_text="Blank: any member.")
    action = models.CharField(max_length=10, choices=ACTIONS, default=decisions.APPROVE)
    approved_units = models.PositiveIntegerField(
        null=True, blank=True, help_text="Blank: as requested. Fewer than requested answers A6 (modified).")
    period_days = models.PositiveIntegerField(default=decisions.DEFAULT_PERIOD_DAYS)
    reason_code = models.CharField(max_length=10, blank=True, help_text="X12 HCR reason code (denials).")
    reason_text = models.CharField(max_length=300, blank=True)
    pend_seconds = models.PositiveIntegerField(default=0, help_text="Pend: decide this many seconds later.")
    then = models.CharField(max_length=10, choices=FINAL_ACTIONS, default=decisions.APPROVE,
                            help_text="Pend: the decision once the delay has passed.")

    class Meta:
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return self.name

    def as_rule(self) -> decisions.Rule:
        return decisions.Rule(
            name=self.name, action=self.action, code=self.code, member_id=self.member_id,
            priority=self.priority, approved_units=self.approved_units, period_days=self.period_days,
            reason_code=self.reason_code, reason_text=self.reason_text, pend_seconds=self.pend_seconds,
            then=self.then,
        )


class SandboxClaim(models.Model):
    """A prior authorization request the payer received, with its current answer."""

    PENDED, DECIDED = "pended", "decided"

    identifier_system = models.CharField(max_length=255)
    identifier_value = models.CharField(max_length=255)
    tracking_id = models.CharField(max_length=40, unique=True)
    auth_number = models.CharField(max_length=40, blank=True)
    member_id = models.CharField(max_length=80, blank=True)
    provider_identifiers = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=[(PENDED, "pended"), (DECIDED, "decided")])
    decisions = models.JSONField(default=list)  # [ItemDecision.as_dict()]
    decide_at = models.DateTimeField(null=True, blank=True, db_index=True)
    request_bundle = models.JSONField()
    response_bundle = models.JSONField()
    base_url = models.CharField(max_length=500)
    received_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["identifier_system", "identifier_value"],
                                               name="sandbox_claim_identifier_unique")]

    def __str__(self) -> str:
        return self.tracking_id


class SandboxReceipt(models.Model):
    """One request that reached the payer (every receipt, including repeats)."""

    SUBMIT, INQUIRE = "submit", "inquire"

    operation = models.CharField(max_length=10, choices=[(SUBMIT, "$submit"), (INQUIRE, "$inquire")])
    identifier_value = models.CharField(max_length=255, db_index=True)
    claim = models.ForeignKey(SandboxClaim, null=True, blank=True, on_delete=models.SET_NULL, related_name="receipts")
    status_code = models.PositiveSmallIntegerField()
    received_at = models.DateTimeField(auto_now_add=True)


class SandboxSubscription(models.Model):
    """A provider's rest-hook subscription to the PAS topic."""

    ACTIVE, OFF, ERROR = "active", "off", "error"

    public_id = models.CharField(max_length=40, unique=True)
    status = models.CharField(max_length=10, default=ACTIVE,
                              choices=[(ACTIVE, "active"), (OFF, "off"), (ERROR, "error")])
    org_identifier = models.CharField(max_length=80, db_index=True)
    endpoint = models.URLField(max_length=500)
    headers = models.JSONField(default=dict)
    payload = models.CharField(max_length=20)
    resource = models.JSONField()
    base_url = models.CharField(max_length=500)
    events = models.PositiveIntegerField(default=0)  # events-since-subscription-start
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.public_id


class SandboxNotification(models.Model):
    """One event for one subscription: a decided claim to tell it about, then what sending gave."""

    subscription = models.ForeignKey(SandboxSubscription, on_delete=models.CASCADE, related_name="notifications")
    claim = models.ForeignKey(SandboxClaim, on_delete=models.CASCADE, related_name="notifications")
    event_number = models.PositiveIntegerField()
    attempts = models.PositiveSmallIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscription", "claim"], name="sandbox_notification_once")]


class SandboxFault(models.Model):
    """For tests: the next ``remaining`` requests to ``operation`` fail or answer late."""

    HTTP_500, HTTP_503, DELAY = "500", "503", "delay"
    OPERATIONS = ["submit", "inquire", "subscription", "any"]

    operation = models.CharField(max_length=20, choices=[(o, o) for o in OPERATIONS])
    kind = models.CharField(max_length=10, choices=[(HTTP_500, "500 error"), (HTTP_503, "503 unavailable"),
                                                    (DELAY, "answer late")])
    remaining = models.PositiveIntegerField(default=1)
    delay_seconds = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
