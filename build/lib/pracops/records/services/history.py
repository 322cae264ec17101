"""The version history of the records: every version a unit of work writes is kept as served.

A unit's creates, updates and deletes become rows of ``ResourceVersion`` in one bulk insert,
in the unit's transaction, so a version is kept exactly when its change is stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Max

from pracops.bulk import insert_rows
from pracops.fhir.outcome import FhirError, Issue
from pracops.records.models import ResourceVersion

if TYPE_CHECKING:
    from pracops.records.services.writes import Operation, UnitOfWork

_CHUNK = 2000  # ids per IN (...) list


def keep_versions(unit: UnitOfWork) -> None:
    """Keep the version each created, updated or deleted record of the unit now has."""
    changed = [op for op in unit.ops if op.result in ("created", "updated", "deleted") and op.fhir_id]
    if not changed:
        return
    owners = _patients_of_deleted([op for op in changed if op.result == "deleted"])
    try:
        with transaction.atomic():  # a savepoint: the unit goes on if this insert is refused
            insert_rows(ResourceVersion, _rows(unit, changed, {}, owners))
        return
    except IntegrityError:
        pass  # most likely a record created at the id of a deleted one: its history goes on (below)
    # Looked up only now: an import creates thousands of records, almost never at a deleted id.
    last_kept = _last_kept_versions([
        op for op in changed if op.result == "deleted" or (op.result == "created" and _id_from_client(unit, op))
    ])
    for op in changed:
        if op.result == "created" and (op.resource_type, op.fhir_id) in last_kept:
            op.kind.model.objects.filter(pk=op.pk).update(version_id=last_kept[(op.resource_type, op.fhir_id)] + 1)
    try:
        insert_rows(ResourceVersion, _rows(unit, changed, last_kept, owners))
    except IntegrityError as exc:  # another transaction wrote the same version of a record first
        raise FhirError(409, Issue("conflict", "a record was changed by another request at the same time; retry")) from exc


def _rows(unit: UnitOfWork, changed: list[Operation], last_kept: dict[tuple[str, str], int],
          owners: dict[tuple[str, str], str]) -> list[dict[str, Any]]:
    """The version rows of the changed records; ``last_kept``: where a created record's history goes on;
    ``owners``: the patient of each deleted record."""
    last_updated = unit.now.isoformat().replace("+00:00", "Z")
    rows: list[dict[str, Any]] = []
    for op in changed:
        key = (op.resource_type, op.fhir_id)
        if op.result == "deleted":
            stored = unit.stored.get(key)
            version, resource = max(stored["version_id"] if stored else 0, last_kept.get(key, 0)) + 1, None
        else:
            if op.result == "created":
                version = last_kept.get(key, 0) + 1
            else:
                version = unit.stored[key]["version_id"]
            resource = _as_served(op, version, last_updated)
        rows.append({
            "resource_type": op.resource_type, "fhir_id": op.fhir_id, "version_id": version,
            "last_updated": unit.now, "change": op.result,
            "patient_id": owners.get(key, "") if op.result == "deleted" else patient_of_operation(op),
            "resource": resource,
        })
    return rows


def patient_of_operation(op: Operation) -> str:
    """The id of the patient an operation's resource is about ('' for practitioners and organizations)."""
    if op.resource_type == "Patient":
        return op.fhir_id or ""
    for name in ("patient", "beneficiary"):
        reference = (op.mapped.references.get(name) if op.mapped else None) or ""
        if reference.startswith("Patient/"):
            return reference.split("/", 1)[1]
    return ""


def _id_from_client(unit: UnitOfWork, op: Operation) -> bool:
    # A plain create gets a fresh uuid from the server: it can have no history to go on from.
    return op.method == "PUT" or unit.policy.upsert


def _last_kept_versions(ops: list[Operation]) -> dict[tuple[str, str], int]:
    """The newest kept version of each operation's target, where there is one."""
    wanted = {(op.resource_type, op.fhir_id) for op in ops}
    ids = sorted({fhir_id for _, fhir_id in wanted})
    found: dict[tuple[str, str], int] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = (
            ResourceVersion.objects.filter(fhir_id__in=ids[start:start + _CHUNK])
            .values_list("resource_type", "fhir_id").annotate(last=Max("version_id"))
        )
        found.update({(t, i): last for t, i, last in rows if (t, i) in wanted})
    return found


def _patients_of_deleted(deleted: list[Operation]) -> dict[tuple[str, str], str]:
    """The patient of each deleted record: a delete carries no resource, so the newest kept version
    says whose record it was (a patient is its own)."""
    owners = {(op.resource_type, op.fhir_id): op.fhir_id for op in deleted if op.resource_type == "Patient"}
    wanted = {(op.resource_type, op.fhir_id) for op in deleted if op.resource_type != "Patient"}
    ids = sorted({fhir_id for _, fhir_id in wanted})
    for start in range(0, len(ids), _CHUNK):
        rows = (
            ResourceVersion.objects.filter(fhir_id__in=ids[start:start + _CHUNK])
            .order_by("resource_type", "fhir_id", "-version_id")
            .values_list("resource_type", "fhir_id", "patient_id")
        )
        for resource_type, fhir_id, patient_id in rows:
            if (resource_type, fhir_id) in wanted:
                owners.setdefault((resource_type, fhir_id), patient_id)
    return owners


def _as_served(op: Operation, version: int, last_updated: str) -> dict:
    """The resource as a read of this version answers it (``ResourceKind.to_fhir`` of what was written)."""
    from pracops.records.services.writes import stored_json

    kind = op.kind
    resource = stored_json(op.resource)
    columns, references = op.mapped.columns, op.mapped.references
    # Mostly the columns were parsed from this very resource and writing them back changes
    # nothing; an import keeps thousands of versions, so the copy a render makes is skipped then.
    if kind.mapper.renders_unchanged(resource, columns, references):
        body = resource
    else:
        body = kind.mapper.render(resource, columns, references)
    return kind.served(body, fhir_id=op.fhir_id, version_id=version, last_updated=last_updated)
