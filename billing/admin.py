"""Billing in the Django admin: fee schedules edited with their prices, the practice's billing
profile and each payer's billing settings, and claims shown read-only with their lines, scrub
findings, status history and payments, with the billing team's worklists (rejected, denied,
unpaid after 30 days) and its actions (scrub, send, correct and resend).

Claims are patient data: opening or listing them is audited (``AuditedAdminMixin``). A claim's
status changes only through ``billing.services``.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils import timezone

from billing.models import (
    BillingProfile,
    Claim,
    ClaimEdit,
    ClaimLine,
    ClaimStatusChange,
    FeeSchedule,
    FeeScheduleEntry,
    PayerBillingSettings,
)
from billing.remittance.models import ClaimPayment
from pracops.audit.admin import AuditedAdminMixin
from pracops.records import admin as records_admin


class FeeScheduleEntryInline(admin.TabularInline):
    model = FeeScheduleEntry
    extra = 3
    fields = ["procedure_code", "modifier", "amount"]


@admin.register(FeeSchedule)
class FeeScheduleAdmin(admin.ModelAdmin):
    list_display = ["name", "payer_column", "effective_from", "effective_until"]
    list_filter = ["payer"]
    list_select_related = ["payer"]
    search_fields = ["name", "payer__name"]
    inlines = [FeeScheduleEntryInline]

    @admin.display(description="payer", ordering="payer__name")
    def payer_column(self, obj: FeeSchedule) -> str:
        return obj.payer.name if obj.payer else "Default (all payers)"


@admin.register(BillingProfile)
class BillingProfileAdmin(admin.ModelAdmin):
    list_display = ["organization", "taxonomy", "place_of_service", "submitter_name"]
    list_select_related = ["organization"]


@admin.register(PayerBillingSettings)
class PayerBillingSettingsAdmin(admin.ModelAdmin):
    list_display = ["organization", "payer_id", "claim_filing_code", "timely_filing_days", "bilateral",
                    "clearinghouse"]
    list_select_related = ["organization"]
    search_fields = ["organization__name", "payer_id"]


class ReadOnlyInline(records_admin.ReadOnlyInline):
    """The records' read-only inline, without links to rows that have no page of their own."""

    show_change_link = False


class ClaimLineInline(ReadOnlyInline):
    model = ClaimLine
    fields = readonly_fields = ["number", "procedure_code", "modifiers", "units", "charge", "service_date",
                                "diagnosis_pointers", "control_number"]


class ClaimEditInline(ReadOnlyInline):
    model = ClaimEdit
    verbose_name_plural = "scrub findings"
    fields = readonly_fields = ["run_at", "severity", "code", "line_number", "message", "other_claim"]


class ClaimStatusChangeInline(ReadOnlyInline):
    model = ClaimStatusChange
    verbose_name_plural = "status history"
    fields = readonly_fields = ["at", "from_status", "to_status", "agent", "source", "source_reference", "reason"]


class ClaimPaymentInline(ReadOnlyInline):
    model = ClaimPayment
    verbose_name_plural = "payments (835)"
    fields = readonly_fields = ["remittance", "status_code", "charge", "paid", "patient_responsibility",
                                "payer_claim_number", "adjustments_column", "posted_at"]

    @admin.display(description="adjustments (group-CARC amount)")
    def adjustments_column(self, obj) -> str:
        return ", ".join(f"{a.group}-{a.reason} {a.amount}" for a in obj.adjustments.all()) or "-"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("remittance").prefetch_related("adjustments")


class ResendReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=400, widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="What was fixed and why the claim goes out again (kept in its status history; no patient "
                  "names or notes).")


class WorklistFilter(admin.SimpleListFilter):
    """The billing team's worklists: what the payer sent back, and what it has not paid."""

    title = "worklist"
    parameter_name = "worklist"
    UNPAID_DAYS = 30

    def lookups(self, request, model_admin):
        return [("rejected", "Rejected"), ("denied", "Denied"),
                ("unpaid", f"Unpaid after {self.UNPAID_DAYS} days")]

    def queryset(self, request, queryset):
        if self.value() == "rejected":
            return queryset.filter(status=Claim.Status.REJECTED)
        if self.value() == "denied":
            return queryset.filter(status=Claim.Status.DENIED)
        if self.value() == "unpaid":
            # Sent, not yet paid or denied, and first sent more than 30 days ago.
            cutoff = timezone.now() - timedelta(days=self.UNPAID_DAYS)
            sent_long_ago = ClaimStatusChange.objects.filter(to_status=Claim.Status.SUBMITTED, at__lte=cutoff)
            return queryset.filter(status__in=Claim.AWAITING_PAYER, pk__in=sent_long_ago.values("claim_id"))
        return queryset


@admin.register(Claim)
class ClaimAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["patient_control_number", "patient", "payer", "service_date", "status", "frequency",
                    "total_charge"]
    list_filter = [WorklistFilter, "status", ("payer", admin.RelatedOnlyFieldListFilter), "frequency"]
    list_select_related = ["patient", "payer"]
    search_fields = ["patient_control_number", "payer_claim_number", "patient__family", "patient__mrn"]
    date_hierarchy = "service_date"
    list_per_page = 50
    show_full_result_count = False
    inlines = [ClaimLineInline, ClaimEditInline, ClaimStatusChangeInline, ClaimPaymentInline]
    fieldsets = [
        (None, {"fields": ["patient_control_number", "status", "frequency", "replaces", "replaced_by",
                           "payer_claim_number"]}),
        ("Who and where", {"fields": ["patient", "coverage", "payer", "billing_provider", "rendering_provider",
                                      "place_of_service", "encounter"]}),
        ("Diagnoses and authorization", {"fields": ["diagnoses", "prior_authorization",
                                                    "prior_authorization_number"]}),
        ("Totals", {"fields": ["service_date", "total_charge", "created_at", "created_by"]}),
    ]
    readonly_fields = [name for _, section in fieldsets for name in section["fields"]]
    actions = ["scrub_claims", "send_claims", "correct_and_resend"]

    @admin.display(description="replaced by")
    def replaced_by(self, obj: Claim) -> str:
        """The corrections (7) and voids (8) made for this claim, linked."""
        replacements = obj.replacements.order_by("pk").only("pk", "patient_control_number", "frequency", "status")
        return format_html_join(", ", '<a href="{}">{}</a> ({}, {})', (
            (reverse("admin:billing_claim_change", args=[r.pk]), r.patient_control_number,
             r.get_frequency_display(), r.get_status_display().lower()) for r in replacements)) or "-"

    # Who may send claims may scrub them (the billing role).
    @admin.action(description="Scrub (drafts and scrubbed claims: run the edits again)", permissions=["send"])
    def scrub_claims(self, request, queryset):
        from billing import services

        clean = errors = 0
        for claim in queryset.filter(status__in=Claim.UNSENT).order_by("pk"):
            found = services.scrub_claim(claim=claim, user=request.user)
            if any(edit.severity == ClaimEdit.Severity.ERROR for edit in found):
                errors += 1
            else:
                clean += 1
        skipped = queryset.exclude(status__in=Claim.UNSENT).count()
        self.message_user(request, f"{clean} claim(s) scrubbed clean, {errors} with errors to fix.")
        if skipped:
            self.message_user(request, f"{skipped} claim(s) already sent: not scrubbed.", messages.WARNING)

    def has_send_permission(self, request) -> bool:
        from billing.submission.access import SEND_PERMISSION

        return request.user.has_perm(SEND_PERMISSION)

    @admin.action(description="Send (scrubbed claims: one 837P file per clearinghouse)", permissions=["send"])
    def send_claims(self, request, queryset):
        from billing.submission import selectors as submission_selectors
        from billing.submission import services as submission_services

        routes: dict[str, list[int]] = {}
        skipped = 0
        for pk, status, payer_pk in queryset.values_list("pk", "status", "payer_id"):
            if status != Claim.Status.SCRUBBED:
                skipped += 1
                continue
            routes.setdefault(submission_selectors.clearinghouse_of_payer(payer_pk), []).append(pk)
        for clearinghouse, claim_ids in routes.items():
            try:
                made = submission_services.prepare_and_send(claim_ids=claim_ids, clearinghouse=clearinghouse,
                                                            user=request.user)
            except submission_services.SubmissionError as error:
                self.message_user(request, str(error), messages.ERROR)
                continue
            self.message_user(request, f"{len(claim_ids)} claim(s) written to file "
                                       f"{made.interchange_control_number} for {clearinghouse}, queued to send.")
        if skipped:
            self.message_user(request, f"{skipped} claim(s) not scrubbed: not sent.", messages.WARNING)

    @admin.action(description="Correct and resend (rejected: send again; paid or denied: a replacement claim)",
                  permissions=["send"])
    def correct_and_resend(self, request, queryset):
        """A confirmation page asking for the reason first (like the delete confirmation); then,
        per claim, ``billing.submission.services.correct_and_resend`` and a message saying what it did."""
        from billing.lifecycle import TransitionNotAllowed
        from billing.services import BillingError
        from billing.submission import services as submission_services

        claims = list(queryset.select_related("payer").order_by("pk"))
        form = ResendReasonForm(request.POST if "post" in request.POST else None)
        if not form.is_bound or not form.is_valid():
            return TemplateResponse(request, "admin/billing/claim/correct_and_resend.html", {
                **self.admin_site.each_context(request), "title": "Correct and resend claims",
                "opts": self.model._meta, "form": form, "claims": [(claim, _resend_plan(claim)) for claim in claims],
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "resendable": any(claim.status in submission_services.RESENDABLE for claim in claims),
            })
        reason = form.cleaned_data["reason"]
        for claim in claims:
            number = claim.patient_control_number
            try:
                done = submission_services.correct_and_resend(claim_id=claim.pk, reason=reason, user=request.user)
            except (BillingError, TransitionNotAllowed, submission_services.SubmissionError) as error:
                self.message_user(request, f"Claim {number}: not resent: {error}.", messages.ERROR)
                continue
            what = (f"replaced by claim {done.claim.patient_control_number} (frequency 7, REF*F8 "
                    f"{done.replaced.payer_claim_number})" if done.replaced else "back to draft")
            if done.claim_file is not None:
                self.message_user(request, f"Claim {number}: {what}, scrubbed clean and written to file "
                                           f"{done.claim_file.interchange_control_number}, queued to send.")
            else:
                self.message_user(request, f"Claim {number}: {what}, held by {done.errors} scrubber "
                                           f"edit{'s' if done.errors != 1 else ''}: fix "
                                           f"{'them' if done.errors != 1 else 'it'}, then scrub and send.",
                                  messages.WARNING)
        return None

    # Claims are made from encounters and changed by the billing services, never by hand here.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def resource_id_of(self, obj) -> str:
        return str(obj.public_id)


def _resend_plan(claim: Claim) -> str:
    """What correcting and resending will do with ``claim``, in a biller's words."""
    if claim.status == Claim.Status.REJECTED:
        return "back to draft, scrubbed, and sent now if clean"
    if claim.status in Claim.ADJUDICATED:
        if not claim.payer_claim_number:
            return "left alone: the payer has not numbered it (a replacement must name its claim number)"
        return (f"replaced by a new claim (frequency 7, REF*F8 {claim.payer_claim_number}), scrubbed, and sent now "
                "if clean; this claim becomes corrected")
    return f"left alone: only rejected or adjudicated claims are resent; this one is {claim.get_status_display().lower()}"
