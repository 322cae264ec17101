"""The REST API's shapes: what a client may send (validated here) and what it is answered.

Input serializers check form only (types, lengths, choices); whether the change is allowed is
the services' to say. Output is built from a request already loaded with what it shows, so
formatting runs no queries of its own.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from rest_framework import serializers

from priorauth.models import PriorAuthorization, StatusChange

S = PriorAuthorization.Status
# A FHIR id (what a ServiceRequest's id can be).
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
DECIDED = (S.APPROVED, S.PARTIALLY_APPROVED, S.DENIED, S.EXPIRED)


# --- input -----------------------------------------------------------------------------


class CreateInput(serializers.Serializer):
    service_request = serializers.RegexField(
        _FHIR_ID, max_length=64, error_messages={"invalid": "expected the id of a ServiceRequest"})
    urgency = serializers.ChoiceField(choices=PriorAuthorization.Urgency.values,
                                      default=PriorAuthorization.Urgency.STANDARD)


class CancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="Why (kept in the timeline; no patient data)")


class DecisionInput(serializers.Serializer):
    """A decision staff received by fax or phone."""

    outcome = serializers.ChoiceField(choices=[S.APPROVED, S.PARTIALLY_APPROVED, S.DENIED, S.PENDED])
    auth_number = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    approved_units = serializers.IntegerField(min_value=0, max_value=100_000, required=False, allow_null=True,
                                              default=None)
    valid_from = serializers.DateField(required=False, allow_null=True, default=None)
    valid_until = serializers.DateField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict) -> dict:
        if attrs["valid_from"] and attrs["valid_until"] and attrs["valid_until"] < attrs["valid_from"]:
            raise serializers.ValidationError({"valid_until": "the valid period ends before it starts"})
        return attrs


# --- output ----------------------------------------------------------------------------


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _ref(record, resource_type: str) -> dict | None:
    if record is None:
        return None
    return {"id": record.fhir_id, "reference": f"{resource_type}/{record.fhir_id}"}


def summary(authorization: PriorAuthorization, *, url: str) -> dict[str, Any]:
    """One line of the worklist. ``patient``, ``payer`` and ``service_request`` must be loaded."""
    payer = authorization.payer
    return {
        "id": str(authorization.public_id),
        "url": url,
        "status": authorization.status,
        "status_display": authorization.get_status_display(),
        "patient": _ref(authorization.patient, "Patient"),
        "service_request": _ref(authorization.service_request, "ServiceRequest"),
        "cpt": authorization.cpt,
        "units": authorization.units,
        "planned_date": _iso(authorization.planned_date),
        "urgency": authorization.urgency,
        "payer": {"id": payer.fhir_id, "name": payer.name, "policy_set": authorization.policy_key or None}
        if payer is not None else None,
        "requires_auth": authorization.requires_auth,
        "ready": authorization.ready,
        "due_at": _iso(authorization.decision_due_at),
        "overdue": authorization.overdue,
        "auth_number": authorization.auth_number or None,
        "valid_from": _iso(authorization.valid_from),
        "valid_until": _iso(authorization.valid_until),
        "problem": authorization.problem or None,
        "created_at": _iso(authorization.created_at),
        "updated_at": _iso(authorization.updated_at),
    }


def detail(authorization: PriorAuthorization, *, url: str, history: list[StatusChange], units_used: int | None,
           warnings: list, show_evidence: bool) -> dict[str, Any]:
    """A request in full: its coverage answer, criteria (with the note evidence when
    ``show_evidence``), missing documentation, decision, due date, warnings and timeline."""
    evaluation = authorization.evaluation or {}
    criteria = [_criterion(c, show_evidence) for c in evaluation.get("criteria") or [] if isinstance(c, dict)]
    coverage = authorization.coverage
    body = summary(authorization, url=url)
    body.update({
        "policy": {"id": authorization.policy_id or None, "policy_set": authorization.policy_key or None},
        "coverage": {
            **(_ref(coverage, "Coverage") or {}),
            "member_id": coverage.member_id or None,
            "information": authorization.coverage_information,  # Da Vinci CRD coverage-information
        } if coverage is not None else None,
        "requester": _practitioner(authorization.requester),
        "evaluation": {
            "evaluated_at": _iso(authorization.evaluated_at),
            "ready": authorization.ready,
            "reason": evaluation.get("reason"),
        },
        "criteria": criteria,
        "missing": [{"criterion": c["id"], "text": c["missing"]} for c in criteria if c.get("missing")],
        "decision": _decision(authorization, units_used),
        "warnings": [{"kind": w.kind, "message": w.message} for w in warnings],
        "submission": {
            "requested_at": _iso(authorization.submit_requested_at),
            "submitted_at": _iso(authorization.submitted_at),
            "channel": authorization.channel or None,
            "payer_reference": authorization.payer_reference or None,
            "last_checked_at": _iso(authorization.last_checked_at),
        },
        "packet": {"built_at": _iso(authorization.packet_built_at), "url": f"{url}packet.pdf"}
        if authorization.packet_id is not None else None,
        "history": [{
            "from": change.from_status or None, "to": change.to_status, "at": _iso(change.at),
            "by": change.agent, "reason": change.reason,
        } for change in history],
    })
    return body


def _criterion(criterion: dict, show_evidence: bool) -> dict:
    shown = {key: criterion.get(key) for key in ("id", "text", "status", "missing")}
    if show_evidence:
        shown["evidence"] = [
            {key: item.get(key) for key in ("note", "start", "end", "text")}
            for item in criterion.get("evidence") or [] if isinstance(item, dict)
        ]
        shown["facts"] = criterion.get("facts") or {}
    return shown


def _practitioner(practitioner) -> dict | None:
    if practitioner is None:
        return None
    return {**_ref(practitioner, "Practitioner"), "name": str(practitioner), "npi": practitioner.npi or None}


def _decision(authorization: PriorAuthorization, units_used: int | None) -> dict | None:
    if authorization.status not in DECIDED and not authorization.decided_at:
        return None
    return {
        "outcome": authorization.status if authorization.status in DECIDED else None,
        "decided_at": _iso(authorization.decided_at),
        "auth_number": authorization.auth_number or None,
        "approved_codes": authorization.approved_codes or [],
        "units_approved": authorization.approved_units,
        "units_used": units_used,
        "valid_from": _iso(authorization.valid_from),
        "valid_until": _iso(authorization.valid_until),
        "reason": authorization.decision_reason or None,
        "denial_reason": authorization.decision_reason or None if authorization.status == S.DENIED else None,
        "items": authorization.item_decisions or [],
    }
