"""The front-office worklist in the Django admin.

The prior authorization changelist is the worklist (counts per status, due-date countdown,
overdue rows marked, filters, actions); a request's page shows what staff need to work it
(checklist, evidence marked in the notes, decision, packet, timeline). An order's page answers
whether its payer needs an authorization and starts one. Every action calls
``priorauth.services`` (never ``status =``, never an adapter); every read is audited.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections import defaultdict
from datetime import date, datetime, timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AdminDateWidget
from django.db.models import Count, F, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from documentation.highlight import highlight_spans
from priorauth.access import sees_approvals_only
from priorauth.models import PayerProfile, PriorAuthorization
from pracops.access.roles import allowed
from pracops.audit.admin import AuditedAdminMixin
from pracops.audit.services import record_access
from pracops.records.admin import ServiceRequestAdmin
from pracops.records.models import DocumentReference, ServiceRequest

S = PriorAuthorization.Status

# What each criterion status looks like on the page: icon, plain words, CSS class.
CRITERION_STATUS = {
    "met": ("✔", "Met", "pa-met"),
    "not_met": ("✘", "Not met", "pa-not-met"),
    "insufficient_documentation": ("?", "Not documented", "pa-undocumented"),
    "not_applicable": ("–", "Does not apply", "pa-na"),
}
# Statuses billing may see: what a claim needs (minimum necessary).
APPROVAL_STATUSES = (*PriorAuthorization.APPROVALS, S.EXPIRED)


def countdown(due: datetime, now: datetime) -> tuple[str, bool]:
    """("due in 2 d 4 h" | "overdue 5 h", overdue?) for a decision due at ``due``."""
    seconds = int((due - now).total_seconds())
    overdue = seconds < 0
    days, rest = divmod(abs(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        words = f"{days} d {hours} h"
    elif hours:
        words = f"{hours} h"
    else:
        words = f"{max(rest // 60, 1)} min"
    return (f"overdue {words}" if overdue else f"due in {words}"), overdue


def _when(value: datetime | date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def _label(authorization: PriorAuthorization) -> str:
    """How a request is named to staff in messages (on screen only, never logged)."""
    return f"{authorization.patient} — {authorization.cpt}"


def _fact_words(path: str) -> str:
    # "imaging[0].modality" reads "imaging › modality": list positions mean nothing to staff.
    return re.sub(r"\[\d+\]", "", path).replace(".", " › ").replace("_", " ")


def _value_words(value) -> str:
    if value is None or value == []:
        return "not found"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_value_words(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')} {_value_words(v)}" for k, v in value.items())
    return str(value).replace("_", " ")


# --- The worklist's filters --------------------------------------------------------


class DueFilter(admin.SimpleListFilter):
    title = "decision due"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue"), ("today", "Due today"), ("week", "Due in the next 7 days")]

    def queryset(self, request, queryset):
        now = timezone.now()
        waiting = queryset.filter(status__in=PriorAuthorization.AWAITING_PAYER, decision_due_at__isnull=False)
        if self.value() == "overdue":
            return waiting.filter(decision_due_at__lt=now)
        if self.value() == "today":
            end_of_day = timezone.localtime(now).replace(hour=23, minute=59, second=59, microsecond=999999)
            return waiting.filter(decision_due_at__gte=now, decision_due_at__lte=end_of_day)
        if self.value() == "week":
            return waiting.filter(decision_due_at__gte=now, decision_due_at__lte=now + timedelta(days=7))
        return queryset


class ProcedureFilter(admin.SimpleListFilter):
    title = "procedure (CPT)"
    parameter_name = "cpt"

    def lookups(self, request, model_admin):
        codes = model_admin.get_queryset(request).order_by("cpt").values_list("cpt", flat=True).distinct()
        return [(code, code) for code in codes]

    def queryset(self, request, queryset):
        return queryset.filter(cpt=self.value()) if self.value() else queryset


class PayerFilter(admin.RelatedOnlyFieldListFilter):
    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = "payer"


class ProviderFilter(admin.RelatedOnlyFieldListFilter):
    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = "ordering provider"


# --- The forms of the actions that ask for more ------------------------------------


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=500, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Why the request is withdrawn. Kept in the request's timeline: no patient details.")


class DecisionForm(forms.Form):
    OUTCOMES = [(S.APPROVED.value, "Approved"), (S.PARTIALLY_APPROVED.value, "Partially approved"),
                (S.DENIED.value, "Denied"), (S.PENDED.value, "Pended (the payer needs more time or information)")]

    outcome = forms.ChoiceField(choices=OUTCOMES, widget=forms.RadioSelect)
    auth_number = forms.CharField(label="Authorization number", max_length=64, required=False,
                                  help_text="Required for an approval.")
    approved_units = forms.IntegerField(label="Units approved", min_value=0, required=False)
    valid_from = forms.DateField(label="Valid from", required=False, widget=AdminDateWidget)
    valid_until = forms.DateField(label="Valid until", required=False, widget=AdminDateWidget)
    reason = forms.CharField(
        label="Payer's reason", required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Required for a denial: the payer's specific reason, with its codes.")

    def clean(self):
        data = super().clean()
        outcome = data.get("outcome")
        if outcome in PriorAuthorization.APPROVALS and not data.get("auth_number"):
            self.add_error("auth_number", "An approval needs the payer's authorization number.")
        if outcome == S.DENIED and not data.get("reason"):
            self.add_error("reason", "A denial needs the payer's specific reason.")
        if data.get("valid_from") and data.get("valid_until") and data["valid_until"] < data["valid_from"]:
            self.add_error("valid_until", "The valid period ends before it starts.")
        return data


# --- The worklist --------------------------------------------------------------------


@admin.register(PriorAuthorization)
class PriorAuthorizationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["patient_column", "cpt", "payer_column", "provider_column", "status_badge", "due_column",
                    "problem_column"]
    list_display_links = ["patient_column"]
    list_filter = [("payer", PayerFilter), ProcedureFilter, ("requester", ProviderFilter), "status", DueFilter]
    list_select_related = ["patient", "payer", "requester"]
    search_fields = ["patient__family", "patient__given", "patient__mrn", "auth_number"]
    ordering = [F("decision_due_at").asc(nulls_last=True), "-created_at"]
    list_per_page = 50
    show_full_result_count = False
    actions = ["evaluate_requests", "build_packets", "submit_requests", "check_statuses", "record_decision",
               "cancel_requests"]
    change_list_template = "admin/priorauth/priorauthorization/change_list.html"
    change_form_template = "admin/priorauth/priorauthorization/change_form.html"

    # Requests are made from an order (its page's button, or the API), changed only by actions.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # A request's page is read-only: the actions change it, through the services.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if sees_approvals_only(request.user):
            queryset = queryset.filter(status__in=APPROVAL_STATUSES)
        return queryset

    def resource_id_of(self, obj) -> str:
        return str(obj.public_id)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/packet/", view(self.packet_view), name="priorauth_priorauthorization_packet"),
            path("start/<int:order_pk>/", view(self.start_view), name="priorauth_priorauthorization_start"),
            *super().get_urls(),
        ]

    # --- Columns ---

    @admin.display(description="Patient", ordering="patient__family")
    def patient_column(self, obj):
        return format_html('{}<br><small class="pa-mrn">MRN {}</small>', str(obj.patient), obj.patient.mrn or "—")

    @admin.display(description="Payer", ordering="payer__name")
    def payer_column(self, obj):
        return obj.payer.name if obj.payer_id else "—"

    @admin.display(description="Provider")
    def provider_column(self, obj):
        return str(obj.requester) if obj.requester_id else "—"

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        return format_html('<span class="pa-badge pa-{}">{}</span>', obj.status, obj.get_status_display())

    @admin.display(description="Decision due", ordering="decision_due_at")
    def due_column(self, obj):
        if obj.status not in PriorAuthorization.AWAITING_PAYER or obj.decision_due_at is None:
            return "—"
        words, overdue = countdown(obj.decision_due_at, timezone.now())
        return format_html('<span class="{}" title="{}">{}</span>', "pa-overdue" if overdue else "pa-due",
                           _when(obj.decision_due_at), words)

    @admin.display(description="To do", empty_value="")
    def problem_column(self, obj):
        if obj.problem:
            return format_html('<span class="pa-problem">{}</span>', obj.problem)
        if obj.status == S.NEEDS_DOCUMENTATION:
            open_items = [c for c in (obj.evaluation or {}).get("criteria", [])
                          if c.get("status") in ("not_met", "insufficient_documentation")]
            return f"{len(open_items)} item{'s' if len(open_items) != 1 else ''} to document"
        return ""

    # --- The list page ---

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            extra_context = {**(extra_context or {}), "status_counts": self._status_counts(request)}
        return super().changelist_view(request, extra_context)

    def _status_counts(self, request) -> list[dict]:
        """Each status with its number of requests (one query) and the link that filters by it."""
        now = timezone.now()
        counts = self.get_queryset(request).order_by().aggregate(
            **{status: Count("pk", filter=Q(status=status)) for status in S.values},
            overdue=Count("pk", filter=Q(status__in=PriorAuthorization.AWAITING_PAYER, decision_due_at__lt=now)),
        )
        chosen = request.GET.get("status__exact")
        shown = [{"label": label, "count": counts[value], "query": f"?status__exact={value}",
                  "css": f"pa-{value}", "active": chosen == value}
                 for value, label in S.choices if counts[value] or value in PriorAuthorization.OPEN]
        shown.append({"label": "Overdue", "count": counts["overdue"], "query": "?due=overdue",
                      "css": "pa-overdue-count", "active": request.GET.get("due") == "overdue"})
        return shown

    # --- Actions: each calls one service per request ---

    def _each(self, request, queryset, done_words: str, call, expected: tuple = ()) -> HttpResponseRedirect | None:
        from priorauth.lifecycle import TransitionNotAllowed
        from priorauth.services import AuthorizationError

        done = 0
        for authorization in queryset.select_related("patient"):
            try:
                outcome = call(authorization)
            except (AuthorizationError, TransitionNotAllowed, *expected) as exc:
                messages.error(request, f"{_label(authorization)}: {exc}")
            else:
                done += 1
                if isinstance(outcome, str) and outcome:
                    messages.info(request, f"{_label(authorization)}: {outcome}")
        if done:
            messages.success(request, f"{done_words}: {done} request{'s' if done != 1 else ''}.")
        return self._back(request, queryset)

    @staticmethod
    def _back(request, queryset) -> HttpResponseRedirect | None:
        """From a request's page, back to it; from the list, back to the list (None)."""
        if request.POST.get("_from_page"):
            one = queryset.first()
            if one is not None:
                return HttpResponseRedirect(reverse("admin:priorauth_priorauthorization_change", args=[one.pk]))
        return None

    @admin.action(description="Evaluate the criteria against the notes", permissions=["change"])
    def evaluate_requests(self, request, queryset):
        from priorauth import services

        def evaluate(authorization):
            evaluated = services.evaluate_authorization(authorization=authorization, user=request.user)
            return f"now {evaluated.get_status_display().lower()}"

        return self._each(request, queryset, "Evaluated", evaluate)

    @admin.action(description="Build the request packet (PDF)", permissions=["change"])
    def build_packets(self, request, queryset):
        from priorauth import services

        return self._each(request, queryset, "Packet being built (it appears on the request's page when done)",
                          lambda a: services.request_packet(authorization=a, user=request.user))

    @admin.action(description="Submit to the payer", permissions=["change"])
    def submit_requests(self, request, queryset):
        from priorauth import services

        return self._each(request, queryset, "Queued for sending to the payer (the status changes once sent)",
                          lambda a: services.request_submission(authorization=a, user=request.user))

    @admin.action(description="Check the status with the payer", permissions=["change"])
    def check_statuses(self, request, queryset):
        from priorauth import services
        from pracops.outbound import OutboundError

        answers = {"not awaiting the payer": "not waiting on the payer", "no answer": "the payer has no answer yet",
                   "unchanged": "no change", "refused": "the payer refused the inquiry (see Problem)"}

        def check(authorization):
            outcome = services.check_status(authorization=authorization, user=request.user, agent="")
            return answers.get(outcome, f"now {S(outcome).label.lower()}" if outcome in S.values else outcome)

        return self._each(request, queryset, "Checked with the payer", check, expected=(OutboundError,))

    @admin.action(description="Record the payer's decision…", permissions=["change"])
    def record_decision(self, request, queryset):
        from priorauth import services

        if queryset.count() != 1:
            messages.error(request, "Record a decision for one request at a time.")
            return self._back(request, queryset)
        form = DecisionForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            return self._each(request, queryset, "Decision recorded", lambda a: services.record_decision(
                authorization=a, outcome=data["outcome"], auth_number=data["auth_number"],
                approved_units=data["approved_units"], valid_from=data["valid_from"],
                valid_until=data["valid_until"], reason=data["reason"], user=request.user))
        return self._action_form(request, queryset, form, action="record_decision",
                                 title="Record the payer's decision", button="Record the decision")

    @admin.action(description="Cancel the request…", permissions=["change"])
    def cancel_requests(self, request, queryset):
        from priorauth import services

        form = CancelForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            return self._each(request, queryset, "Cancelled", lambda a: services.cancel(
                authorization=a, reason=reason, user=request.user))
        return self._action_form(request, queryset, form, action="cancel_requests",
                                 title="Cancel prior authorization requests", button="Cancel the requests")

    def _action_form(self, request, queryset, form, *, action: str, title: str, button: str) -> TemplateResponse:
        chosen = list(queryset.select_related("patient", "payer"))
        return TemplateResponse(request, "admin/priorauth/priorauthorization/action_form.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": title, "form": form,
            "requests": [{"label": _label(a), "status": a.get_status_display(),
                          "payer": a.payer.name if a.payer_id else ""} for a in chosen],
            "selected": [a.pk for a in chosen], "action": action, "button": button,
            "from_page": bool(request.POST.get("_from_page")), "media": self.media + form.media,
        })

    # --- A request's page ---

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and request.method == "GET" and self.has_view_permission(request, obj):
            extra_context = {**(extra_context or {}), **self.page_context(request, obj)}
        return super().change_view(request, object_id, form_url, extra_context)

    def page_context(self, request, obj: PriorAuthorization) -> dict:
        """Everything the request's page shows, in plain words (no raw JSON)."""
        obj = PriorAuthorization.objects.select_related(
            "patient", "coverage", "payer", "requester", "service_request", "packet").get(pk=obj.pk)
        evaluation = obj.evaluation or {}
        # Quotes from the notes are shown only to those who may read the notes (billing may not:
        # minimum necessary); they still see each criterion and what is missing.
        show_evidence = allowed(request.user, "read", "DocumentReference")
        notes = self._notes_with_evidence(obj, evaluation) if show_evidence else {}
        return {
            "pa": obj,
            "summary": self._summary(obj),
            "evaluation_reason": evaluation.get("reason", ""),
            "checklist": self._checklist(evaluation, notes, show_evidence=show_evidence),
            "notes": list(notes.values()), "show_evidence": show_evidence,
            "decision": self._decision(obj),
            "packet_url": (reverse("admin:priorauth_priorauthorization_packet", args=[obj.pk])
                           if obj.packet_id else ""),
            "timeline": [{"at": _when(c.at), "from": S(c.from_status).label if c.from_status else "(created)",
                          "to": S(c.to_status).label, "who": c.agent, "why": c.reason}
                         for c in obj.history.all()],
            "attempts": [{"started": _when(a.started_at), "finished": _when(a.finished_at), "channel": a.channel,
                          "state": a.get_state_display(), "purpose": a.get_purpose_display(),
                          "reference": a.reference, "error": a.error} for a in obj.attempts.all()],
            "buttons": self._buttons(request, obj),
        }

    @staticmethod
    def _summary(obj: PriorAuthorization) -> list[tuple[str, str]]:
        patient, coverage, order = obj.patient, obj.coverage, obj.service_request
        due = "—"
        if obj.status in PriorAuthorization.AWAITING_PAYER and obj.decision_due_at:
            due = f"{_when(obj.decision_due_at)} ({countdown(obj.decision_due_at, timezone.now())[0]})"
        order_words = " ".join(part for part in (
            order.code, order.code_display and f"— {order.code_display}", order.laterality,
            ", ".join(order.spinal_levels or [])) if part)
        rows = [
            ("Patient", f"{patient} (MRN {patient.mrn or '—'}, born {_when(patient.birth_date)})"),
            ("Payer", obj.payer.name if obj.payer_id else "—"),
            ("Coverage", f"{coverage.plan or 'plan not given'}, member id {coverage.member_id or '—'}"
                         if coverage else "No coverage in force"),
            ("Order", order_words or "—"),
            ("Ordering provider", str(obj.requester) if obj.requester_id else "—"),
            ("Procedure", f"CPT {obj.cpt}, {obj.units} unit{'s' if obj.units != 1 else ''}"),
            ("Planned for", _when(obj.planned_date)),
            ("Urgency", obj.get_urgency_display()),
            ("Status", obj.get_status_display()),
            ("Decision due", due),
        ]
        if obj.submitted_at:
            rows.append(("Sent", f"{_when(obj.submitted_at)} by {CHANNELS.get(obj.channel, obj.channel or '—')}"
                                 + (f", payer's tracking number {obj.payer_reference}" if obj.payer_reference else "")))
        policy = (obj.coverage_information or {}).get("policy") or {}
        if policy.get("name"):
            rows.append(("Payer policy", " — ".join(p for p in (policy["name"], policy.get("citation"),
                                                               policy.get("version") and f"version {policy['version']}")
                                                    if p)))
        elif obj.policy_id:
            rows.append(("Payer policy", obj.policy_id))
        if obj.evaluated_at:
            rows.append(("Last evaluated", _when(obj.evaluated_at)))
        return rows

    @staticmethod
    def _notes_with_evidence(obj: PriorAuthorization, evaluation: dict) -> dict[str, dict]:
        """The notes the criteria's evidence is from, each with that evidence marked (one query)."""
        spans: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        for criterion in evaluation.get("criteria", []):
            for evidence in criterion.get("evidence") or []:
                spans[str(evidence.get("note", ""))].append(
                    (int(evidence.get("start", -1)), int(evidence.get("end", -1)), criterion.get("text", "")))
        # Only this patient's notes: an evaluation names its notes by FHIR id.
        documents = DocumentReference.objects.filter(patient_id=obj.patient_id, fhir_id__in=list(spans)) \
            .select_related("author").order_by("-date")
        return {document.fhir_id: {
            "key": document.fhir_id, "anchor": f"note-{document.pk}",
            "title": document.code_display or "Clinical note", "date": _when(document.date),
            "author": str(document.author) if document.author_id else "",
            "url": reverse("admin:records_documentreference_change", args=[document.pk]),
            "html": highlight_spans(document.text, spans[document.fhir_id]),
        } for document in documents}

    @staticmethod
    def _checklist(evaluation: dict, notes: dict[str, dict], *, show_evidence: bool) -> list[dict]:
        rows = []
        for criterion in evaluation.get("criteria", []):
            icon, words, css = CRITERION_STATUS.get(criterion.get("status"), ("•", criterion.get("status", ""), ""))
            evidence = []
            for span in (criterion.get("evidence") or []) if show_evidence else []:
                note = notes.get(str(span.get("note", "")))
                evidence.append({"text": span.get("text", ""), "anchor": note["anchor"] if note else "",
                                 "note": f"{note['title']}, {note['date']}" if note else "a note no longer on file"})
            rows.append({"icon": icon, "status": words, "css": css, "text": criterion.get("text", ""),
                         "missing": criterion.get("missing") or "", "evidence": evidence,
                         "facts": [(_fact_words(p), _value_words(v)) for p, v in (criterion.get("facts") or {}).items()]
                         if show_evidence else []})
        return rows

    @staticmethod
    def _decision(obj: PriorAuthorization) -> dict | None:
        if obj.decided_at is None and not obj.decision_reason and not obj.item_decisions:
            return None
        used = warnings = None
        if obj.status in PriorAuthorization.APPROVALS:
            from priorauth import selectors

            used = selectors.units_used(obj)
            warnings = [w.message for w in selectors.warnings(obj, used=used)]
        return {
            "auth_number": obj.auth_number or "—",
            "codes": ", ".join(obj.approved_codes or []) or "—",
            "units": obj.approved_units, "used": used,
            "remaining": (obj.approved_units - used) if obj.approved_units is not None and used is not None else None,
            "period": f"{_when(obj.valid_from)} to {_when(obj.valid_until)}" if obj.valid_from or obj.valid_until
            else "—",
            "decided": _when(obj.decided_at), "reason": obj.decision_reason, "warnings": warnings or [],
            "items": [{"cpt": i.get("cpt", ""), "action": REVIEW_ACTIONS.get(i.get("review_action"),
                                                                             i.get("review_action") or ""),
                       "units": i.get("units") if i.get("units") is not None else "—",
                       "reasons": ", ".join(i.get("reason_codes") or []) or "—",
                       "auth_number": i.get("auth_number") or "—"} for i in obj.item_decisions or []],
        }

    def _buttons(self, request, obj: PriorAuthorization) -> list[dict]:
        if not self.has_change_permission(request):
            return []
        offered = []
        if obj.status in PriorAuthorization.EVALUABLE:
            offered.append(("evaluate_requests", "Evaluate again"))
        if obj.evaluation and obj.status not in (S.CANCELLED, S.EXPIRED):
            offered.append(("build_packets", "Rebuild the packet" if obj.packet_id else "Build the packet"))
        if obj.status == S.READY:
            offered.append(("submit_requests", "Submit to the payer"))
        if obj.status in PriorAuthorization.AWAITING_PAYER:
            offered.append(("check_statuses", "Check the status with the payer"))
            offered.append(("record_decision", "Record the payer's decision…"))
        if obj.is_open:
            offered.append(("cancel_requests", "Cancel the request…"))
        return [{"action": action, "label": label, "primary": action == "submit_requests"}
                for action, label in offered]

    # --- The packet, read through the admin (audited) ---

    def packet_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404("No such prior authorization request")
        packet = obj.packet
        if packet is None:
            raise Http404("The packet has not been built yet")
        pdf = _attachment_bytes(packet.resource)
        if pdf is None:
            raise Http404("The packet document holds no PDF")
        record_access(user=request.user, source="admin", action="R", subtype="packet",
                      resource_type="DocumentReference", resource_id=packet.fhir_id,
                      patient_id=obj.patient.fhir_id, request=request)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="prior-authorization-{obj.public_id}.pdf"'
        response["Cache-Control"] = "no-store"
        return response

    # --- Starting a request from an order's page ---

    def start_view(self, request: HttpRequest, order_pk: int) -> HttpResponse:
        from priorauth import services

        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        order = get_object_or_404(ServiceRequest, pk=order_pk)
        back = reverse("admin:records_servicerequest_change", args=[order.pk])
        if not request.user.has_perm("priorauth.add_priorauthorization"):
            messages.error(request, "Your role may not start prior authorization requests.")
            return HttpResponseRedirect(back)
        urgency = request.POST.get("_pa_urgency", PriorAuthorization.Urgency.STANDARD)
        try:
            authorization = services.create_authorization(service_request=order, urgency=urgency, user=request.user)
        except services.AuthorizationError as exc:
            messages.error(request, f"Not started: {exc}")
            return HttpResponseRedirect(back)
        messages.success(request, f"Prior authorization started: {authorization.get_status_display().lower()}.")
        return HttpResponseRedirect(reverse("admin:priorauth_priorauthorization_change", args=[authorization.pk]))


CHANNELS = {"pas": "Da Vinci PAS (the payer's FHIR API)", "fax": "fax"}
# X12 306 review actions, in the words the payer means.
REVIEW_ACTIONS = {"A1": "Certified in total", "A2": "Certified, partial", "A3": "Not certified",
                  "A4": "Pended", "A6": "Modified", "C": "Cancelled", "CT": "Contact payer", "NA": "No action required"}


def _attachment_bytes(resource: dict) -> bytes | None:
    """The first PDF attachment of a DocumentReference, decoded; None when it has none."""
    for content in resource.get("content") or []:
        attachment = content.get("attachment") or {}
        if attachment.get("contentType") == "application/pdf" and attachment.get("data"):
            try:
                return base64.b64decode(attachment["data"], validate=True)
            except (binascii.Error, ValueError):
                return None
    return None


# --- The order's page: does the payer need an authorization, and a button to start one ---

admin.site.unregister(ServiceRequest)


@admin.register(ServiceRequest)
class OrderAdmin(ServiceRequestAdmin):
    """The core order admin, plus the coverage-information answer and a prior authorization start."""

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "prior_authorization"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(name, {**options, "fields": [f for f in options["fields"] if f != "prior_authorization"]})
                     for name, options in super().get_fieldsets(request, obj)]
        if obj is None:
            return fieldsets
        return [("Prior authorization", {"fields": ["prior_authorization"]}), *fieldsets]

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            # The panel offers the start button only to those who may start a request.
            obj._may_start_authorization = request.user.has_perm("priorauth.add_priorauthorization")
        return obj

    @admin.display(description="Does the payer need an authorization?")
    def prior_authorization(self, obj):
        from priorauth import services
        from priorauth.policies import UnknownPayer

        if obj is None or obj.pk is None:
            return "-"
        answer, problem = None, ""
        try:
            answer = services.coverage_requirement(service_request=obj)
        except (services.AuthorizationError, UnknownPayer) as exc:
            problem = str(exc)
        requests = [{"url": reverse("admin:priorauth_priorauthorization_change", args=[a.pk]),
                     "status": a.get_status_display(), "css": a.status, "created": _when(a.created_at),
                     "open": a.is_open}
                    for a in obj.prior_authorizations.order_by("-created_at")]
        return render_to_string("admin/priorauth/records/order_prior_authorization.html", {
            "answer": coverage_words(answer) if answer else None, "problem": problem, "requests": requests,
            "may_start": getattr(obj, "_may_start_authorization", False) and not any(r["open"] for r in requests)
            and not problem,
            "start_url": reverse("admin:priorauth_priorauthorization_start", args=[obj.pk]),
        })


def coverage_words(answer: dict) -> dict:
    """A CRD coverage-information answer in the words staff read."""
    reason = (answer.get("reason") or {}).get("text", "") if isinstance(answer.get("reason"), dict) \
        else str(answer.get("reason") or "")
    covered = answer.get("covered") != "not-covered"
    if reason.startswith("not_covered: "):
        reason = "Not covered: " + reason.removeprefix("not_covered: ")
    policy = answer.get("policy") or {}
    return {
        "covered": covered, "requires_auth": bool(answer.get("requires_auth")),
        "policy": " — ".join(p for p in (policy.get("name"), policy.get("citation"),
                                           policy.get("version") and f"version {policy['version']}") if p),
        "policy_url": policy.get("url") or "", "reason": reason, "documentation": answer.get("documentation") or [],
        "date": answer.get("date", ""),
    }


# --- Payer profiles ------------------------------------------------------------------


class PayerProfileForm(forms.ModelForm):
    class Meta:
        model = PayerProfile
        fields = ["organization", "policy_key", "adapter", "endpoint", "fax_number"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from priorauth.policies import policy_set

        policies = policy_set()
        self.fields["policy_key"] = forms.ChoiceField(
            label="Policy set", help_text=self.fields["policy_key"].help_text,
            choices=[(key, f"{policies.payer_name(key)} ({key})") for key in policies.payer_keys()])


@admin.register(PayerProfile)
class PayerProfileAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = PayerProfileForm
    list_display = ["organization", "policy_key", "adapter", "endpoint", "fax_number"]
    list_filter = ["policy_key", "adapter"]
    list_select_related = ["organization"]
    search_fields = ["organization__name"]

    def resource_id_of(self, obj) -> str:
        return str(obj.pk)
