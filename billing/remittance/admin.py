"""Billing's admin for files received, remittances and the suspense queue.

Files and remittances are read-only (they are what a clearinghouse or payer sent). A file's text
is patient data: only the billing role (and superusers) see it. Suspense items (claim payments
that matched no claim) are matched to a claim or dismissed by actions that call the services;
opening or listing any of these is audited.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm

from billing.admin import ReadOnlyInline
from billing.models import Claim
from billing.remittance import services
from billing.remittance.models import ClaimPayment, PaymentAdjustment, Remittance, ServiceLinePayment, X12File
from pracops.access.roles import roles_of
from pracops.audit.admin import AuditedAdminMixin


class _ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _billing(request) -> bool:
    return request.user.is_superuser or "billing" in roles_of(request.user)


@admin.register(X12File)
class X12FileAdmin(_ReadOnly, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "status", "source", "received_at", "read_at", "error"]
    list_filter = ["kind", "status", "source"]
    search_fields = ["name", "interchange_control_number"]
    date_hierarchy = "received_at"
    show_full_result_count = False
    _fields = ["public_id", "name", "source", "kind", "status", "interchange_control_number", "sender_id",
               "received_at", "read_at", "agent", "error", "summary", "sha256"]

    def get_fields(self, request, obj=None):
        return [*self._fields, "text"] if _billing(request) else list(self._fields)

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def resource_id_of(self, obj) -> str:
        return str(obj.public_id)


class ClaimPaymentInline(ReadOnlyInline):
    model = ClaimPayment
    fields = readonly_fields = ["position", "patient_control_number", "claim", "status_code", "charge", "paid",
                                "patient_responsibility", "payer_claim_number", "suspense"]


@admin.register(Remittance)
class RemittanceAdmin(_ReadOnly, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["trace_number", "payer_name", "payment_method", "payment_date", "total_paid", "file"]
    list_filter = ["payment_method", "payer"]
    list_select_related = ["file"]
    search_fields = ["trace_number", "payer_name"]
    inlines = [ClaimPaymentInline]
    fields = readonly_fields = ["file", "set_control_number", "payer", "payer_name", "payer_identifier", "payee_npi",
                                "trace_number", "payment_method", "payment_date", "total_paid",
                                "provider_adjustments"]


class ServiceLinePaymentInline(ReadOnlyInline):
    model = ServiceLinePayment
    fields = readonly_fields = ["position", "procedure_code", "modifiers", "line", "charge", "paid", "units",
                                "service_date", "remarks"]


class PaymentAdjustmentInline(ReadOnlyInline):
    model = PaymentAdjustment
    fields = readonly_fields = ["service_line", "group", "reason", "amount", "quantity"]


class SuspenseActionForm(ActionForm):
    claim = forms.CharField(required=False, max_length=20, label="Claim (patient control number)")
    note = forms.CharField(required=False, max_length=500)


class SuspenseFilter(admin.SimpleListFilter):
    title = "suspense"
    parameter_name = "suspense"

    def lookups(self, request, model_admin):
        return ClaimPayment.Suspense.choices

    def queryset(self, request, queryset):
        value = self.value()
        return queryset if value is None else queryset.filter(suspense=value)


@admin.register(ClaimPayment)
class ClaimPaymentAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Claim payments; the suspense queue is the ``In suspense`` filter, worked by the actions."""

    list_display = ["patient_control_number", "claim", "status_code", "charge", "paid", "suspense", "remittance"]
    list_filter = [SuspenseFilter, "status_code"]
    list_select_related = ["claim", "claim__patient", "remittance"]
    search_fields = ["patient_control_number", "payer_claim_number"]
    inlines = [ServiceLinePaymentInline, PaymentAdjustmentInline]
    action_form = SuspenseActionForm
    actions = ["match_to_claim", "dismiss"]
    fields = readonly_fields = ["remittance", "position", "patient_control_number", "claim", "status_code", "charge",
                                "paid", "patient_responsibility", "filing_indicator", "payer_claim_number", "remarks",
                                "posted_at", "suspense", "resolved_at", "resolved_by", "resolution_note"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def resource_id_of(self, obj) -> str:
        return f"{obj.remittance_id}-{obj.position}"

    def patient_id_of(self, obj) -> str:
        return obj.claim.patient.fhir_id if obj.claim_id else ""

    @admin.action(description="Match to the claim given (posts the payment)", permissions=["change"])
    def match_to_claim(self, request, queryset):
        number = request.POST.get("claim", "").strip()
        claim = Claim.objects.filter(patient_control_number=number).first() if number else None
        if claim is None:
            self.message_user(request, "Give the patient control number of an existing claim.", messages.ERROR)
            return
        self._each(request, queryset, lambda item: services.match_suspended_payment(
            claim_payment_id=item.pk, claim_id=claim.pk, user=request.user, note=request.POST.get("note", "")))

    @admin.action(description="Dismiss (belongs to no claim of ours)", permissions=["change"])
    def dismiss(self, request, queryset):
        self._each(request, queryset, lambda item: services.dismiss_suspended_payment(
            claim_payment_id=item.pk, user=request.user, note=request.POST.get("note", "")))

    def _each(self, request, queryset, action) -> None:
        done = refused = 0
        for item in queryset:
            try:
                action(item)
                done += 1
            except services.SuspenseError:
                refused += 1
        self.message_user(request, f"{done} done, {refused} not in suspense.",
                          messages.SUCCESS if not refused else messages.WARNING)
