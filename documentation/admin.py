"""Notes in the admin with what note understanding found in them, the evidence highlighted."""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html

from documentation.highlight import highlight
from documentation.models import NoteFacts
from documentation.selectors import latest_facts
from pracops.audit.admin import AuditedAdminMixin
from pracops.records.admin import DocumentReferenceAdmin
from pracops.records.models import DocumentReference

admin.site.unregister(DocumentReference)


@admin.register(DocumentReference)
class NoteAdmin(DocumentReferenceAdmin):
    """The core note admin, plus the note's facts and its text with their evidence marked."""

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "note_with_evidence", "extracted_facts"]

    @admin.display(description="Note, with the evidence of its facts marked")
    def note_with_evidence(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        found = latest_facts(obj.pk)
        body = highlight(obj.text, found.facts) if found else obj.text
        return format_html(
            '<div class="note-text" style="white-space:pre-wrap;max-width:60em;font-family:serif">{}</div>', body
        )

    @admin.display(description="Facts")
    def extracted_facts(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        found = latest_facts(obj.pk)
        if found is None:
            return "Not read yet."
        return format_html(
            "<p>Extractor {} on {:%Y-%m-%d %H:%M}</p><pre style='white-space:pre-wrap'>{}</pre>",
            found.extractor_version, found.extracted_at,
            json.dumps({k: v for k, v in found.facts.items() if k != "evidence"}, indent=2),
        )


@admin.register(NoteFacts)
class NoteFactsAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["document", "extractor_version", "extracted_at"]
    list_filter = ["extractor_version"]
    readonly_fields = ["document", "extractor_version", "text_sha256", "facts", "extracted_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def patient_id_of(self, obj) -> str:
        return obj.document.patient.fhir_id
