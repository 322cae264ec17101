"""Importing Bundles as an EHR sends them (``import_fhir``).

An EHR feed is an upsert: resources keep the EHR's ids, a resource already stored (by id or
by identifier) is updated, or left alone when nothing changed, so importing the same
bundle twice stores nothing twice. Types PracOps does not store are counted and skipped.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from pracops.audit.services import record_many
from pracops.fhir.outcome import FhirError, Issue
from pracops.records.registry import KINDS
from pracops.records.services.writes import Operation, WritePolicy, run_unit
from pracops.records.selectors import patient_of

IMPORT_POLICY = WritePolicy(upsert=True, strict=False)


@dataclass
class ImportSummary:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    warnings: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, other: "ImportSummary") -> None:
        for name in ("created", "updated", "unchanged", "skipped"):
            getattr(self, name).update(getattr(other, name))
        for resource_type, counts in other.warnings.items():
            self.warnings[resource_type].update(counts)

    @property
    def stored(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values()) + sum(self.unchanged.values())

    def as_dict(self) -> dict:
        return {
            "created": dict(sorted(self.created.items())),
            "updated": dict(sorted(self.updated.items())),
            "unchanged": dict(sorted(self.unchanged.items())),
            "skipped": dict(sorted(self.skipped.items())),
            "warnings": {t: dict(c) for t, c in sorted(self.warnings.items())},
        }


def bundle_operations(bundle: dict) -> tuple[list[Operation], Counter]:
    """The operations of the stored types in a Bundle, and a count of the skipped types."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise FhirError(400, Issue("invalid", "not a FHIR Bundle"))
    ops, skipped = [], Counter()
    for index, entry in enumerate(bundle.get("entry") or []):
        resource = (entry or {}).get("resource")
        if not isinstance(resource, dict):
            continue
        resource_type = resource.get("resourceType", "")
        if resource_type not in KINDS:
            skipped[resource_type or "(none)"] += 1
            continue
        method = ((entry.get("request") or {}).get("method") or "POST").upper()
        if method == "DELETE":
            skipped[f"{resource_type} (DELETE)"] += 1
            continue
        ops.append(Operation(
            "POST", resource_type, resource=resource, full_url=entry.get("fullUrl"),
            if_none_exist=(entry.get("request") or {}).get("ifNoneExist"),
            label=f"Bundle.entry[{index}]: ",
        ))
    return ops, skipped


def import_bundle(bundle: dict, *, user=None, source: str = "command") -> ImportSummary:
    """Import one Bundle all or nothing, and audit every record it wrote."""
    ops, skipped = bundle_operations(bundle)
    summary = ImportSummary(skipped=skipped)
    if ops:
        run_unit(ops, IMPORT_POLICY)
    events = []
    for op in ops:
        if op.result in ("created", "updated", "unchanged"):
            getattr(summary, op.result)[op.resource_type] += 1
        for warning in op.warnings:
            summary.warnings[op.resource_type][_warning_kind(warning)] += 1
        if op.result in ("created", "updated"):
            events.append(dict(
                action="C" if op.result == "created" else "U", resource_type=op.resource_type,
                resource_id=op.fhir_id, patient_id=_patient(op),
            ))
    if events:
        record_many(events, user=user, source=source)
    return summary


def _patient(op: Operation) -> str:
    if op.resource_type == "Patient":
        return op.fhir_id or ""
    for name in ("patient", "beneficiary"):
        reference = (op.mapped.references.get(name) if op.mapped else None) or ""
        if reference.startswith("Patient/"):
            return reference.split("/", 1)[1]
    return ""


def _warning_kind(warning: str) -> str:
    if "NPI" in warning:
        return "invalid NPI"
    if "not known" in warning:
        return "unresolved reference"
    if "fullUrl" in warning:
        return "unresolved bundle reference"
    return warning[:80]


__all__ = ["ImportSummary", "import_bundle", "bundle_operations", "patient_of"]
