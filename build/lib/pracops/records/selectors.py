"""Reads of the practice's records: one resource, or a FHIR search."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timezone
from typing import Callable

from django.conf import settings
from django.db.models import F, QuerySet
from django.utils.dateparse import parse_datetime

from pracops.fhir.outcome import FhirError, Issue, not_found
from pracops.records.models import FhirRecord, ResourceVersion
from pracops.records.registry import FHIR_ID, KINDS, ResourceKind
from pracops.records.search import include_params, search_filters, sort_order


def records(kind: ResourceKind) -> QuerySet:
    """The records of a kind with the ids their references need, in one query."""
    annotations = {f"{fk}_fhir_id": F(f"{fk}__fhir_id") for fk in kind.fk_fields}
    return kind.model.objects.annotate(**annotations)


def find_record(resource_type: str, fhir_id: str) -> FhirRecord | None:
    if not FHIR_ID.fullmatch(fhir_id):  # no record has it; the database may refuse it (NUL bytes)
        return None
    return records(KINDS[resource_type]).filter(fhir_id=fhir_id).first()


def get_record(resource_type: str, fhir_id: str) -> FhirRecord:
    record = find_record(resource_type, fhir_id)
    if record is None:
        raise _gone_or_not_found(resource_type, fhir_id)
    return record


def _gone_or_not_found(resource_type: str, fhir_id: str) -> FhirError:
    if not FHIR_ID.fullmatch(fhir_id):
        return not_found(resource_type, fhir_id)
    newest = _versions(resource_type, fhir_id).values_list("change", flat=True).first()
    if newest == ResourceVersion.Change.DELETED:
        return FhirError(410, Issue("deleted", f"{resource_type}/{fhir_id} has been deleted"))
    return not_found(resource_type, fhir_id)


def _versions(resource_type: str, fhir_id: str) -> QuerySet:
    return ResourceVersion.objects.filter(resource_type=resource_type, fhir_id=fhir_id).order_by("-version_id")


def read_version(resource_type: str, fhir_id: str, version_id: str) -> ResourceVersion:
    """One kept version of a record (vread): 404 for a version never written, 410 for a deletion."""
    found = None
    if version_id.isascii() and version_id.isdigit() and len(version_id) < 10 and FHIR_ID.fullmatch(fhir_id):
        found = _versions(resource_type, fhir_id).filter(version_id=int(version_id)).first()
        if found is None:
            found = _current_version(resource_type, fhir_id, int(version_id))
    if found is None:
        raise FhirError(404, Issue("not-found", f"{resource_type}/{fhir_id} has no version {version_id}"))
    if found.deleted:
        raise FhirError(410, Issue("deleted", f"version {version_id} of {resource_type}/{fhir_id} is its deletion"))
    return found


def _current_version(resource_type: str, fhir_id: str, version_id: int | None = None) -> ResourceVersion | None:
    """The current record as a version, for records stored before versions were kept."""
    qs = records(KINDS[resource_type]).filter(fhir_id=fhir_id)
    if version_id is not None:
        qs = qs.filter(version_id=version_id)
    record = qs.first()
    if record is None:
        return None
    return ResourceVersion(
        resource_type=resource_type, fhir_id=fhir_id, version_id=record.version_id,
        last_updated=record.last_updated, change=ResourceVersion.Change.UPDATED,
        patient_id=patient_of(record), resource=KINDS[resource_type].to_fhir(record),
    )


def history(resource_type: str, fhir_id: str | None, params: list[tuple[str, str]]) -> SearchPage:
    """A page of kept versions, newest first: of one record, or of every record of a type (``fhir_id`` None).

    ``_count`` and ``_offset`` page it; ``_since`` keeps the versions written at or after an instant.
    """
    unknown = sorted({name for name, _ in params} - {"_count", "_offset", "_since"})
    if unknown:
        raise FhirError(400, Issue("not-supported", f"history does not take {', '.join(unknown)}: _count, _offset, _since"))
    if fhir_id is not None and not FHIR_ID.fullmatch(fhir_id):
        raise not_found(resource_type, fhir_id)
    qs = ResourceVersion.objects.filter(resource_type=resource_type)
    if fhir_id is not None:
        qs = qs.filter(fhir_id=fhir_id)
    since = [value for name, value in params if name == "_since"]
    if since:
        try:
            instant = parse_datetime(since[-1])
            if instant is not None and instant.tzinfo is not None:
                instant.astimezone(timezone.utc)  # OverflowError: 0001-01-01T00:00+01:00 is before the year 1
        except (ValueError, OverflowError):  # also 2026-02-30T00:00Z
            instant = None
        if instant is None or instant.tzinfo is None:
            raise FhirError(400, Issue("invalid", "_since must be an instant with a time zone, e.g. 2026-01-31T09:00:00Z"))
        qs = qs.filter(last_updated__gte=instant)
    count = _int_param(params, "_count", settings.FHIR_DEFAULT_COUNT, settings.FHIR_MAX_COUNT)
    offset = _int_param(params, "_offset", 0, ceiling=MAX_OFFSET)
    total = qs.count()
    versions = list(qs.order_by("-last_updated", "-version_id", "-pk")[offset:offset + count]) if count else []
    if fhir_id is not None and not since:
        current_id = KINDS[resource_type].model.objects.filter(fhir_id=fhir_id).values_list(
            "version_id", flat=True).first()
        if current_id is not None and not qs.filter(version_id=current_id).exists():
            # Stored before versions were kept: its current version is all there is.
            current = _current_version(resource_type, fhir_id)
            if current is not None:
                total += 1
                versions = ([current] + versions)[:count] if offset == 0 else versions
        if total == 0:
            raise not_found(resource_type, fhir_id)
    return SearchPage(versions, total, offset, count, [(k, v) for k, v in params if k not in ("_count", "_offset")])


def read_resource(resource_type: str, fhir_id: str) -> tuple[FhirRecord, dict]:
    record = get_record(resource_type, fhir_id)
    return record, KINDS[resource_type].to_fhir(record)


def patient_of(record: FhirRecord) -> str:
    """The id of the patient a record is about ('' for practitioners and organizations)."""
    if record.resource_type == "Patient":
        return record.fhir_id
    for attribute in ("patient_fhir_id", "beneficiary_fhir_id"):
        value = getattr(record, attribute, None)
        if value:
            return value
    return ""


@dataclass
class SearchPage:
    records: list[FhirRecord]
    total: int | None
    offset: int
    count: int
    # The parameters the search applied, for the self and paging links (less _count and _offset).
    applied: list[tuple[str, str]] = field(default_factory=list)

    @property
    def has_next(self) -> bool:
        if self.count == 0:  # _count=0 asks for the total alone; a next link would name this page again
            return False
        if self.total is None:
            return len(self.records) == self.count
        return self.offset + len(self.records) < self.total


# The largest _offset: past it the database's 64-bit OFFSET (with _count added) overflows.
MAX_OFFSET = 2 ** 62


def _int_param(params: list[tuple[str, str]], name: str, default: int, maximum: int | None = None,
               ceiling: int | None = None) -> int:
    """A whole-number parameter: cut to ``maximum``, refused above ``ceiling``."""
    raw = [v for k, v in params if k == name]
    if not raw:
        return default
    digits = raw[-1].strip()
    if not (digits.isascii() and digits.isdigit()):
        raise FhirError(400, Issue("invalid", f"{name} must be a whole number, not negative"))
    value = int(digits) if len(digits) <= 19 else 10 ** 19  # past any ceiling; int() of 5,000 digits refuses
    if ceiling is not None and value > ceiling:
        raise FhirError(400, Issue("too-costly", f"{name} must be at most {ceiling}"))
    return min(value, maximum) if maximum is not None else value


def search(resource_type: str, params: list[tuple[str, str]], *, strict: bool = False,
           may_search: Callable[[str], bool] = lambda resource_type: True) -> SearchPage:
    """One page of a FHIR search; unknown parameters are ignored unless ``strict``.

    ``may_search``: whether the client may search a type that a chain or ``_has`` looks into.
    """
    kind = KINDS[resource_type]
    qs = records(kind)
    filters, applied = search_filters(resource_type, params, strict=strict, may_search=may_search)
    for q in filters:
        qs = qs.filter(q)
    # identifier joins the identifiers table: a record with two matching identifiers comes twice.
    if any(name.partition(":")[0] == "identifier" for name, _ in applied):
        qs = qs.distinct()
    count = _int_param(params, "_count", settings.FHIR_DEFAULT_COUNT, settings.FHIR_MAX_COUNT)
    offset = _int_param(params, "_offset", 0, ceiling=MAX_OFFSET)
    want_total = dict(params).get("_total", "accurate") != "none"
    total = qs.count() if want_total else None
    order = sort_order(resource_type, params, strict=strict)
    page = list(qs.order_by(*order)[offset:offset + count]) if count else []
    kept = [(k, v) for k, v in params if k in ("_sort", "_total", "_summary", "_elements", "_include", "_revinclude")]
    return SearchPage(page, total, offset, count, applied=applied + kept)


# The most records one _revinclude adds to a page (a patient's observations can be thousands).
REVINCLUDE_LIMIT = 1000


def included(resource_type: str, matches: list[FhirRecord], params: list[tuple[str, str]], *,
             may_read: Callable[[str], bool], strict: bool = False) -> tuple[list[FhirRecord], set[str]]:
    """The records ``_include`` and ``_revinclude`` add to a page, and the types left out because
    the client may not read them. Each include costs one query; records already on the page are not repeated.
    """
    if not matches:
        return [], set()
    wanted: list[tuple[str, str, set[int] | list[int]]] = []  # (type, lookup, keys)
    withheld: set[str] = set()
    for name, value in params:
        if name not in ("_include", "_revinclude"):
            continue
        for spec in filter(None, value.split(",")):
            found = include_params(resource_type, name, spec, strict=strict)
            for source, param in found:
                if name == "_include":
                    target, lookup = param.target, "pk__in"
                    keys: set[int] | list[int] = {getattr(r, f"{param.fk}_id") for r in matches} - {None}
                else:
                    target, lookup = source, f"{param.fk}__in"
                    keys = [r.pk for r in matches]
                if not may_read(target):
                    withheld.add(target)
                elif keys:
                    wanted.append((target, lookup, keys))
    seen = {(resource_type, r.pk) for r in matches}
    extra: list[FhirRecord] = []
    for target, lookup, keys in wanted:
        limit = None if lookup == "pk__in" else REVINCLUDE_LIMIT
        for record in records(KINDS[target]).filter(**{lookup: keys}).order_by("pk")[:limit]:
            if (target, record.pk) not in seen:
                seen.add((target, record.pk))
                extra.append(record)
    return extra, withheld
