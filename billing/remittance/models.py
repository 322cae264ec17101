"""Files received from clearinghouses and what the 835s among them paid.

An ``X12File`` is kept as received (its text, its SHA-256) before it is read, so a worker that
dies between download and posting loses nothing, and the same file received twice (by two polls,
or a poll and an upload) is one row: it posts once. Reading a file is all or nothing: a file
that fails is ``rejected`` with the segment and position at fault and nothing from it is posted.

An 835 becomes one ``Remittance`` per transaction set (one payment: a check or an EFT), one
``ClaimPayment`` per CLP loop, one ``ServiceLinePayment`` per SVC and one ``PaymentAdjustment``
per CAS adjustment (group code and CARC), claim-level adjustments having no service line. A
claim payment whose CLP01 names no claim of this practice has ``claim`` empty and waits in
suspense until staff match it to a claim (then it posts) or dismiss it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class X12File(models.Model):
    """One file received: a 999, 277CA, 277 or 835, kept whole and read once."""

    class Kind(models.TextChoices):
        UNKNOWN = "", "Not yet read"
        ACK_999 = "999", "999 implementation acknowledgment"
        CLAIM_ACK_277CA = "277CA", "277CA claim acknowledgment"
        STATUS_277 = "277", "277 claim status"
        REMITTANCE_835 = "835", "835 remittance advice"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received, not yet read"
        POSTED = "posted", "Read and posted"
        REJECTED = "rejected", "Rejected (malformed): nothing posted"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sha256 = models.CharField(max_length=64, unique=True, editable=False,
                              help_text="Of the file's bytes: the same file received twice is one file")
    name = models.CharField(max_length=255, blank=True, help_text="Its file name or the clearinghouse's file id")
    source = models.CharField(max_length=64, help_text="Where it came from: a clearinghouse's key, or upload")
    kind = models.CharField(max_length=5, choices=Kind.choices, blank=True, default=Kind.UNKNOWN)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RECEIVED)
    text = models.TextField(help_text="The file as received (patient data: shown to billing only)")
    interchange_control_number = models.CharField(max_length=9, blank=True, help_text="ISA13")
    sender_id = models.CharField(max_length=15, blank=True, help_text="ISA06")
    received_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True,
                             help_text="Why it was rejected: the segment and position at fault (no patient data)")
    summary = models.JSONField(default=dict, blank=True, help_text="What reading it did: counts, no patient data")
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    agent = models.CharField(max_length=150, blank=True, help_text="Who received it: a user or system:<what>")

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = "X12 file received"
        verbose_name_plural = "X12 files received"
        indexes = [models.Index(fields=["status", "received_at"]), models.Index(fields=["kind", "received_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display() if self.kind else 'X12 file'} {self.name or self.pk}"


class Remittance(models.Model):
    """One 835 transaction set: one payment (or notice of no payment) from a payer."""

    file = models.ForeignKey(X12File, on_delete=models.PROTECT, related_name="remittances")
    set_control_number = models.CharField(max_length=9, help_text="ST02")
    payer = models.ForeignKey("records.Organization", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="remittances", help_text="The payer, when its payer id is known")
    payer_name = models.CharField(max_length=60)
    payer_identifier = models.CharField(max_length=80, blank=True, help_text="N1*PR REF*2U or TRN03")
    payee_npi = models.CharField(max_length=10, blank=True)
    trace_number = models.CharField(max_length=50, help_text="TRN02: the check or EFT trace number")
    payment_method = models.CharField(max_length=3, help_text="BPR04: ACH, CHK or NON")
    payment_date = models.DateField(null=True, blank=True, help_text="BPR16")
    total_paid = models.DecimalField(max_digits=12, decimal_places=2, help_text="BPR02")
    provider_adjustments = models.JSONField(
        default=list, blank=True, help_text="PLB adjustments: reason, reference, amount, not tied to a claim")

    class Meta:
        ordering = ["-payment_date", "-pk"]
        constraints = [models.UniqueConstraint(fields=["file", "set_control_number"],
                                               name="one_remittance_per_transaction_set")]

    def __str__(self) -> str:
        return f"{self.payer_name} {self.trace_number}"


class ClaimPayment(models.Model):
    """One CLP loop: the payer's decision on one claim. ``claim`` empty: in suspense."""

    class Suspense(models.TextChoices):
        NONE = "", "Matched"
        OPEN = "open", "In suspense"
        MATCHED = "matched", "Matched by staff"
        DISMISSED = "dismissed", "Dismissed by staff"

    remittance = models.ForeignKey(Remittance, on_delete=models.PROTECT, related_name="claim_payments")
    position = models.PositiveIntegerField(help_text="Its place in the remittance (1 is the first CLP)")
    claim = models.ForeignKey("billing.Claim", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="payments")
    patient_control_number = models.CharField(max_length=38, help_text="CLP01, as the payer sent it")
    status_code = models.CharField(max_length=2, help_text="CLP02: 1-3 processed, 4 denied, 22 reversal")
    charge = models.DecimalField(max_digits=12, decimal_places=2)
    paid = models.DecimalField(max_digits=12, decimal_places=2)
    patient_responsibility = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    filing_indicator = models.CharField(max_length=2, blank=True)
    payer_claim_number = models.CharField(max_length=50, blank=True, help_text="CLP07")
    remarks = models.JSONField(default=list, blank=True, help_text="RARCs (MOA)")
    posted_at = models.DateTimeField(null=True, blank=True, help_text="When it was posted to its claim")
    suspense = models.CharField(max_length=9, choices=Suspense.choices, blank=True, default=Suspense.NONE)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    resolution_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["remittance", "position"]
        constraints = [
            models.UniqueConstraint(fields=["remittance", "position"], name="one_claim_payment_per_position"),
            models.CheckConstraint(condition=~Q(suspense="open") | Q(claim__isnull=True),
                                   name="an_open_suspense_item_has_no_claim"),
        ]
        indexes = [models.Index(fields=["suspense"]), models.Index(fields=["patient_control_number"])]

    def __str__(self) -> str:
        return f"CLP {self.patient_control_number} paid {self.paid}"

    @property
    def denied(self) -> bool:
        return self.status_code == "4"


class ServiceLinePayment(models.Model):
    """One SVC: what was paid for one service line, matched to the claim line by REF*6R."""

    claim_payment = models.ForeignKey(ClaimPayment, on_delete=models.CASCADE, related_name="service_lines")
    position = models.PositiveSmallIntegerField()
    line = models.ForeignKey("billing.ClaimLine", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="payments")
    procedure_code = models.CharField(max_length=48)
    modifiers = models.JSONField(default=list, blank=True)
    charge = models.DecimalField(max_digits=12, decimal_places=2)
    paid = models.DecimalField(max_digits=12, decimal_places=2)
    units = models.DecimalField(max_digits=9, decimal_places=3, null=True, blank=True)
    service_date = models.DateField(null=True, blank=True)
    line_control_number = models.CharField(max_length=50, blank=True, help_text="REF*6R")
    remarks = models.JSONField(default=list, blank=True, help_text="RARCs (LQ*HE)")

    class Meta:
        ordering = ["claim_payment", "position"]
        constraints = [models.UniqueConstraint(fields=["claim_payment", "position"],
                                               name="one_service_payment_per_position")]

    def __str__(self) -> str:
        return f"SVC {self.procedure_code} paid {self.paid}"


class PaymentAdjustment(models.Model):
    """One CAS adjustment: group code (CO, PR, OA, PI, CR), CARC and amount, of a claim or of one
    of its service lines."""

    claim_payment = models.ForeignKey(ClaimPayment, on_delete=models.CASCADE, related_name="adjustments")
    service_line = models.ForeignKey(ServiceLinePayment, on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="adjustments")
    group = models.CharField(max_length=2)
    reason = models.CharField("CARC", max_length=5)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    quantity = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["claim_payment", "service_line", "pk"]
        indexes = [
            models.Index(fields=["reason", "group"]),
            # ``/api/claims/?carc=``: the claims with an adjustment of a CARC, found (and counted)
            # from this index alone, without reading the adjustments' rows.
            models.Index(fields=["reason", "claim_payment"], name="adjustment_carc_payment_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.group}-{self.reason} {self.amount}"
