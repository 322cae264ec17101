"""Create, update and delete of one resource: a unit of work of one operation."""

from __future__ import annotations

from pracops.fhir.outcome import FhirError, Issue
from pracops.records.registry import KINDS
from pracops.records.services.writes import Operation, WritePolicy, run_unit

_UPSERT = WritePolicy(upsert=True)


def _check_type(resource_type: str) -> None:
    if resource_type not in KINDS:
        raise FhirError(404, Issue("not-supported", f"{resource_type} is not a supported resource type"))


def create_resource(*, resource: dict, if_none_exist: str | None = None, base_url: str = "") -> Operation:
    """Store a new resource; with ``if_none_exist`` return the one that matches instead."""
    resource_type = resource.get("resourceType", "")
    _check_type(resource_type)
    op = Operation("POST", resource_type, resource=resource, if_none_exist=if_none_exist)
    return run_unit([op], base_url=base_url)[0]


def store_by_identifier(*, resources: list[dict]) -> list[Operation]:
    """Store resources in one unit: each updates the one stored record of its type that carries
    one of its identifiers (with a system), or is created when none does (or several do)."""
    if not resources:
        return []
    for resource in resources:
        _check_type(resource.get("resourceType", ""))
    return run_unit([Operation("POST", r["resourceType"], resource=r) for r in resources], _UPSERT)


def update_resource(*, resource_type: str, fhir_id: str, resource: dict, if_match: int | None = None,
                    base_url: str = "") -> Operation:
    """Replace a resource (creating it at that id when new); ``if_match`` guards the version."""
    _check_type(resource_type)
    op = Operation("PUT", resource_type, resource=resource, fhir_id=fhir_id, if_match=if_match)
    return run_unit([op], base_url=base_url)[0]


def delete_resource(*, resource_type: str, fhir_id: str) -> Operation:
    _check_type(resource_type)
    return run_unit([Operation("DELETE", resource_type, fhir_id=fhir_id)])[0]
