"""Claim files in the admin: the 837P files written and sent, their claims and their text
(patient data: billing only, every view audited), and a "send now" action that queues the send
(the task sends each file at most once)."""

from __future__ import annotations

from django.contrib import admin, messages

from billing.submission import tasks
from billing.submission.access import SEND_PERMISSION
from billing.submission.models import ClaimFile, ClaimFileEntry
from pracops.audit.admin import AuditedAdminMixin


class ClaimFileEntryInline(admin.TabularInline):
    model = ClaimFileEntry
    extra = 0
    can_delete = False
    fields = readonly_fields = ["claim", "set_control_number"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ClaimFile)
class ClaimFileAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["interchange_control_number", "clearinghouse", "status", "created_at", "sent_at", "attempts",
                    "remote_id"]
    list_filter = ["status", "clearinghouse"]
    search_fields = ["interchange_control_number", "remote_id"]
    list_per_page = 50
    inlines = [ClaimFileEntryInline]
    fields = readonly_fields = ["interchange_control_number", "clearinghouse", "status", "created_at", "agent",
                                "sending_since", "sent_at", "attempts", "remote_id", "acknowledged_at",
                                "last_error", "sha256", "text"]
    actions = ["send_now"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_send_permission(self, request) -> bool:
        return request.user.has_perm(SEND_PERMISSION)

    def resource_id_of(self, obj) -> str:
        return str(obj.public_id)

    @admin.action(description="Send now (ready files; a file is never sent twice)", permissions=["send"])
    def send_now(self, request, queryset):
        ready = list(queryset.filter(status=ClaimFile.Status.READY).values_list("pk", flat=True))
        queued = sum(tasks.enqueue_send(pk) for pk in ready)
        self.message_user(request, f"{queued} file(s) queued to send; {len(ready) - queued} left for the next run; "
                                   f"{queryset.count() - len(ready)} not ready (left alone).", messages.INFO)
