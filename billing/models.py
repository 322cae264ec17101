"""Billing's records: what the practice charges (fee schedules), who it bills as (the billing
profile and each payer's billing settings), and the professional claims it makes from
encounters, line by line, with every status change and every scrub finding kept.

``Claim.status`` is never assigned directly: ``billing.lifecycle.transition`` moves a claim and
records each move as a ``ClaimStatusChange`` with its source (a user, a file, a task).
X12 files received and remittances are `billing.remittance`'s tables; they refer to claims and lines by
``patient_control_number`` and ``control_number`` (what the 277CA and 835 echo).
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

nine_digit_zip = RegexValidator(r"^\d{9}$", "The billing provider's ZIP code is nine digits (ZIP+4), no dash")
zip_code = RegexValidator(r"^\d{5}(\d{4})?$", "Five or nine digits, no dash")
tax_id = RegexValidator(r"^\d{9}$", "The EIN is nine digits, no dash")
taxonomy_code = RegexValidator(r"^[0-9A-Z]{9}X$", "A NUCC taxonomy code: ten characters ending in X")
phone_number = RegexValidator(r"^\d{10}$", "Ten digits, no punctuation")
place_of_service_code = RegexValidator(r"^\d{2}$", "A two-digit CMS place of service code (11 office, 24 ASC)")
procedure_code = RegexValidator(r"^[0-9A-Z]{5}$", "A CPT or HCPCS code: five characters")
modifier_code = RegexValidator(r"^[0-9A-Z]{2}$", "A modifier: two characters")


def new_control_number() -> str:
    """A patient control number (CLM01): twelve random hex digits, short enough for every payer
    (some keep only 20 characters) and with nothing about the patient in it."""
    return secrets.token_hex(6).upper()


class BillingProfile(models.Model):
    """Who the practice bills as (loop 2010AA) and submits as (1000A): the billing provider's
    organization (its NPI is the Organization's), taxonomy, tax id and pay-to address."""

    class PlaceOfService(models.TextChoices):
        OFFICE = "11", "11 Office"
        OUTPATIENT_HOSPITAL = "22", "22 On-campus outpatient hospital"
        ASC = "24", "24 Ambulatory surgical center"

    organization = models.OneToOneField(
        "records.Organization", on_delete=models.PROTECT, related_name="billing_profile",
        limit_choices_to={"kind": "prov"}, help_text="The billing provider; its NPI is the organization's")
    taxonomy = models.CharField(max_length=10, validators=[taxonomy_code], help_text="e.g. 208VP0014X")
    tax_id = models.CharField("tax id (EIN)", max_length=9, validators=[tax_id])
    address_line1 = models.CharField(max_length=55)
    address_line2 = models.CharField(max_length=55, blank=True)
    city = models.CharField(max_length=30)
    state = models.CharField(max_length=2)
    postal_code = models.CharField(max_length=9, validators=[nine_digit_zip])
    place_of_service = models.CharField(
        max_length=2, choices=PlaceOfService.choices, default=PlaceOfService.OFFICE,
        validators=[place_of_service_code], help_text="Where the practice's procedures are done (CLM05-1)")
    rendering_taxonomy = models.CharField(
        max_length=10, blank=True, validators=[taxonomy_code],
        help_text="The rendering physicians' taxonomy (PRV*PE), when it is the same for all")
    submitter_name = models.CharField(max_length=60)
    submitter_etin = models.CharField("submitter ETIN", max_length=80,
                                      help_text="The id the clearinghouse gave the practice (1000A NM109)")
    contact_name = models.CharField(max_length=60)
    contact_phone = models.CharField(max_length=10, validators=[phone_number])

    class Meta:
        verbose_name = "billing profile"

    def __str__(self) -> str:
        return f"Billing profile of {self.organization}"


class PayerBillingSettings(models.Model):
    """How the practice bills one payer: its id at the clearinghouse, the claim filing indicator,
    how many days it accepts claims after the date of service, and how it wants bilateral
    procedures billed."""

    class Bilateral(models.TextChoices):
        MODIFIER_50 = "50", "One line, modifier 50, one unit (CMS)"
        RT_LT = "rt_lt", "Two lines, RT and LT"

    class FilingCode(models.TextChoices):
        COMMERCIAL = "CI", "CI Commercial"
        MEDICARE_B = "MB", "MB Medicare Part B"
        MEDICAID = "MC", "MC Medicaid"
        BLUE_CROSS = "BL", "BL Blue Cross/Blue Shield"
        HMO = "HM", "HM HMO"
        WORKERS_COMP = "WC", "WC Workers' compensation"

    organization = models.OneToOneField(
        "records.Organization", on_delete=models.CASCADE, related_name="billing_settings",
        limit_choices_to={"kind": "pay"})
    payer_id = models.CharField(max_length=80, help_text="The clearinghouse's payer id (2010BB NM109)")
    claim_filing_code = models.CharField(max_length=2, choices=FilingCode.choices, default=FilingCode.COMMERCIAL)
    timely_filing_days = models.PositiveIntegerField(
        default=365, validators=[MinValueValidator(1)], help_text="Days after the date of service the payer accepts a claim")
    bilateral = models.CharField(max_length=8, choices=Bilateral.choices, default=Bilateral.MODIFIER_50)
    clearinghouse = models.CharField(
        max_length=64, blank=True,
        help_text="The clearinghouse adapter its claims go through (settings.BILLING_CLEARINGHOUSE_ADAPTERS); "
                  "empty: settings.BILLING_DEFAULT_CLEARINGHOUSE")

    class Meta:
        verbose_name = "payer billing settings"
        verbose_name_plural = "payer billing settings"

    def __str__(self) -> str:
        return f"Billing settings of {self.organization}"


class FeeSchedule(models.Model):
    """What the practice charges, per procedure code, from a date: one payer's (a contract) or,
    with no payer, the practice's default, which prices what a payer's schedule lacks."""

    payer = models.ForeignKey(
        "records.Organization", on_delete=models.PROTECT, null=True, blank=True, related_name="fee_schedules",
        limit_choices_to={"kind": "pay"}, help_text="Empty: the practice's default schedule")
    name = models.CharField(max_length=120)
    effective_from = models.DateField()
    effective_until = models.DateField(null=True, blank=True, help_text="Empty: until replaced")

    class Meta:
        ordering = ["payer__name", "-effective_from"]
        indexes = [models.Index(fields=["payer", "effective_from"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_until__isnull=True) | Q(effective_until__gte=models.F("effective_from")),
                name="fee_schedule_ends_after_it_starts"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (from {self.effective_from.isoformat()})"


class FeeScheduleEntry(models.Model):
    """One price: a code, optionally with a pricing modifier (e.g. 50), and the amount charged
    per unit."""

    schedule = models.ForeignKey(FeeSchedule, on_delete=models.CASCADE, related_name="entries")
    procedure_code = models.CharField("CPT/HCPCS", max_length=5, validators=[procedure_code])
    modifier = models.CharField(max_length=2, blank=True, validators=[modifier_code])
    amount = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])

    class Meta:
        verbose_name_plural = "fee schedule entries"
        ordering = ["procedure_code", "modifier"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "procedure_code", "modifier"], name="one_price_per_code"),
        ]

    def __str__(self) -> str:
        return f"{self.procedure_code}{'-' + self.modifier if self.modifier else ''} {self.amount}"


class Claim(models.Model):
    """One professional claim (837P) for one encounter and the coverage billed, from draft to
    closed. A corrected (frequency 7) or void (8) claim points at the claim it replaces."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCRUBBED = "scrubbed", "Scrubbed"
        SUBMITTED = "submitted", "Submitted"
        ACCEPTED = "accepted", "Accepted by payer"
        REJECTED = "rejected", "Rejected"
        PAID = "paid", "Paid"
        PARTIALLY_PAID = "partially_paid", "Partially paid"
        DENIED = "denied", "Denied"
        CORRECTED = "corrected", "Corrected (replaced)"
        APPEALED = "appealed", "Appealed"
        CLOSED = "closed", "Closed"

    class Frequency(models.TextChoices):
        ORIGINAL = "1", "1 Original"
        CORRECTED = "7", "7 Replacement"
        VOID = "8", "8 Void"

    # Not yet sent: the claim may still be edited and scrubbed.
    UNSENT = (Status.DRAFT, Status.SCRUBBED)
    # Sent and not yet answered by a remittance: the follow-up worklist.
    AWAITING_PAYER = (Status.SUBMITTED, Status.ACCEPTED, Status.APPEALED)
    # Adjudicated: a correction (7) or void (8) may replace it.
    ADJUDICATED = (Status.ACCEPTED, Status.PAID, Status.PARTIALLY_PAID, Status.DENIED)

    # How the audit trail names a claim (services and admin alike): not the FHIR Claim of records.
    resource_type = "BillingClaim"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient_control_number = models.CharField(
        "patient control number", max_length=20, unique=True, default=new_control_number, editable=False,
        help_text="CLM01: the 277CA and 835 name the claim by it")
    encounter = models.ForeignKey("records.Encounter", on_delete=models.PROTECT, related_name="billing_claims")
    patient = models.ForeignKey("records.Patient", on_delete=models.PROTECT, related_name="billing_claims")
    coverage = models.ForeignKey("records.Coverage", on_delete=models.PROTECT, related_name="billing_claims")
    payer = models.ForeignKey("records.Organization", on_delete=models.PROTECT, related_name="billing_claims")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT, editable=False)
    frequency = models.CharField(max_length=1, choices=Frequency.choices, default=Frequency.ORIGINAL)
    replaces = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replacements",
        help_text="The claim this one corrects (7) or voids (8); its payer claim number goes in REF*F8")
    payer_claim_number = models.CharField(
        max_length=50, blank=True, help_text="The payer's number for this claim (from the 277CA or 835)")
    place_of_service = models.CharField(max_length=2, validators=[place_of_service_code])
    diagnoses = models.JSONField(
        default=list, blank=True, help_text="ICD-10-CM codes without the dot, principal first (at most 12)")
    billing_provider = models.ForeignKey("records.Organization", on_delete=models.PROTECT, related_name="+")
    rendering_provider = models.ForeignKey(
        "records.Practitioner", on_delete=models.PROTECT, null=True, blank=True, related_name="billing_claims")
    prior_authorization = models.ForeignKey(
        "priorauth.PriorAuthorization", on_delete=models.PROTECT, null=True, blank=True, related_name="claims")
    prior_authorization_number = models.CharField(
        max_length=64, blank=True, help_text="REF*G1: the approval's number as it was when the claim was made")
    service_date = models.DateField(help_text="The first date of service")
    total_charge = models.DecimalField(max_digits=12, decimal_places=2, default=0)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["-service_date", "-pk"]
        constraints = [
            # Idempotency of create_claims_for_encounter: one original claim per encounter and coverage.
            models.UniqueConstraint(fields=["encounter", "coverage"], condition=Q(frequency="1"),
                                    name="one_original_claim_per_encounter_coverage"),
            models.CheckConstraint(condition=Q(frequency="1") | Q(replaces__isnull=False),
                                   name="replacement_names_the_claim_it_replaces"),
        ]
        indexes = [
            models.Index(fields=["status", "service_date"]),
            models.Index(fields=["payer", "status"]),
            models.Index(fields=["patient", "service_date"]),
            models.Index(fields=["service_date"]),
        ]

    def __str__(self) -> str:
        return f"Claim {self.patient_control_number} ({self.get_status_display()})"


class ClaimLine(models.Model):
    """One service line (loop 2400): the procedure billed, its code, modifiers, units and charge,
    and the line control number (REF*6R) 835s pay it by."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="lines")
    number = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(50)])
    procedure = models.ForeignKey(
        "records.Procedure", on_delete=models.PROTECT, null=True, blank=True, related_name="claim_lines")
    procedure_code = models.CharField("CPT/HCPCS", max_length=5, validators=[procedure_code])
    modifiers = models.JSONField(default=list, blank=True, help_text="Up to four, in order")
    units = models.DecimalField(max_digits=7, decimal_places=3, default=1)
    charge = models.DecimalField(max_digits=10, decimal_places=2)
    service_date = models.DateField()
    diagnosis_pointers = models.JSONField(default=list, help_text="1 to 4 positions (1-based) in the claim's diagnoses")
    control_number = models.CharField("line control number", max_length=30, unique=True,
                                      help_text="REF*6R")

    class Meta:
        ordering = ["claim", "number"]
        constraints = [models.UniqueConstraint(fields=["claim", "number"], name="one_line_number_per_claim")]

    def __str__(self) -> str:
        modifiers = "-".join(self.modifiers)
        return f"{self.number}. {self.procedure_code}{'-' + modifiers if modifiers else ''}"


class ClaimStatusChange(models.Model):
    """One move of a claim's lifecycle: from what, to what, when, who (a user, or a system agent)
    and from what source (a user's action, a file and its segment, a task), and why."""

    class Source(models.TextChoices):
        USER = "user", "User"
        FILE = "file", "File"
        TASK = "task", "Task"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    agent = models.CharField(max_length=150, help_text="The user's name, or system:<what> for work no user did")
    source = models.CharField(max_length=8, choices=Source.choices)
    source_reference = models.CharField(
        max_length=255, blank=True, help_text="For a file: which file and segment (e.g. 277CA file 12, STC of claim 3)")
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["claim", "at"])]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} -> {self.to_status}"


class ClaimEdit(models.Model):
    """One finding of one scrub run on a claim (the scrubber's edits): errors keep the claim a
    draft, warnings are for staff to read."""

    class Severity(models.TextChoices):
        ERROR = "error", "Error"
        WARNING = "warning", "Warning"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="edits")
    run = models.UUIDField(help_text="The scrub run: every finding of one run shares it")
    run_at = models.DateTimeField(default=timezone.now)
    code = models.CharField(max_length=64, help_text="The edit's rule")
    severity = models.CharField(max_length=8, choices=Severity.choices)
    message = models.CharField(max_length=500)
    line_number = models.PositiveSmallIntegerField(null=True, blank=True)
    other_claim = models.CharField(
        max_length=20, blank=True, help_text="The other claim a finding is about (a duplicate's), by its control number")

    class Meta:
        ordering = ["-run_at", "line_number", "pk"]
        indexes = [models.Index(fields=["claim", "run_at"])]

    def __str__(self) -> str:
        return f"{self.severity}: {self.code}"
