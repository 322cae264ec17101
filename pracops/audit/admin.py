"""The audit trail in the admin (read-only), and the mixin that audits every admin access."""

from __future__ import annotations

from django.contrib import admin

from pracops.audit.models import AuditEvent
from pracops.audit.services import record_access


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["recorded", "agent_name", "source", "subtype", "resource_type", "resource_id",
                    "patient_id", "outcome"]
    list_filter = ["source", "action", "outcome", "resource_type"]
    search_fields = ["agent_name", "patient_id", "resource_id"]
    date_hierarchy = "recorded"
    readonly_fields = [f.name for f in AuditEvent._meta.fields] + ["entities"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # Reading the audit trail is itself audited, as through the API.
    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if request.method == "GET" and getattr(response, "status_code", 200) == 200:
            record_access(user=request.user, source=AuditEvent.Source.ADMIN, action="E",
                          resource_type="AuditEvent", query=request.META.get("QUERY_STRING", ""),
                          request=request)
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and getattr(response, "status_code", 200) == 200:
            record_access(user=request.user, source=AuditEvent.Source.ADMIN, action="R",
                          resource_type="AuditEvent", resource_id=str(object_id), request=request)
        return response


class AuditedAdminMixin:
    """Record who listed, opened, changed or deleted patient records in the admin."""

    def _audit(self, request, action: str, obj=None, **extra) -> None:
        resource_type = getattr(self.model, "resource_type", self.model.__name__)
        patient = ""
        if obj is not None:
            patient = self.patient_id_of(obj)
        record_access(
            user=request.user, source="admin", action=action, resource_type=resource_type,
            resource_id=self.resource_id_of(obj) if obj is not None else "", patient_id=patient,
            request=request, **extra,
        )

    def resource_id_of(self, obj) -> str:
        """The id the audit trail names a row by: a record's FHIR id (others override: their
        exposed id, never a patient identifier)."""
        return getattr(obj, "fhir_id", "")

    def patient_id_of(self, obj) -> str:
        if getattr(obj, "resource_type", "") == "Patient":
            return obj.fhir_id
        for attribute in ("patient", "beneficiary"):
            related = getattr(obj, f"{attribute}_id", None)
            if related:
                return getattr(obj, attribute).fhir_id
        return ""

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if request.method == "GET" and getattr(response, "status_code", 200) == 200:
            shown, patients = [], []
            cl = (getattr(response, "context_data", None) or {}).get("cl")
            if cl is not None:
                resource_type = getattr(self.model, "resource_type", self.model.__name__)
                shown = [f"{resource_type}/{self.resource_id_of(o) or o.pk}" for o in cl.result_list]
                # Each list's patient is select_related, so this costs no query per row.
                patients = [self.patient_id_of(o) for o in cl.result_list]
            self._audit(request, "E", query=request.META.get("QUERY_STRING", ""), entities=shown,
                        patients=patients)
        return response

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if request.path.rstrip("/").endswith("autocomplete"):
            # Autocomplete widgets list records too (names, MRNs) while a form is filled in.
            self._audit(request, "E", query=request.META.get("QUERY_STRING", ""), subtype="autocomplete")
        return queryset, may_have_duplicates

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        self._audit_opened(request, object_id, response)
        return response

    def delete_view(self, request, object_id, extra_context=None):
        # The confirmation page names the record and everything that refers to it.
        response = super().delete_view(request, object_id, extra_context)
        self._audit_opened(request, object_id, response)
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        self._audit_opened(request, object_id, response)
        return response

    def _audit_opened(self, request, object_id, response) -> None:
        if request.method == "GET" and getattr(response, "status_code", 200) == 200:
            obj = self.get_object(request, object_id)
            if obj is not None:
                self._audit(request, "R", obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._audit(request, "U" if change else "C", obj)

    def delete_model(self, request, obj):
        patient = self.patient_id_of(obj)
        fhir_id = self.resource_id_of(obj)
        super().delete_model(request, obj)
        record_access(user=request.user, source="admin", action="D",
                      resource_type=getattr(self.model, "resource_type", self.model.__name__),
                      resource_id=fhir_id, patient_id=patient, request=request)

    def delete_queryset(self, request, queryset):
        doomed = [(self.resource_id_of(o), self.patient_id_of(o)) for o in queryset]
        super().delete_queryset(request, queryset)
        for fhir_id, patient in doomed:
            record_access(user=request.user, source="admin", action="D",
                          resource_type=getattr(self.model, "resource_type", self.model.__name__),
                          resource_id=fhir_id, patient_id=patient, request=request)
