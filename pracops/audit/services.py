"""Writing the audit trail. Callers describe the access; nothing here sees resource content."""

from __future__ import annotations

from typing import Iterable

from pracops.access.roles import roles_of
from pracops.audit.models import AuditEvent
from pracops.bulk import insert_rows

SUBTYPES = {"C": "create", "R": "read", "U": "update", "D": "delete", "E": "search"}


def _agent(user) -> dict:
    if user is None or not getattr(user, "is_authenticated", False):
        return {"user": None, "agent_name": "", "agent_roles": ""}
    return {"user": user, "agent_name": user.get_username()[:150],
            "agent_roles": ",".join(sorted(roles_of(user)))[:255]}


def client_address(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record_access(
    *, user, source: str, action: str, resource_type: str = "", resource_id: str = "",
    patient_id: str = "", subtype: str = "", query: str = "", entities: Iterable[str] = (),
    outcome: str = AuditEvent.Outcome.SUCCESS, outcome_detail: str = "", request=None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        **_agent(user), source=source, action=action, subtype=subtype or SUBTYPES.get(action, ""),
        resource_type=resource_type, resource_id=resource_id or "", patient_id=patient_id or "",
        query=query, entities=list(entities)[:1000], outcome=outcome, outcome_detail=outcome_detail[:255],
        remote_addr=client_address(request),
    )


def record_many(events: list[dict], *, user, source: str, request=None) -> None:
    """Bulk-record accesses described as dicts of ``record_access`` keyword arguments."""
    agent = _agent(user)
    address = client_address(request)
    # An import audits thousands of records at once: COPY on PostgreSQL, not bulk_create.
    insert_rows(AuditEvent, [
        dict(
            **agent, source=source, remote_addr=address,
            subtype=e.get("subtype") or SUBTYPES.get(e["action"], ""),
            **{k: v for k, v in e.items() if k != "subtype"},
        )
        for e in events
    ])


def record_bundle_entries(notes, *, user, source: str, request=None) -> None:
    """Audit entries of a Bundle (notes with action, resource_type, fhir_id, ...)."""
    record_many([_entry_event(n) for n in notes], user=user, source=source, request=request)


def record_bundle(notes, *, user, source: str, request=None, kind: str = "transaction") -> None:
    """Audit each entry of a Bundle (notes with action, resource_type, fhir_id, ...) and the Bundle."""
    events = [_entry_event(n) for n in notes]
    events.append(dict(action="E", subtype=kind, resource_type="Bundle", entities=[]))
    record_many(events, user=user, source=source, request=request)


def _entry_event(note) -> dict:
    return dict(action=note.action, resource_type=note.resource_type, resource_id=note.fhir_id,
                patient_id=note.patient_id, outcome=note.outcome, outcome_detail=note.detail,
                entities=note.entities)
