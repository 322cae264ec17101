"""The resource types PracOps stores: their models, mappers and how each reads back as FHIR."""

from __future__ import annotations

from dataclasses import dataclass

from pracops.fhir.mapping import MAPPERS, ResourceMapper
from pracops.records import models


@dataclass(frozen=True)
class ResourceKind:
    resource_type: str
    model: type[models.FhirRecord]
    mapper: ResourceMapper

    @property
    def columns(self) -> list[str]:
        return list(self.mapper.columns)

    @property
    def fk_fields(self) -> dict[str, str]:
        """Foreign-key field -> the resource type it points at."""
        return {name: ref.targets[0] for name, ref in self.mapper.references.items()}

    def to_fhir(self, record: models.FhirRecord) -> dict:
        """The record as a FHIR resource: the stored JSON with the columns written in."""
        columns = {name: getattr(record, name) for name in self.mapper.columns}
        references = {}
        for name, target in self.fk_fields.items():
            target_id = getattr(record, f"{name}_fhir_id", None)
            if target_id is None:
                related = getattr(record, name)
                target_id = related.fhir_id if related is not None else None
            references[name] = f"{target}/{target_id}" if target_id else None
        resource = self.mapper.render(record.resource, columns, references)
        meta = dict(resource.get("meta") or {})
        meta["versionId"] = str(record.version_id)
        meta["lastUpdated"] = record.last_updated.isoformat().replace("+00:00", "Z")
        ordered = {"resourceType": self.resource_type, "id": record.fhir_id, "meta": meta}
        ordered.update((k, v) for k, v in resource.items() if k not in ("resourceType", "id", "meta"))
        return ordered


# Written in this order, so that every foreign key points at something already stored.
SUPPORTED_TYPES: list[str] = [
    "Organization", "Practitioner", "Patient", "Coverage", "Encounter", "Condition",
    "Procedure", "ServiceRequest", "Observation", "DocumentReference",
]

KINDS: dict[str, ResourceKind] = {
    name: ResourceKind(name, getattr(models, name), MAPPERS[name]) for name in SUPPORTED_TYPES
}


def kind_of(resource_type: str) -> ResourceKind | None:
    return KINDS.get(resource_type)


def kind_for_model(model: type) -> ResourceKind:
    return KINDS[model.resource_type]
