"""Notes in the admin with what note understanding found in them, the evidence highlighted."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from documentation.highlight import highlight
from documentation.models import NoteFacts
from documentation.selectors import failed_reading, latest_facts
from pracops.audit.admin import AuditedAdminMixin
from pracops.records.admin import DocumentReferenceAdmin
from pracops.records.models import DocumentReference

admin.site.unregister(DocumentReference)

# The scalar facts staff check, in the order a reviewer reads a note, with their labels.
SCALARS = [
    ("pain.regions", "Pain regions"), ("pain.laterality", "Laterality"), ("pain.duration_months", "Pain duration (months)"),
    ("pain.nrs_current", "Pain today (NRS 0-10)"), ("pain.radicular", "Radicular"), ("pain.axial", "Predominantly axial"),
    ("function.odi_percent", "ODI %"), ("function.ndi_percent", "NDI %"), ("function.adl_limited", "Daily activities limited"),
    ("exam.straight_leg_raise", "Straight leg raise"), ("exam.si_provocative_positive", "Positive SI provocative tests"),
    ("psych_eval.done", "Psychological evaluation done"), ("psych_eval.cleared", "Psychologically cleared"),
    ("anticoagulated", "Anticoagulated"), ("opioid_mme_per_day", "Opioid MME per day"), ("icd10_codes", "ICD-10 codes"),
]
# The list facts: each entry's columns.
LISTS = [
    ("conservative_care", "Conservative care", ["modality", "status", "weeks", "response"]),
    ("imaging", "Imaging", ["modality", "region", "findings"]),
    ("prior_procedures", "Prior procedures", ["type", "relief_percent", "relief_weeks"]),
    ("red_flags", "Red flags", ["flag", "present"]),
]
TABLE = 'style="margin:0 0 1em 0;min-width:30em"'


def _shown(value) -> str:
    if value is None or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v).replace("_", " ") for v in value)
    return str(value).replace("_", " ")


def _scalar(facts: dict, path: str):
    value = facts
    for key in path.split("."):
        value = (value or {}).get(key)
    return value


def facts_table(facts: dict) -> SafeString:
    """A ClinicalFacts document as tables a reviewer can read: every value is escaped."""
    scalars = format_html_join(
        "", "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
        ((label, _shown(_scalar(facts, path)), (facts.get("evidence") or {}).get(path, {}).get("text", ""))
         for path, label in SCALARS),
    )
    parts = [format_html("<table {}><thead><tr><th>Fact</th><th>Value</th><th>Read from</th></tr></thead>"
                         "<tbody>{}</tbody></table>", SafeString(TABLE), scalars)]
    for name, title, columns in LISTS:
        entries = facts.get(name) or []
        if not entries:
            parts.append(format_html("<p><strong>{}</strong>: none found.</p>", title))
            continue
        head = format_html_join("", "<th>{}</th>", ((c.replace("_", " ").capitalize(),) for c in [*columns, "read_from"]))
        rows = format_html_join(
            "", "<tr>{}</tr>",
            ((format_html_join("", "<td>{}</td>", ((_shown(e.get(c)),) for c in columns))
              + format_html("<td>{}</td>", (e.get("evidence") or {}).get("text", "")),) for e in entries),
        )
        parts.append(format_html("<table {}><caption>{}</caption><thead><tr>{}</tr></thead><tbody>{}</tbody></table>",
                                 SafeString(TABLE), title, head, rows))
    return SafeString("".join(parts))


@admin.register(DocumentReference)
class NoteAdmin(DocumentReferenceAdmin):
    """The core note admin, plus the note's facts and its text with their evidence marked."""

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "note_with_evidence", "extracted_facts"]

    def get_fieldsets(self, request, obj=None):
        # What staff open a note for comes first, above the record's fields and its FHIR JSON.
        ours = ["note_with_evidence", "extracted_facts"]
        fieldsets = [(name, {**options, "fields": [f for f in options["fields"] if f not in ours]})
                     for name, options in super().get_fieldsets(request, obj)]
        if obj is None:
            return fieldsets
        return [("What note understanding found", {"fields": ours}), *fieldsets]

    @staticmethod
    def _latest_facts(obj):
        # Both the marked note and the facts table show these: one query per page, not two.
        if not hasattr(obj, "_latest_facts"):
            obj._latest_facts = latest_facts(obj.pk)
        return obj._latest_facts

    @admin.display(description="Note, with the evidence of its facts marked")
    def note_with_evidence(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        found = self._latest_facts(obj)
        # highlight() escapes the note; without facts the plain text is escaped here.
        body = highlight(obj.text, found.facts) if found else obj.text
        return format_html(
            '<div class="note-text" style="white-space:pre-wrap;max-width:60em;font-family:serif;'
            'line-height:1.5">{}</div>', body
        )

    @admin.display(description="Facts")
    def extracted_facts(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        found, problem = self._latest_facts(obj), self._reading_problem(obj.pk)
        if found is None:
            return problem or "Not read yet."
        # Dates are formatted before format_html, which escapes its arguments to strings first.
        return format_html(
            "<p>{}</p><p>Read by extractor {} on {}. A draft: check each fact against the marked evidence.</p>{}",
            problem, found.extractor_version, timezone.localtime(found.extracted_at).strftime("%Y-%m-%d %H:%M"),
            facts_table(found.facts),
        )

    @staticmethod
    def _reading_problem(document_pk: int) -> str:
        reading = failed_reading(document_pk)
        if reading is None:
            return ""
        given_up = reading.attempts >= settings.NOTE_READING_MAX_ATTEMPTS
        return (f"Reading with extractor {reading.extractor_version} failed {reading.attempts} times "
                f"(last error: {reading.last_error}); "
                + ("given up." if given_up else f"tried again after {timezone.localtime(reading.retry_after):%Y-%m-%d %H:%M}."))


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
