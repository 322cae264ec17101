"""Edits made in the admin, written through the same unit of work as the FHIR API."""

from __future__ import annotations

from pracops.fhir.mapping import MappingError
from pracops.fhir.outcome import FhirError
from pracops.fhir.validation import validation_issues
from pracops.records.models import FhirRecord
from pracops.records.registry import kind_for_model
from pracops.records.services.resources import create_resource, update_resource
from pracops.records.services.writes import Operation, run_unit


def resource_from_record(record: FhirRecord) -> dict:
    """The FHIR resource an edited (possibly unsaved) record stands for."""
    return kind_for_model(type(record)).to_fhir(record)


def problems_with(record: FhirRecord) -> list[str]:
    """Why the edited record could not be stored, in words for the person editing it."""
    resource = resource_from_record(record)
    kind = kind_for_model(type(record))
    problems = [issue.diagnostics for issue in validation_issues(resource, required_codes=kind.required_codes)]
    if not problems:
        try:
            kind.mapper.parse(resource, strict=True)
        except MappingError as exc:
            problems.extend(exc.issues)
    return problems


def save_record(record: FhirRecord, *, is_new: bool, expected_version: int | None = None) -> FhirRecord:
    """Store an edited record as a FHIR create or version-checked update; returns the stored record."""
    resource = resource_from_record(record)
    kind = kind_for_model(type(record))
    if is_new:
        resource.pop("id", None)
        op = create_resource(resource=resource)
    else:
        op = update_resource(resource_type=kind.resource_type, fhir_id=record.fhir_id, resource=resource,
                             if_match=expected_version)
    stored = kind.model.objects.get(fhir_id=op.fhir_id)
    record.pk, record.fhir_id = stored.pk, stored.fhir_id
    record.version_id, record.last_updated = stored.version_id, stored.last_updated
    return stored


def delete_records(records: list[FhirRecord]) -> None:
    """Delete records as FHIR deletes, all or nothing: each leaves its deletion in the version history."""
    ops = [Operation("DELETE", record.resource_type, fhir_id=record.fhir_id) for record in records]
    if ops:
        run_unit(ops)


__all__ = ["FhirError", "delete_records", "problems_with", "resource_from_record", "save_record"]
