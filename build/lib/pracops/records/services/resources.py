"""Create, update and delete of one resource: a unit of work of one operation."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import jsonpatch
import jsonpointer
from django.db import transaction

from pracops.fhir.outcome import FhirError, Issue, not_found
from pracops.records import selectors
from pracops.records.registry import FHIR_ID, KINDS
from pracops.records.search import RESULT_PARAMS
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


def conditional_update_target(*, resource_type: str, criteria: list[tuple[str, str]], resource: dict,
                              may_search: Callable[[str], bool], where: str = "") -> str:
    """The id a conditional update (``PUT Type?criteria``) writes to.

    One match: that record (a body id that names another is a 400). No match: the body's id
    (409 when a record that does not meet the criteria has it), or a new one. Several: 412.
    ``may_search``: whether the client may search a type a chain or ``_has`` in the criteria
    looks into (else 403, as in a search).
    """
    _check_type(resource_type)
    criteria = [(name, value) for name, value in criteria if name not in RESULT_PARAMS]  # they select nothing
    if not criteria:
        raise FhirError(400, Issue("required", f"{where}a conditional update needs search criteria"))
    # Strict: a criterion ignored as unknown would widen the match to records it was meant to exclude.
    page = selectors.search(resource_type, [*criteria, ("_count", "2"), ("_total", "none")], strict=True,
                            may_search=may_search)
    if len(page.records) > 1:
        raise FhirError(412, Issue("multiple-matches", f"{where}the criteria match more than one {resource_type}"))
    body_id = resource.get("id")
    if page.records:
        target = page.records[0].fhir_id
        if body_id is not None and body_id != target:
            raise FhirError(400, Issue(
                "invalid", f"{where}the resource id {body_id!r} is not that of the {resource_type} the criteria match"
            ))
        return target
    if not body_id:
        return str(uuid.uuid4())
    if KINDS[resource_type].model.objects.filter(fhir_id=body_id).exists():
        raise FhirError(409, Issue(
            "conflict", f"{where}{resource_type}/{body_id} exists but does not meet the criteria"
        ))
    return body_id


def update_resource_where(*, resource_type: str, criteria: list[tuple[str, str]], resource: dict,
                          may_search: Callable[[str], bool], if_match: int | None = None,
                          base_url: str = "") -> Operation:
    """A conditional update: update the one record the criteria match, or create one when none does."""
    with transaction.atomic():
        target = conditional_update_target(resource_type=resource_type, criteria=criteria, resource=resource,
                                           may_search=may_search)
        return update_resource(resource_type=resource_type, fhir_id=target, resource={**resource, "id": target},
                               if_match=if_match, base_url=base_url)


def patch_resource(*, resource_type: str, fhir_id: str, patch: object, if_match: int | None = None,
                   base_url: str = "") -> Operation:
    """Apply a JSON Patch (RFC 6902) to the current version and store the result as the next one."""
    _check_type(resource_type)
    kind = KINDS[resource_type]
    try:
        operations = jsonpatch.JsonPatch(patch).patch
    except (jsonpatch.InvalidJsonPatch, jsonpointer.JsonPointerException):
        # jsonpatch's messages may quote the document; an OperationOutcome must not echo patient data.
        raise FhirError(400, Issue(
            "structure", "the body is not a JSON Patch document: a list of operations, each with op and path"
        )) from None
    if not FHIR_ID.fullmatch(fhir_id):  # no record has it; PostgreSQL refuses some (NUL bytes) in a query
        raise not_found(resource_type, fhir_id)
    with transaction.atomic():
        # Held until the new version is written, so no other change slips in between read and write.
        kind.model.objects.select_for_update().filter(fhir_id=fhir_id).values_list("pk").first()
        record, current = selectors.read_resource(resource_type, fhir_id)
        if if_match is not None and if_match != record.version_id:
            raise FhirError(412, Issue(
                "conflict", f"{resource_type}/{fhir_id} is at version {record.version_id}, not {if_match}"
            ))
        patched = current
        for index, operation in enumerate(operations):
            try:
                patched = jsonpatch.apply_patch(patched, [operation])
            except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException):
                failed = "its test fails" if operation["op"] == "test" else "it names a location the resource does not have"
                raise FhirError(422, Issue(
                    "processing", f"patch operation {index} ({operation['op']} {operation['path']}) does not apply: {failed}"
                )) from None
        if not isinstance(patched, dict) or patched.get("resourceType") != resource_type or patched.get("id") != fhir_id:
            raise FhirError(422, Issue("invariant", "a patch may not change the resource's resourceType or id"))
        meta = {k: v for k, v in (patched.get("meta") or {}).items() if k not in ("versionId", "lastUpdated")}
        patched = {k: v for k, v in patched.items() if k != "meta"} | ({"meta": meta} if meta else {})
        return update_resource(resource_type=resource_type, fhir_id=fhir_id, resource=patched,
                               if_match=record.version_id, base_url=base_url)
