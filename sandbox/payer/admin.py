"""The sandbox payer in the admin: its rules (editable), what it received, its subscriptions."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError

from sandbox.payer.decisions import RuleError
from sandbox.payer.models import (
    SandboxClaim,
    SandboxFault,
    SandboxNotification,
    SandboxReceipt,
    SandboxRule,
    SandboxSubscription,
)


class SandboxRuleForm(forms.ModelForm):
    class Meta:
        model = SandboxRule
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        try:
            SandboxRule(**{k: v for k, v in cleaned.items() if k != "id"}).as_rule()
        except RuleError as exc:
            raise ValidationError(str(exc)) from None
        return cleaned


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


if settings.SANDBOX_PAYER_ENABLED:
    @admin.register(SandboxRule)
    class SandboxRuleAdmin(admin.ModelAdmin):
        form = SandboxRuleForm
        list_display = ["name", "active", "priority", "code", "member_id", "action", "approved_units",
                        "reason_code", "pend_seconds", "then"]
        list_editable = ["active", "priority"]
        list_filter = ["action", "active"]

    @admin.register(SandboxClaim)
    class SandboxClaimAdmin(ReadOnly):
        list_display = ["tracking_id", "status", "auth_number", "received_at", "decide_at", "decided_at"]
        list_filter = ["status"]
        search_fields = ["tracking_id", "auth_number"]

    @admin.register(SandboxReceipt)
    class SandboxReceiptAdmin(ReadOnly):
        list_display = ["operation", "claim", "status_code", "received_at"]
        list_filter = ["operation", "status_code"]

    @admin.register(SandboxSubscription)
    class SandboxSubscriptionAdmin(ReadOnly):
        list_display = ["public_id", "status", "org_identifier", "endpoint", "payload", "events", "created_at"]

    @admin.register(SandboxNotification)
    class SandboxNotificationAdmin(ReadOnly):
        list_display = ["subscription", "claim", "event_number", "attempts", "status_code", "delivered_at", "error"]

    @admin.register(SandboxFault)
    class SandboxFaultAdmin(admin.ModelAdmin):
        list_display = ["operation", "kind", "remaining", "delay_seconds", "created_at"]
