"""Validation of R4 JSON against the ``fhir.resources`` R4B models (fhirVersion 4.0.1)."""

from __future__ import annotations

from functools import lru_cache

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from pracops.fhir.outcome import FhirError, Issue


@lru_cache(maxsize=None)
def _model(resource_type: str):
    return get_fhir_model_class(resource_type)


# Required bindings of the codes PracOps keeps in columns. The R4B models check a code's
# form, not its value set, so without this a Patient.gender of "sometimes" would be stored.
REQUIRED_CODES: dict[str, dict[str, frozenset[str]]] = {
    "Patient": {"gender": frozenset({"male", "female", "other", "unknown"})},
    "Practitioner": {"gender": frozenset({"male", "female", "other", "unknown"})},
    "Coverage": {"status": frozenset({"active", "cancelled", "draft", "entered-in-error"})},
    "Encounter": {"status": frozenset({"planned", "arrived", "triaged", "in-progress", "onleave", "finished",
                                       "cancelled", "entered-in-error", "unknown"})},
    "Procedure": {"status": frozenset({"preparation", "in-progress", "not-done", "on-hold", "stopped",
                                       "completed", "entered-in-error", "unknown"})},
    "ServiceRequest": {
        "status": frozenset({"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}),
        "intent": frozenset({"proposal", "plan", "directive", "order", "original-order", "reflex-order",
                             "filler-order", "instance-order", "option"}),
    },
    "Observation": {"status": frozenset({"registered", "preliminary", "final", "amended", "corrected",
                                         "cancelled", "entered-in-error", "unknown"})},
    "DocumentReference": {"status": frozenset({"current", "superseded", "entered-in-error"})},
}


def _code_issues(resource: dict, where: str) -> list[Issue]:
    issues = []
    for element, codes in REQUIRED_CODES.get(resource["resourceType"], {}).items():
        value = resource.get(element)
        if value is not None and value not in codes:
            expression = f"{resource['resourceType']}.{element}"
            issues.append(Issue(
                "code-invalid", f"{where}{expression}: {value!r} is not one of {', '.join(sorted(codes))}",
                expression=expression,
            ))
    return issues


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
    return _code_issues(resource, where)


def validate_resource(resource: dict, *, where: str = "") -> None:
    issues = validation_issues(resource, where=where)
    if issues:
        raise FhirError(400, issues)
