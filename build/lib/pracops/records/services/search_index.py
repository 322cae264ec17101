"""The search index: the tokens and strings each record is found by, rewritten with the record.

Why an index table and not columns: a resource has any number of codings, names, addresses
and contact points, and R4 search matches any of them (``Condition?code=`` finds a condition
by its SNOMED coding as well as its ICD-10-CM one; ``Patient?given=`` looks in every name).
Columns hold one value each; the index holds one row per value, read by a subquery
(``pk IN (SELECT object_id ...)``) so a search never returns a record twice. Parameters that
one column answers exactly (identifier, patient, _id, _lastUpdated, dates) stay on columns.

The rows come from the resource JSON by the paths in ``pracops.records.search`` (the same
table that answers searches and feeds the CapabilityStatement), are written in bulk (COPY on
PostgreSQL) in the unit's transaction, and are replaced whenever a record changes.
"""

from __future__ import annotations

from typing import Any, Iterable

from django.contrib.contenttypes.models import ContentType

from pracops.bulk import insert_rows
from pracops.fhir.search_values import STRING_LENGTH, normalized, strings, token_texts, tokens
from pracops.records.models import SearchString, SearchToken
from pracops.records.registry import KINDS, SUPPORTED_TYPES, ResourceKind
from pracops.records.search import indexed_params

_CHUNK = 2000  # record keys per DELETE ... IN (...)


def index_rows(resource_type: str, content_type_id: int, pk: int,
               resource: dict) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The SearchToken and SearchString rows of one record."""
    token_rows: list[dict[str, Any]] = []
    string_rows: list[dict[str, Any]] = []
    for param in indexed_params(resource_type):
        if param.type == "token":
            token_rows += [{"content_type_id": content_type_id, "object_id": pk, "param": param.name,
                            "system": system, "code": code}
                           for system, code in sorted(tokens(resource, param.path))]
            string_rows += [_string_row(content_type_id, pk, f"{param.name}:text", value)
                            for value in sorted(token_texts(resource, param.path))]
        else:
            string_rows += [_string_row(content_type_id, pk, param.name, value)
                            for value in sorted(strings(resource, param.path))]
    return token_rows, string_rows


def _string_row(content_type_id: int, pk: int, param_name: str, value: str) -> dict[str, Any]:
    return {"content_type_id": content_type_id, "object_id": pk, "param": param_name,
            "normalized": normalized(value)[:STRING_LENGTH], "exact": value}


def write_search_index(records: Iterable[tuple[ResourceKind, int, dict, bool]]) -> None:
    """Replace the index rows of records: (kind, primary key, resource, whether it is new).

    New records have no rows yet, so only updated ones cost a DELETE.
    """
    token_rows: list[dict[str, Any]] = []
    string_rows: list[dict[str, Any]] = []
    stale: dict[int, list[int]] = {}
    for kind, pk, resource, is_new in records:
        if not indexed_params(kind.resource_type):
            continue
        content_type_id = ContentType.objects.get_for_model(kind.model).pk
        if not is_new:
            stale.setdefault(content_type_id, []).append(pk)
        found_tokens, found_strings = index_rows(kind.resource_type, content_type_id, pk, resource)
        token_rows += found_tokens
        string_rows += found_strings
    for content_type_id, pks in stale.items():
        for start in range(0, len(pks), _CHUNK):
            chunk = pks[start:start + _CHUNK]
            SearchToken.objects.filter(content_type_id=content_type_id, object_id__in=chunk).delete()
            SearchString.objects.filter(content_type_id=content_type_id, object_id__in=chunk).delete()
    insert_rows(SearchToken, token_rows)
    insert_rows(SearchString, string_rows)


def rebuild_search_index(apps: Any = None, *, batch: int = 2000) -> int:
    """Build the index rows of every stored record afresh, type by type; returns the records indexed.

    Run by the migration that added the index (with its historical ``apps``) and by
    ``manage.py rebuild_search_index`` after a parameter's path changes.
    """
    from django.apps import apps as current_apps

    apps = apps or current_apps
    content_types = apps.get_model("contenttypes", "ContentType")
    token_model = apps.get_model("records", "SearchToken")
    string_model = apps.get_model("records", "SearchString")
    indexed = 0
    for resource_type in SUPPORTED_TYPES:
        if not indexed_params(resource_type):
            continue
        meta = KINDS[resource_type].model._meta
        try:
            model = apps.get_model(meta.app_label, meta.model_name)
        except LookupError:  # a migration running before the app that registers this type has its table
            continue
        content_type, _ = content_types.objects.get_or_create(app_label=meta.app_label, model=meta.model_name)
        token_model.objects.filter(content_type_id=content_type.pk).delete()
        string_model.objects.filter(content_type_id=content_type.pk).delete()
        last = 0
        while True:
            rows = list(model.objects.filter(pk__gt=last).order_by("pk").values_list("pk", "resource")[:batch])
            if not rows:
                break
            token_rows: list[dict[str, Any]] = []
            string_rows: list[dict[str, Any]] = []
            for pk, resource in rows:
                found_tokens, found_strings = index_rows(resource_type, content_type.pk, pk, resource or {})
                token_rows += found_tokens
                string_rows += found_strings
            insert_rows(token_model, token_rows)
            insert_rows(string_model, string_rows)
            indexed += len(rows)
            last = rows[-1][0]
    return indexed
