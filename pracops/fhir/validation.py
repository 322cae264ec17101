"""Validation of R4 JSON against the ``fhir.resources`` R4B models (fhirVersion 4.0.1)."""

from __future__ import annotations

from functools import lru_cache

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from pracops.fhir.outcome import FhirError, Issue


@lru_cache(maxsize=None)
def _model(resource_type: str):
    return get_fhir_model_class(resource_type)


def validation_issues(resource: dict, *, where: str = "") -> list[Issue]:
    """The structural problems of a resource; empty when it is valid R4."""
    try:
        _model(resource["resourceType"]).model_validate(resource)
    except ValidationError as exc:
        issues = []
        for error in exc.errors()[:20]:
            path = ".".join(str(p) for p in error.get("loc", ()) if p != "__root__")
            expression = f"{resource['resourceType']}.{path}" if path else resource["resourceType"]
            message = error.get("msg", "invalid value")
            issues.append(Issue("value" if path else "structure", f"{where}{expression}: {message}",
                                expression=expression))
        return issues or [Issue("structure", f"{where}invalid {resource['resourceType']}")]
    return []


def validate_resource(resource: dict, *, where: str = "") -> None:
    issues = validation_issues(resource, where=where)
    if issues:
        raise FhirError(400, issues)
