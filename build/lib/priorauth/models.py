"""Prior authorizations: an ordered procedure, the payer's criteria checked against the notes,
the request sent, and the payer's decision kept for billing.

``status`` is never assigned directly: ``priorauth.lifecycle.transition`` moves a request from
state to state and records each move as a ``StatusChange``.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class PayerProfile(models.Model):
    """How PracOps works with one payer: which policy set decides, and how requests are sent.

    Staff set the policy key in the admin; a payer without a profile has no policies (an order
    for it is answered "unknown payer" until one is set).
    """

    class Adapter(models.TextChoices):
        PAS = "pas", "Da Vinci PAS (FHIR)"
        FAX = "fax", "Fax"

    organization = models.OneToOneField(
        "records.Organization", on_delete=models.CASCADE, related_name="payer_profile",
        limit_choices_to={"kind": "pay"},
    )
    policy_key = models.CharField(
        max_length=64, help_text="The payer's policy set under priorauth/policies/ (e.g. medicare, commercial)")
    adapter = models.CharField(max_length=16, choices=Adapter.choices, default=Adapter.FAX)
    endpoint = models.URLField(
        max_length=500, blank=True, help_text="PAS: the payer's FHIR base (its Claim/$submit is under it)")
    fax_number = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = "payer profile"

    def __str__(self) -> str:
        return f"{self.organization} ({self.policy_key})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from priorauth.policies import policy_set

        if self.policy_key not in policy_set().payer_keys():
            raise ValidationError({"policy_key": f"No policy set named {self.policy_key!r}; "
                                                 f"known: {', '.join(policy_set().payer_keys())}"})
        if self.adapter == self.Adapter.PAS and not self.endpoint:
            raise ValidationError({"endpoint": "A PAS payer needs its FHIR base URL"})


class PriorAuthorization(models.Model):
    """One request to a payer to authorize one ordered procedure, from draft to decision."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        NEEDS_DOCUMENTATION = "needs_documentation", "Needs documentation"
        READY = "ready", "Ready to submit"
        SUBMITTED = "submitted", "Submitted"
        PENDED = "pended", "Pended by payer"
        APPROVED = "approved", "Approved"
        PARTIALLY_APPROVED = "partially_approved", "Partially approved"
        DENIED = "denied", "Denied"
        APPEALED = "appealed", "Appealed"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

    # Still being worked: new notes re-evaluate these; an order has at most one of them.
    OPEN = (Status.DRAFT, Status.NEEDS_DOCUMENTATION, Status.READY, Status.SUBMITTED, Status.PENDED,
            Status.APPEALED)
    # Waiting on the payer: the decision due date runs.
    AWAITING_PAYER = (Status.SUBMITTED, Status.PENDED, Status.APPEALED)
    EVALUABLE = (Status.DRAFT, Status.NEEDS_DOCUMENTATION, Status.READY)
    APPROVALS = (Status.APPROVED, Status.PARTIALLY_APPROVED)

    class Urgency(models.TextChoices):
        STANDARD = "standard", "Standard (7 days)"
        EXPEDITED = "expedited", "Expedited (72 hours)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service_request = models.ForeignKey(
        "records.ServiceRequest", on_delete=models.PROTECT, related_name="prior_authorizations")
    patient = models.ForeignKey("records.Patient", on_delete=models.PROTECT, related_name="prior_authorizations")
    coverage = models.ForeignKey(
        "records.Coverage", on_delete=models.PROTECT, null=True, blank=True, related_name="prior_authorizations")
    payer = models.ForeignKey(
        "records.Organization", on_delete=models.PROTECT, null=True, blank=True, related_name="prior_authorizations")
    requester = models.ForeignKey(
        "records.Practitioner", on_delete=models.PROTECT, null=True, blank=True, related_name="prior_authorizations")
    cpt = models.CharField("CPT/HCPCS", max_length=16, db_index=True)
    units = models.PositiveIntegerField(default=1)
    planned_date = models.DateField(null=True, blank=True)
    urgency = models.CharField(max_length=16, choices=Urgency.choices, default=Urgency.STANDARD)
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.DRAFT, db_index=True,
                              editable=False)

    # The last evaluation (priorauth.criteria Evaluation.as_dict()) and what it rested on.
    policy_key = models.CharField(max_length=64, blank=True)
    policy_id = models.CharField(max_length=128, blank=True)
    requires_auth = models.BooleanField(null=True)
    ready = models.BooleanField(default=False)
    evaluation = models.JSONField(null=True, blank=True)
    coverage_information = models.JSONField(null=True, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)

    packet = models.ForeignKey("records.DocumentReference", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")
    packet_built_at = models.DateTimeField(null=True, blank=True)
    packet_requested_at = models.DateTimeField(
        null=True, blank=True, help_text="When a packet was asked for; cleared once built (the sweep retries)")

    # Sending and following.
    channel = models.CharField(max_length=16, blank=True)
    submit_requested_at = models.DateTimeField(
        null=True, blank=True, help_text="When staff asked to send it; cleared once sent or refused (the sweep retries)")
    submitted_at = models.DateTimeField(null=True, blank=True)
    decision_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    payer_reference = models.CharField(max_length=255, blank=True, help_text="The payer's tracking number")
    last_checked_at = models.DateTimeField(null=True, blank=True)
    problem = models.CharField(
        max_length=500, blank=True, help_text="Why the last attempt to send or check failed for good (for staff)")

    # The decision.
    decided_at = models.DateTimeField(null=True, blank=True)
    auth_number = models.CharField(max_length=64, blank=True, db_index=True)
    approved_codes = models.JSONField(default=list, blank=True)
    approved_units = models.PositiveIntegerField(null=True, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    decision_reason = models.TextField(
        blank=True, help_text="The payer's specific reason (denial, modification, pend), with its codes")
    item_decisions = models.JSONField(default=list, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["decision_due_at", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["service_request"], condition=Q(status__in=[
                    "draft", "needs_documentation", "ready", "submitted", "pended", "appealed"]),
                name="one_open_authorization_per_order"),
        ]
        indexes = [models.Index(fields=["status", "decision_due_at"]),
                   models.Index(fields=["patient", "status"])]

    def __str__(self) -> str:
        return f"Prior authorization {self.cpt} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def overdue(self) -> bool:
        return (self.status in self.AWAITING_PAYER and self.decision_due_at is not None
                and self.decision_due_at < timezone.now())

    def decision_due_after(self, submitted_at) -> timedelta:
        """CMS-0057-F: 72 hours for an expedited request, 7 calendar days for a standard one."""
        return timedelta(hours=72) if self.urgency == self.Urgency.EXPEDITED else timedelta(days=7)


class StatusChange(models.Model):
    """One move of a request's lifecycle: from what, to what, who, when and why."""

    authorization = models.ForeignKey(PriorAuthorization, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=32, blank=True)
    to_status = models.CharField(max_length=32)
    at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    agent = models.CharField(max_length=150, help_text="The user's name, or system:<what> for work no user did")
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["authorization", "at"])]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} -> {self.to_status}"


class SubmissionAttempt(models.Model):
    """One attempt to send a request to its payer.

    Written (state ``sending``) and committed before the request leaves, so a worker killed
    mid-send leaves a trace: the next attempt asks the payer whether it has the request before
    sending again. At most one attempt of a request (and one of its appeal) is ``sending`` or ``sent``.
    """

    class State(models.TextChoices):
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (will retry)"
        REFUSED = "refused", "Refused (permanent)"

    class Purpose(models.TextChoices):
        REQUEST = "request", "Request"
        APPEAL = "appeal", "Appeal"

    authorization = models.ForeignKey(PriorAuthorization, on_delete=models.CASCADE, related_name="attempts")
    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.REQUEST)
    channel = models.CharField(max_length=16)
    state = models.CharField(max_length=16, choices=State.choices, default=State.SENDING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    reference = models.CharField(max_length=255, blank=True, help_text="The payer's or the fax job's reference")
    error = models.CharField(max_length=500, blank=True, help_text="Without patient data")

    class Meta:
        ordering = ["started_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["authorization", "purpose"], condition=Q(state__in=["sending", "sent"]),
                                    name="one_live_submission_per_authorization"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} attempt ({self.state})"
