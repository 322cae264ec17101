"""The sandbox clearinghouse in the admin: its rules (editable), what it received and answered."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError

from sandbox.clearinghouse.models import (
    ClearinghouseClaim,
    ClearinghouseFault,
    ClearinghouseRule,
    ResponseFile,
    Submission,
)
from sandbox.clearinghouse.rules import RuleError


class ClearinghouseRuleForm(forms.ModelForm):
    class Meta:
        model = ClearinghouseRule
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        try:
            ClearinghouseRule(**{k: v for k, v in cleaned.items() if k != "id"}).as_rule()
        except RuleError as exc:
            raise ValidationError(str(exc)) from None
        return cleaned


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


if settings.SANDBOX_CLEARINGHOUSE_ENABLED:
    @admin.register(ClearinghouseRule)
    class ClearinghouseRuleAdmin(admin.ModelAdmin):
        form = ClearinghouseRuleForm
        list_display = ["name", "active", "priority", "action", "code", "payer_id", "requires_authorization",
                        "allowed_percent", "fee", "reason_code", "status_code"]
        list_editable = ["active", "priority"]
        list_filter = ["action", "active"]

    @admin.register(Submission)
    class SubmissionAdmin(ReadOnly):
        list_display = ["submitter", "interchange_control", "status", "received_at"]
        list_filter = ["status"]
        exclude = ["text"]  # the file holds patient data; the submitter has it

    @admin.register(ClearinghouseClaim)
    class ClearinghouseClaimAdmin(ReadOnly):
        list_display = ["payer_claim_number", "status", "payer_id", "remit_due_at", "remitted_at"]
        list_filter = ["status"]
        exclude = ["data"]

    @admin.register(ResponseFile)
    class ResponseFileAdmin(ReadOnly):
        list_display = ["name", "submitter", "kind", "created_at", "acknowledged_at"]
        list_filter = ["kind"]
        exclude = ["text"]

    @admin.register(ClearinghouseFault)
    class ClearinghouseFaultAdmin(admin.ModelAdmin):
        list_display = ["operation", "kind", "remaining", "delay_seconds", "created_at"]
