"""The resource types PracOps stores: the one place each is declared.

A type is a ``ResourceKind``: its model, its FHIR mapper, its search parameters, the groups
its access rules come from (``pracops.access.roles``) and the required code bindings
validation enforces. The API, bundles, imports, search, roles and the CapabilityStatement all
read this registry, so a type registered here is served everywhere.

The core records register theirs in ``pracops.records.kinds``; another app registers its own
from its ``AppConfig.ready()``::

    register_resource_type(ResourceKind("Claim", Claim, ClaimMapper(), search_params={...},
                                        groups=frozenset({"billing"})))

Types are written in the order they are registered, so a type registers after the types its
foreign keys point at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Mapping

from pracops.records import models

if TYPE_CHECKING:
    from pracops.fhir.mapping import Mapped, ResourceMapper
    from pracops.records.search import SearchParam


# A FHIR id: what the URL of a stored record can name.
FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


@dataclass(frozen=True, eq=False)  # one object per type: hashed by identity
class ResourceKind:
    resource_type: str
    model: type[models.FhirRecord]
    mapper: ResourceMapper
    # FHIR search parameter name -> how it filters (pracops.records.search).
    search_params: dict[str, SearchParam] = field(default_factory=dict)
    # What the type is for, e.g. "clinical" or "registration": each role's grants name groups.
    groups: frozenset[str] = frozenset()
    # Element -> the codes of its required binding, where the R4B models check only the form.
    required_codes: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return list(self.mapper.columns)

    @property
    def fk_fields(self) -> dict[str, str]:
        """Foreign-key field -> the resource type it points at."""
        return {name: ref.targets[0] for name, ref in self.mapper.references.items()}

    def column_problems(self, mapped: Mapped, resource: dict) -> list[str]:
        """Values the columns cannot hold: text past its max_length, times that leave the calendar
        in UTC. Checked before writing, so the database never refuses a row and the client learns
        which element to shorten. (Numbers past their column are the mapper's: it leaves it empty.)"""
        problems = []
        for name, value in mapped.columns.items():
            field = self.model._meta.get_field(name)
            if isinstance(value, str) and field.max_length and len(value) > field.max_length:
                why = f"{len(value)} characters; at most {field.max_length} are kept"
            elif isinstance(value, datetime) and not _fits_utc(value):
                why = "outside the years 1 to 9999 once in UTC"
            else:
                continue
            where = _element_holding(resource, value, self.resource_type) or f"{self.resource_type} ({field.verbose_name})"
            problems.append(f"{where}: {why}")
        return problems

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
        return self.served(resource, fhir_id=record.fhir_id, version_id=record.version_id,
                           last_updated=record.last_updated.isoformat().replace("+00:00", "Z"))

    def served(self, body: dict, *, fhir_id: str, version_id: int, last_updated: str) -> dict:
        """A rendered body as the API serves it: type, id and meta first, with the version's meta."""
        meta = dict(body.get("meta") or {})
        meta["versionId"] = str(version_id)
        meta["lastUpdated"] = last_updated
        ordered = {"resourceType": self.resource_type, "id": fhir_id, "meta": meta}
        ordered.update((k, v) for k, v in body.items() if k not in ("resourceType", "id", "meta"))
        return ordered


def _fits_utc(value: datetime) -> bool:
    try:
        value.astimezone(timezone.utc)
    except OverflowError:
        return False
    return True


def _element_holding(node: Any, value: Any, path: str) -> str | None:
    """The path of the first string element a column's value was read from (to name it in an error)."""
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, list):
        items = ((f"[{i}]", item) for i, item in enumerate(node))
    elif isinstance(value, datetime):  # the string it was parsed from
        return path if isinstance(node, str) and node.startswith(value.isoformat()[:19]) else None
    else:
        return path if isinstance(value, str) and node == value else None
    for key, item in items:
        found = _element_holding(item, value, f"{path}{key}" if isinstance(key, str) and key.startswith("[")
                                 else f"{path}.{key}")
        if found:
            return found
    return None


class RegistrationError(Exception):
    """A resource type that cannot be registered as declared (a programming error)."""


# In registration order, which is the order a unit of work writes them in: every foreign key
# points at something already stored. Both are filled in place, never rebound.
SUPPORTED_TYPES: list[str] = []
KINDS: dict[str, ResourceKind] = {}


def register_resource_type(kind: ResourceKind) -> None:
    """Serve ``kind`` everywhere: the FHIR API, bundles, imports, search, roles and /metadata."""
    if kind.resource_type in KINDS:
        if KINDS[kind.resource_type].model is kind.model:
            return  # AppConfig.ready() may run again (e.g. when tests swap the installed apps)
        raise RegistrationError(f"{kind.resource_type} is already registered")
    unknown = sorted({target for target in kind.fk_fields.values() if target not in KINDS})
    if unknown:
        raise RegistrationError(
            f"{kind.resource_type} refers to {', '.join(unknown)}: register it after the types it refers to"
        )
    if kind.mapper.resource_type != kind.resource_type or kind.model.resource_type != kind.resource_type:
        raise RegistrationError(f"{kind.resource_type}: its model and mapper must be for {kind.resource_type}")
    KINDS[kind.resource_type] = kind
    SUPPORTED_TYPES.append(kind.resource_type)


def unregister_resource_type(resource_type: str) -> None:
    """Stop serving a type (for tests that register one of their own)."""
    if any(resource_type in other.fk_fields.values() for other in KINDS.values() if other.resource_type != resource_type):
        raise RegistrationError(f"another registered type refers to {resource_type}")
    KINDS.pop(resource_type, None)
    if resource_type in SUPPORTED_TYPES:
        SUPPORTED_TYPES.remove(resource_type)


def kind_of(resource_type: str) -> ResourceKind | None:
    return KINDS.get(resource_type)


def kind_for_model(model: type) -> ResourceKind:
    return KINDS[model.resource_type]
