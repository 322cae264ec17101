"""The core records in the admin. Edits go through the FHIR write path; every access is audited."""

from __future__ import annotations

import simplejson
from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from pracops.access.roles import allowed, reach_of
from pracops.audit.admin import AuditedAdminMixin
from pracops.fhir.outcome import FhirError
from pracops.records import models
from pracops.records.services.admin_edits import delete_records, problems_with, save_record


class RecordForm(forms.ModelForm):
    # The version the editor saw, so that a stale form cannot overwrite a newer change.
    edited_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["edited_version"].initial = self.instance.version_id

    def _post_clean(self):
        super()._post_clean()  # copies the cleaned values onto the instance
        if self.errors:
            return
        seen = self.cleaned_data.get("edited_version")
        if self.instance.pk is not None and seen is not None and seen != self.instance.version_id:
            self.add_error(None, (
                f"This record changed while you were editing it (you saw version {seen}, it is now at "
                f"version {self.instance.version_id}). Reload the page and make your change again."
            ))
            return
        for problem in problems_with(self.instance):
            self.add_error(None, problem)


class ThroughWritePath:
    """Deletes go through the write path, as the FHIR API's do; the audit mixin records them after.

    A write the path refuses at save time (a concurrent change won the row lock: 412; a record
    still referred to: 409) has already said why in a message, and the admin's transaction is
    rolled back: the editor is sent back to the page, not shown a server error.
    """

    def changeform_view(self, request, *args, **kwargs):
        return self._back_on_refusal(request, super().changeform_view, request, *args, **kwargs)

    def delete_view(self, request, *args, **kwargs):
        return self._back_on_refusal(request, super().delete_view, request, *args, **kwargs)

    def changelist_view(self, request, *args, **kwargs):
        return self._back_on_refusal(request, super().changelist_view, request, *args, **kwargs)

    @staticmethod
    def _back_on_refusal(request, view, *args, **kwargs):
        try:
            return view(*args, **kwargs)
        except FhirError:
            return HttpResponseRedirect(request.get_full_path())

    def delete_model(self, request, obj):
        self._delete(request, [obj])

    def delete_queryset(self, request, queryset):
        self._delete(request, list(queryset))

    def _delete(self, request, records) -> None:
        try:
            delete_records(records)
        except FhirError as exc:
            messages.error(request, f"Not deleted: {exc}")
            raise


class RecordAdmin(AuditedAdminMixin, ThroughWritePath, admin.ModelAdmin):
    form = RecordForm
    common_readonly = ["fhir_id", "version_id", "last_updated", "identifier_list", "resource_json"]
    list_per_page = 50
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        derived = [name for name, col in self._kind().mapper.columns.items()
                   if col.set is None and name != "name_text"]
        readonly = [*self.common_readonly, *derived]
        if obj is not None and obj.pk is not None and self._withheld_types(request, obj):
            # Contained resources of a type the role may not read are not shown (minimum necessary).
            readonly[readonly.index("resource_json")] = "resource_withheld"
        return readonly

    def _withheld_types(self, request, obj) -> set[str]:
        # Django asks for the read-only fields several times per page; the record is this request's.
        if not hasattr(obj, "_withheld_types"):
            resource = self._kind().to_fhir(obj)
            obj._withheld_types = {t for i, t, _ in reach_of(resource, sending=False)
                                   if not allowed(request.user, i, t)}
        return obj._withheld_types

    @admin.display(description="FHIR resource")
    def resource_withheld(self, obj):
        return "Not shown: it contains resources of a type your role may not read."

    def get_exclude(self, request, obj=None):
        return ["resource", "name_text"]

    def _kind(self):
        from pracops.records.registry import kind_for_model

        return kind_for_model(self.model)

    @admin.display(description="Identifiers")
    def identifier_list(self, obj):
        if obj.pk is None:
            return "-"
        return ", ".join(str(i) for i in obj.identifiers.all()) or "-"

    @admin.display(description="FHIR resource")
    def resource_json(self, obj):
        if obj.pk is None:
            return "-"
        # simplejson: stored decimals are Decimals (their digits kept), which json cannot write.
        text = simplejson.dumps(self._kind().to_fhir(obj), indent=2, use_decimal=True, ensure_ascii=False)
        return format_html("<pre style='white-space:pre-wrap'>{}</pre>", text[:20000])

    def save_model(self, request, obj, form, change):
        try:
            # The version the editor saw, checked again under the write's lock.
            seen = form.cleaned_data.get("edited_version") or obj.version_id
            save_record(obj, is_new=not change, expected_version=seen if change else None)
        except FhirError as exc:
            messages.error(request, f"Not saved: {exc}")
            raise
        self._audit(request, "U" if change else "C", obj)


def _link(obj, label=None):
    url = reverse(f"admin:records_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, label or str(obj))


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CoverageInline(ReadOnlyInline):
    model = models.Coverage
    fk_name = "beneficiary"
    fields = readonly_fields = ["payor", "member_id", "plan", "group", "period_start", "period_end", "status"]


class EncounterInline(ReadOnlyInline):
    model = models.Encounter
    fields = readonly_fields = ["period_start", "type_display", "status", "practitioner"]
    ordering = ["-period_start"]


class ServiceRequestInline(ReadOnlyInline):
    model = models.ServiceRequest
    verbose_name_plural = "Orders"
    fields = readonly_fields = ["date", "code", "code_display", "laterality", "spinal_levels", "status"]
    ordering = ["-date"]


class NoteInline(ReadOnlyInline):
    model = models.DocumentReference
    verbose_name_plural = "Notes"
    fields = readonly_fields = ["date", "code_display", "status", "author"]
    ordering = ["-date"]


class ConditionInline(ReadOnlyInline):
    model = models.Condition
    fields = readonly_fields = ["date", "code_system", "code", "code_display", "clinical_status"]
    ordering = ["-date"]


@admin.register(models.Patient)
class PatientAdmin(RecordAdmin):
    list_display = ["__str__", "mrn", "birth_date", "gender", "active", "last_updated"]
    list_filter = ["gender", "active"]
    search_fields = ["family", "given", "mrn", "identifiers__value"]
    inlines = [CoverageInline, EncounterInline, ServiceRequestInline, NoteInline, ConditionInline]


@admin.register(models.Organization)
class OrganizationAdmin(RecordAdmin):
    list_display = ["name", "kind", "npi", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "npi", "identifiers__value"]


@admin.register(models.Practitioner)
class PractitionerAdmin(RecordAdmin):
    list_display = ["__str__", "npi", "active"]
    search_fields = ["family", "given", "npi", "identifiers__value"]


@admin.register(models.Coverage)
class CoverageAdmin(RecordAdmin):
    list_display = ["beneficiary", "payor", "member_id", "plan", "group", "period_start", "period_end", "status"]
    search_fields = ["member_id", "beneficiary__family", "beneficiary__mrn", "payor__name"]
    autocomplete_fields = ["beneficiary", "payor"]
    list_select_related = ["beneficiary", "payor"]


@admin.register(models.Encounter)
class EncounterAdmin(RecordAdmin):
    list_display = ["__str__", "patient", "status", "practitioner", "period_start"]
    list_filter = ["status", "class_code"]
    search_fields = ["patient__family", "patient__mrn", "type_display"]
    autocomplete_fields = ["patient", "practitioner", "service_provider"]
    list_select_related = ["patient", "practitioner"]
    date_hierarchy = "period_start"


class CodedAdmin(RecordAdmin):
    list_display = ["__str__", "patient", "code", "status", "date"]
    list_filter = ["status"]
    search_fields = ["patient__family", "patient__mrn", "code", "code_display"]
    autocomplete_fields = ["patient", "encounter"]
    list_select_related = ["patient"]
    date_hierarchy = "date"


@admin.register(models.Condition)
class ConditionAdmin(CodedAdmin):
    list_display = ["__str__", "patient", "code_system", "code", "clinical_status", "date"]


@admin.register(models.Procedure)
class ProcedureAdmin(CodedAdmin):
    list_display = ["__str__", "patient", "code", "laterality", "spinal_levels", "status", "date"]
    autocomplete_fields = ["patient", "encounter", "performer"]


@admin.register(models.ServiceRequest)
class ServiceRequestAdmin(CodedAdmin):
    list_display = ["__str__", "patient", "code", "laterality", "spinal_levels", "status", "requester", "date"]
    autocomplete_fields = ["patient", "encounter", "requester"]


@admin.register(models.Observation)
class ObservationAdmin(CodedAdmin):
    list_display = ["__str__", "patient", "code", "value_number", "value_unit", "date"]
    list_filter = ["status", "category"]


@admin.register(models.DocumentReference)
class DocumentReferenceAdmin(CodedAdmin):
    list_display = ["__str__", "patient", "status", "author", "date"]
    autocomplete_fields = ["patient", "encounter", "author"]


class WrittenBySystemAdmin(RecordAdmin):
    """Records the prior authorization workflow writes as the system: shown, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.Claim)
class ClaimAdmin(WrittenBySystemAdmin):
    list_display = ["__str__", "patient", "use", "status", "insurer", "priority", "created"]
    list_filter = ["use", "status"]
    search_fields = ["patient__family", "patient__mrn", "identifiers__value"]
    list_select_related = ["patient", "insurer"]
    date_hierarchy = "created"


@admin.register(models.ClaimResponse)
class ClaimResponseAdmin(WrittenBySystemAdmin):
    list_display = ["__str__", "patient", "use", "outcome", "pre_auth_ref", "pre_auth_period_start",
                    "pre_auth_period_end", "created"]
    list_filter = ["use", "outcome", "status"]
    search_fields = ["patient__family", "patient__mrn", "pre_auth_ref", "identifiers__value"]
    list_select_related = ["patient"]
    date_hierarchy = "created"
