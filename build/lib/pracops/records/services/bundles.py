"""FHIR transaction and batch Bundles: parse the entries, run them, answer with a Bundle."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import parse_qsl

from django.db import DataError, transaction

from pracops.access.roles import reach_of
from pracops.fhir.outcome import FhirError, Issue, operation_outcome
from pracops.fhir.subsetting import subset
from pracops.records import selectors
from pracops.records.registry import KINDS, SUPPORTED_TYPES
from pracops.records.services.resources import conditional_update_target
from pracops.records.services.writes import Operation, WritePolicy, UnitOfWork

logger = logging.getLogger(__name__)

# Permission check: (interaction, resource type) -> allowed?
Permission = Callable[[str, str], bool]
# Records entries in the audit trail, inside the transaction that wrote them.
Recorder = Callable[[list["AuditNote"]], None]
INTERACTION = {"POST": "create", "PUT": "update", "DELETE": "delete"}
STATUS_TEXT = {200: "200 OK", 201: "201 Created", 204: "204 No Content"}


@dataclass
class AuditNote:
    """What the caller records in the audit trail for one entry."""

    action: str  # C, R, U, D, E
    resource_type: str
    fhir_id: str
    patient_id: str = ""
    outcome: str = "0"
    detail: str = ""
    entities: list[str] = field(default_factory=list)
    patients: list[str] = field(default_factory=list)  # every patient a search entry showed


@dataclass
class BundleResult:
    response: dict
    audit: list[AuditNote]
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Entry:
    index: int
    method: str
    resource_type: str
    fhir_id: str | None
    query: list[tuple[str, str]] | None
    op: Operation | None


def unsupported_type(resource_type: str, where: str = "") -> FhirError:
    return FhirError(400, Issue(
        "not-supported",
        f"{where}resourceType {resource_type!r} is not supported; supported types: {', '.join(SUPPORTED_TYPES)}",
    ))


def parse_entries(bundle: dict) -> list[_Entry]:
    entries = []
    _expect(bundle.get("entry"), list, "Bundle.entry", "a list")
    for index, entry in enumerate(bundle.get("entry") or []):
        where = f"Bundle.entry[{index}]: "
        if not isinstance(entry, dict):
            raise FhirError(400, Issue("structure", f"{where}an entry must be an object"))
        request = entry.get("request") or {}
        _expect(request, dict, f"{where}request", "an object")
        for name in ("method", "url", "ifMatch", "ifNoneExist"):
            _expect(request.get(name), str, f"{where}request.{name}", "a string")
        _expect(entry.get("fullUrl"), str, f"{where}fullUrl", "a string")
        method = (request.get("method") or "").upper()
        url = (request.get("url") or "").strip().lstrip("/")
        if method not in ("GET", "POST", "PUT", "DELETE"):
            raise FhirError(400, Issue(
                "not-supported", f"{where}request.method {method or 'missing'!r}: GET, POST, PUT or DELETE"
            ))
        path, _, query_string = url.partition("?")
        parts = [p for p in path.split("/") if p]
        resource = entry.get("resource")
        _expect(resource, dict, f"{where}resource", "a resource (an object)")
        resource_type = parts[0] if parts else (resource or {}).get("resourceType", "")
        _expect(resource_type, str, f"{where}resource.resourceType", "a string")
        if resource_type not in KINDS:
            raise unsupported_type(resource_type, where)
        fhir_id = parts[1] if len(parts) > 1 else None
        op = None
        if method in ("POST", "PUT") and not isinstance(resource, dict):
            raise FhirError(400, Issue("required", f"{where}{method} needs a resource"))
        if method == "POST":
            op = Operation("POST", resource_type, resource=resource, full_url=entry.get("fullUrl"),
                           if_none_exist=request.get("ifNoneExist"), label=where)
        elif method in ("PUT", "DELETE"):
            conditional = method == "PUT" and not fhir_id and bool(query_string)
            if (not fhir_id or query_string) and not conditional:
                raise FhirError(400, Issue(
                    "not-supported", f"{where}{method} needs Type/id (or, to update conditionally, Type?criteria); "
                                     "conditional DELETE is not supported"
                ))
            if_match = _parse_etag(request.get("ifMatch"), where)
            op = Operation(method, resource_type, resource=resource if method == "PUT" else None,
                           fhir_id=fhir_id, full_url=entry.get("fullUrl"), if_match=if_match, label=where)
        # GET Type?search, and PUT Type?criteria: its target is found when the entry runs.
        query = parse_qsl(query_string, keep_blank_values=True) if method in ("GET", "PUT") and not fhir_id else None
        entries.append(_Entry(index, method, resource_type, fhir_id, query, op))
    return entries


def _expect(value, kind: type, element: str, what: str) -> None:
    """Refuse an element of the wrong JSON type (absent is fine)."""
    if value is not None and not isinstance(value, kind):
        raise FhirError(400, Issue("structure", f"{element} must be {what}", expression=element.split(": ")[-1]))


def _parse_etag(value: str | None, where: str = "") -> int | None:
    if not value:
        return None
    raw = value.strip()
    if raw.startswith("W/"):
        raw = raw[2:]
    try:
        return int(raw.strip('"'))
    except ValueError as exc:
        raise FhirError(400, Issue("invalid", f"{where}If-Match {value!r} is not a version etag")) from exc


parse_etag = _parse_etag


def process_bundle(
    bundle: dict, *, allowed: Permission, base_url: str, record: Recorder, policy: WritePolicy | None = None,
    return_resources: bool = True,
) -> BundleResult:
    """Run a transaction or batch Bundle; ``record`` audits its entries in the transactions that write them.

    A batch commits entry by entry, so each committed entry is audited in its own transaction
    and a retry after a failure never finds writes without their audit record.
    """
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise FhirError(400, Issue("invalid", "POST to the base takes a Bundle"))
    kind = bundle.get("type")
    if kind not in ("transaction", "batch"):
        raise FhirError(400, Issue("not-supported", f"Bundle.type {kind!r}: transaction or batch"))
    entries = parse_entries(bundle)
    if kind == "transaction":
        return _transaction(entries, allowed, base_url, record, policy, return_resources)
    return _batch(entries, allowed, base_url, record, policy, return_resources)


def check_allowed(entries: list[_Entry], allowed: Permission) -> None:
    """Refuse (403) the first entry the role may not run, before anything runs."""
    for entry in entries:
        _check_allowed(entry, allowed)


def _check_allowed(entry: _Entry, allowed: Permission) -> None:
    interaction = INTERACTION.get(entry.method) or ("read" if entry.fhir_id else "search")
    needed = [(interaction, entry.resource_type, "")]
    if entry.op is not None and entry.op.resource is not None:
        needed += reach_of(entry.op.resource, sending=True)
    if entry.op is not None and entry.op.if_none_exist:
        needed.append(("search", entry.resource_type, "ifNoneExist"))
    if entry.op is not None and entry.op.method == "PUT" and entry.query is not None:
        needed.append(("search", entry.resource_type, "conditional update"))
    for needed_interaction, resource_type, why in needed:
        _require(allowed, needed_interaction, resource_type, f"Bundle.entry[{entry.index}]: ", why)


def _check_reach(resource: dict, allowed: Permission, where: str) -> None:
    """Refuse (403) a resource about to be returned whose contained resources the role may not read."""
    for interaction, resource_type, why in reach_of(resource, sending=False):
        _require(allowed, interaction, resource_type, where, why)


def _require(allowed: Permission, interaction: str, resource_type: str, where: str, why: str) -> None:
    if not allowed(interaction, resource_type):
        raise FhirError(403, Issue(
            "forbidden", f"{where}your role may not {interaction} {resource_type}" + (f" ({why})" if why else "")
        ))


def _transaction(entries, allowed, base_url, record, policy, return_resources) -> BundleResult:
    check_allowed(entries, allowed)
    ops = [e.op for e in entries if e.op is not None]
    # FHIR's order: DELETE, then POST, then PUT; reads last, so they see the writes.
    ops.sort(key=lambda op: ("DELETE", "POST", "PUT").index(op.method))
    responses: dict[int, dict] = {}
    audit: list[AuditNote] = []
    with transaction.atomic():
        for entry in entries:
            _target_conditional_update(entry, allowed)
        unit = UnitOfWork(ops, policy, base_url=base_url)
        unit.run()
        for entry in entries:
            if entry.op is not None:
                responses[entry.index], note = _write_response(entry.op, base_url, return_resources)
                audit.append(note)
            else:
                responses[entry.index], note = _read_response(entry, base_url, allowed)
                audit.append(note)
        record(audit)
    return BundleResult(
        _response_bundle("transaction-response", [responses[i] for i in range(len(entries))]),
        audit, [w for op in ops for w in op.warnings],
    )


def _batch(entries, allowed, base_url, record, policy, return_resources) -> BundleResult:
    responses, audit = [], []
    for entry in entries:
        try:
            _check_allowed(entry, allowed)
            with transaction.atomic():
                if entry.op is not None:
                    # Batch entries stand alone: no fullUrl references between them.
                    entry.op.full_url = None
                    _target_conditional_update(entry, allowed)
                    UnitOfWork([entry.op], policy, base_url=base_url).run()
                    response, note = _write_response(entry.op, base_url, return_resources)
                else:
                    response, note = _read_response(entry, base_url, allowed)
                record([note])
        except Exception as exc:  # noqa: BLE001 - one entry's failure is that entry's answer
            error = exc if isinstance(exc, FhirError) else _unexpected(entry, exc)
            response = {"response": {"status": str(error.status), "outcome": error.outcome()}}
            note = AuditNote(
                {"POST": "C", "PUT": "U", "DELETE": "D"}.get(entry.method, "R" if entry.fhir_id else "E"),
                entry.resource_type, entry.fhir_id or "", outcome="4" if error.status < 500 else "8",
                detail=str(error.status),
            )
            with transaction.atomic():
                record([note])
        responses.append(response)
        audit.append(note)
    return BundleResult(_response_bundle("batch-response", responses), audit)


def _unexpected(entry: _Entry, exc: Exception) -> FhirError:
    # Only the exception's class is logged: its text may quote the entry's values.
    logger.error("Bundle.entry[%d] (%s %s) failed: %s", entry.index, entry.method, entry.resource_type,
                 exc.__class__.__name__)
    if isinstance(exc, DataError):
        return FhirError(422, Issue("value", f"Bundle.entry[{entry.index}]: a value does not fit the database"))
    return FhirError(500, Issue("exception", f"Bundle.entry[{entry.index}]: the entry could not be processed"))


def _target_conditional_update(entry: _Entry, allowed: Permission) -> None:
    """Point a ``PUT Type?criteria`` entry at the record its criteria match (or a new one)."""
    op = entry.op
    if op is None or op.method != "PUT" or entry.query is None:
        return
    op.fhir_id = conditional_update_target(resource_type=entry.resource_type, criteria=entry.query,
                                           resource=op.resource, where=op.label,
                                           may_search=lambda t: allowed("search", t))
    op.resource = {**op.resource, "id": op.fhir_id}


def _write_response(op: Operation, base_url: str, return_resources: bool) -> tuple[dict, AuditNote]:
    kind = KINDS[op.resource_type]
    if op.method == "DELETE":
        return (
            {"response": {"status": "204 No Content" if op.result == "deleted" else "200 OK"}},
            AuditNote("D", op.resource_type, op.fhir_id or "", detail=op.result),
        )
    record = selectors.get_record(op.resource_type, op.fhir_id)
    resource = kind.to_fhir(record)
    status = 201 if op.result == "created" else 200
    response = {
        "fullUrl": f"{base_url}/{op.resource_type}/{op.fhir_id}",
        "response": {
            "status": STATUS_TEXT[status],
            "location": f"{op.resource_type}/{op.fhir_id}/_history/{record.version_id}",
            "etag": f'W/"{record.version_id}"',
            "lastModified": resource["meta"]["lastUpdated"],
        },
    }
    if return_resources:
        response["resource"] = resource
    action = {"created": "C", "matched": "R", "unchanged": "U"}.get(op.result, "U")
    return response, AuditNote(action, op.resource_type, op.fhir_id or "", selectors.patient_of(record),
                               detail=op.result)


def _read_response(entry: _Entry, base_url: str, allowed: Permission) -> tuple[dict, AuditNote]:
    where = f"Bundle.entry[{entry.index}]: "
    if entry.fhir_id:
        record, resource = selectors.read_resource(entry.resource_type, entry.fhir_id)
        _check_reach(resource, allowed, where)
        return (
            {"fullUrl": f"{base_url}/{entry.resource_type}/{entry.fhir_id}", "resource": resource,
             "response": {"status": "200 OK", "etag": f'W/"{record.version_id}"'}},
            AuditNote("R", entry.resource_type, entry.fhir_id, selectors.patient_of(record)),
        )
    page = selectors.search(entry.resource_type, entry.query or [], may_search=lambda t: allowed("search", t))
    bundle = searchset(entry.resource_type, page, base_url)
    for found in bundle["entry"]:
        _check_reach(found["resource"], allowed, where)
    return (
        {"resource": bundle, "response": {"status": "200 OK"}},
        AuditNote("E", entry.resource_type, "", entities=[f"{entry.resource_type}/{r.fhir_id}" for r in page.records],
                  patients=[selectors.patient_of(r) for r in page.records]),
    )


def _response_bundle(kind: str, entries: list[dict]) -> dict:
    return {"resourceType": "Bundle", "type": kind, "entry": entries}


def searchset(resource_type: str, page: selectors.SearchPage, base_url: str, *,
              included: list = (), withheld: set[str] = frozenset(), summary: str = "",
              elements: list[str] | None = None) -> dict:
    """A searchset Bundle: the page's matches, then what ``_include``/``_revinclude`` added, each
    subsetted as ``_summary``/``_elements`` ask; an outcome entry names the types left out."""

    def entry(record, mode: str) -> dict:
        resource = subset(KINDS[record.resource_type].to_fhir(record), summary=summary, elements=elements)
        return {"fullUrl": f"{base_url}/{record.resource_type}/{record.fhir_id}", "resource": resource,
                "search": {"mode": mode}}

    bundle = {"resourceType": "Bundle", "type": "searchset"}
    if page.total is not None:
        bundle["total"] = page.total
    bundle["link"] = _page_links(f"{base_url}/{resource_type}", page)
    bundle["entry"] = [entry(r, "match") for r in page.records] + [entry(r, "include") for r in included]
    if withheld:
        bundle["entry"].append({"resource": operation_outcome([Issue(
            "forbidden", f"not included: your role may not read {', '.join(sorted(withheld))}", severity="warning",
        )]), "search": {"mode": "outcome"}})
    return bundle


def _page_links(url: str, page: selectors.SearchPage) -> list[dict]:
    """The self, next and previous links of one page of a searchset or history Bundle."""
    from urllib.parse import urlencode

    def link(offset: int) -> str:
        query = urlencode([*page.applied, ("_count", str(page.count)), ("_offset", str(offset))])
        return f"{url}?{query}"

    links = [{"relation": "self", "url": link(page.offset)}]
    if page.has_next:
        links.append({"relation": "next", "url": link(page.offset + page.count)})
    if page.offset > 0:
        links.append({"relation": "previous", "url": link(max(page.offset - page.count, 0))})
    return links


def history_bundle(resource_type: str, fhir_id: str | None, page: selectors.SearchPage, base_url: str) -> dict:
    """A page of kept versions as a Bundle of type history: each version with the request that made it."""
    path = f"{resource_type}/{fhir_id}/_history" if fhir_id else f"{resource_type}/_history"
    entries = []
    for version in page.records:
        instance = f"{version.resource_type}/{version.fhir_id}"
        entry: dict = {"fullUrl": f"{base_url}/{instance}"}
        if version.resource is not None:
            entry["resource"] = version.resource
        method, status = {
            "created": ("POST", "201 Created"), "updated": ("PUT", "200 OK"), "deleted": ("DELETE", "204 No Content"),
        }[version.change]
        entry["request"] = {"method": method, "url": version.resource_type if method == "POST" else instance}
        entry["response"] = {
            "status": status, "etag": f'W/"{version.version_id}"',
            "lastModified": version.last_updated.isoformat().replace("+00:00", "Z"),
        }
        if not version.deleted:
            entry["response"]["location"] = f"{instance}/_history/{version.version_id}"
        entries.append(entry)
    return {
        "resourceType": "Bundle", "type": "history", "total": page.total,
        "link": _page_links(f"{base_url}/{path}", page), "entry": entries,
    }
