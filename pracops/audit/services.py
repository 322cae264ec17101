"""Writing the audit trail. Callers describe the access; nothing here sees resource content."""

from __future__ import annotations

from typing import Iterable

from django.db import transaction

from pracops.access.roles import roles_of
from pracops.audit.models import AuditEvent, AuditEventPatient
from pracops.bulk import insert_rows, reserve_pks

SUBTYPES = {"C": "create", "R": "read", "U": "update", "D": "delete", "E": "search"}


def _agent(user, system: str, source: str) -> dict:
    if user is None or not getattr(user, "is_authenticated", False):
        if system or source in (AuditEvent.Source.COMMAND, AuditEvent.Source.TASK):
            # Work nobody requested over the network: name the program, never a blank.
            return {"user": None, "agent_name": f"{AuditEvent.SYSTEM_AGENT}{system or source}"[:150],
                    "agent_roles": ""}
        return {"user": None, "agent_name": "", "agent_roles": ""}
    return {"user": user, "agent_name": user.get_username()[:150],
            "agent_roles": ",".join(sorted(roles_of(user)))[:255]}


def client_address(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


_MAX_LENGTHS = {f.name: f.max_length for f in AuditEvent._meta.get_fields() if getattr(f, "max_length", None)}


def _fit(row: dict) -> dict:
    """The row as the audit table can hold it, whatever a refused request carried.

    An audit insert must not fail: text loses NUL bytes (PostgreSQL refuses them) and is cut
    to its column, and only the first 1000 entities are kept.
    """
    out = dict(row)
    for name, value in row.items():
        if isinstance(value, str):
            value = value.replace("\x00", "")
            max_length = _MAX_LENGTHS.get(name)
            out[name] = value[:max_length] if max_length else value
        elif name == "entities":
            out[name] = [str(e).replace("\x00", "")[:200] for e in list(value)[:1000]]
    return out


def _patient_columns(patient_id: str, patients: Iterable[str]) -> tuple[str, list[str]]:
    """The event's one patient, or every patient it touched when there are several."""
    touched = sorted({p for p in patients if p} | ({patient_id} if patient_id else set()))
    if len(touched) == 1:
        return touched[0], []
    return "", touched


def record_access(
    *, user, source: str, action: str, resource_type: str = "", resource_id: str = "",
    patient_id: str = "", patients: Iterable[str] = (), subtype: str = "", query: str = "",
    entities: Iterable[str] = (), outcome: str = AuditEvent.Outcome.SUCCESS, outcome_detail: str = "",
    request=None, system: str = "", agent_name: str = "",
) -> AuditEvent:
    """Record one access. ``patients``: every patient a search or list showed; ``system``: the
    task or command acting when no user is; ``agent_name``: who tried, for a failed login."""
    patient_id, several = _patient_columns(patient_id or "", patients)
    agent = _agent(user, system, source)
    if agent_name and agent["user"] is None:
        agent["agent_name"] = agent_name[:150]
    row = _fit(dict(
        **agent, source=source, action=action, subtype=subtype or SUBTYPES.get(action, ""),
        resource_type=resource_type, resource_id=resource_id or "", patient_id=patient_id,
        query=query, entities=entities, outcome=outcome, outcome_detail=outcome_detail,
        remote_addr=client_address(request),
    ))
    if not several:
        return AuditEvent.objects.create(**row)
    # The event and its patient links in one transaction: never an event without its links, and
    # one commit (one WAL flush) for a list read rather than two.
    with transaction.atomic(savepoint=False):
        event = AuditEvent.objects.create(**row)
        AuditEventPatient.objects.bulk_create(AuditEventPatient(event=event, patient_id=p) for p in several)
    return event


def record_failed_login(*, source: str, request, detail: str, username: str = "",
                        resource_type: str = "") -> AuditEvent:
    """A refused sign-in or API call without a valid token. Never the token or password."""
    return record_access(
        user=None, source=source, action=AuditEvent.Action.EXECUTE, subtype="login",
        resource_type=resource_type, outcome=AuditEvent.Outcome.MINOR_FAILURE, outcome_detail=detail,
        request=request, agent_name=username,
    )


def failed_login_detail(exc: Exception) -> str:
    """Why an API call was refused 401, in words that never include the token."""
    from rest_framework.exceptions import NotAuthenticated

    return "HTTP 401: no token" if isinstance(exc, NotAuthenticated) else "HTTP 401: invalid or expired token"


def record_many(events: list[dict], *, user, source: str, request=None, system: str = "") -> None:
    """Bulk-record accesses described as dicts of ``record_access`` keyword arguments."""
    agent = _agent(user, system, source)
    address = client_address(request)
    rows, touched = [], []
    for e in events:
        patient_id, several = _patient_columns(e.get("patient_id") or "", e.get("patients", ()))
        rows.append(_fit(dict(
            **agent, source=source, remote_addr=address,
            subtype=e.get("subtype") or SUBTYPES.get(e["action"], ""),
            **{k: v for k, v in e.items() if k not in ("subtype", "patient_id", "patients")},
            patient_id=patient_id,
        )))
        touched.append(several)
    # An import audits thousands of records at once: COPY on PostgreSQL, not bulk_create.
    # Events touching several patients need their keys for the links: reserved only then.
    reserved = reserve_pks({AuditEvent: len(rows)}) if any(touched) else None
    pks = insert_rows(AuditEvent, rows, pks=reserved[AuditEvent] if reserved else None)
    links = [dict(event_id=pk, patient_id=p) for pk, several in zip(pks, touched) for p in several]
    if links:
        insert_rows(AuditEventPatient, links)


def record_bundle_entries(notes, *, user, source: str, request=None) -> None:
    """Audit entries of a Bundle (notes with action, resource_type, fhir_id, ...)."""
    record_many([_entry_event(n) for n in notes], user=user, source=source, request=request)


def record_bundle(*, user, source: str, request=None, kind: str = "transaction") -> None:
    """Audit the Bundle itself; its entries are audited as they commit (``record_bundle_entries``)."""
    record_access(user=user, source=source, action="E", subtype=kind, resource_type="Bundle", request=request)


def _entry_event(note) -> dict:
    return dict(action=note.action, resource_type=note.resource_type, resource_id=note.fhir_id,
                patient_id=note.patient_id, patients=note.patients, outcome=note.outcome,
                outcome_detail=note.detail, entities=note.entities)
