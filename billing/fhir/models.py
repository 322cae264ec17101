"""The ExplanationOfBenefit record (a FHIR type billing adds to the records) and what was last
projected of each billing claim."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from pracops.records.models import Claim as ClaimRecord
from pracops.records.models import Coverage, FhirRecord, Organization, Patient


class ExplanationOfBenefit(FhirRecord):
    """One payer's adjudication of one claim as an 835 claim payment (CLP) reported it: what was
    submitted, allowed and paid per line, each CAS adjustment, and the payment (check or EFT)."""

    resource_type = "ExplanationOfBenefit"

    status = models.CharField(max_length=32, blank=True)
    use = models.CharField(max_length=32, blank=True)
    outcome = models.CharField(max_length=16, blank=True)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="explanations_of_benefit")
    insurer = models.ForeignKey(Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    claim = models.ForeignKey(ClaimRecord, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="explanations_of_benefit")
    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 help_text="The focal insurance's coverage")
    created = models.DateTimeField(null=True, blank=True)
    payment_date = models.DateField(null=True, blank=True)
    payment_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = "explanation of benefit"
        indexes = [models.Index(fields=["patient", "created"], name="eob_patient_created")]

    def __str__(self) -> str:
        when = self.created.date().isoformat() if self.created else ""
        return f"Explanation of benefit {self.outcome} {when}".strip()


class ClaimProjection(models.Model):
    """What of a billing claim its FHIR records show: the claim's latest status change and claim
    payment when they were last written. Behind the claim's history or payments: stale."""

    claim = models.OneToOneField("billing.Claim", on_delete=models.CASCADE, primary_key=True,
                                 related_name="fhir_projection")
    last_status_change_id = models.BigIntegerField(default=0)
    last_payment_id = models.BigIntegerField(default=0)
    payment_count = models.PositiveIntegerField(default=0)
    claim_fhir_id = models.CharField("FHIR Claim id", max_length=64, blank=True)
    projected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "claim's FHIR projection"

    def __str__(self) -> str:
        return f"FHIR projection of claim {self.claim_id}"
