"""Every write to the practice's records: one unit of work for a set of FHIR operations.

A single create is a unit of one; a transaction Bundle or an imported EHR bundle is a unit
of thousands, written in bulk per resource type. The unit is all or nothing: the caller
runs it inside ``transaction.atomic`` and any ``FhirError`` rolls everything back.

The checks that need no database (R4 validation, ids, versions) can be run ahead of the
unit with ``check_operations``, e.g. in another process while the previous unit writes.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterator
from urllib.parse import parse_qsl

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models import Value
from django.db.models.deletion import ProtectedError
from django.utils import timezone

from pracops.bulk import insert_rows, reserve_pks
from pracops.fhir.mapping import Mapped, MappingError
from pracops.fhir.outcome import FhirError, Issue
from pracops.fhir.validation import validation_issues
from pracops.records.services.history import keep_versions
from pracops.records.signals import records_written
from pracops.records.models import FhirRecord, ResourceIdentifier
from pracops.records.registry import FHIR_ID, KINDS, SUPPORTED_TYPES, ResourceKind
from pracops.records.services.search_index import write_search_index

_LOCAL_REFERENCE = re.compile(r"^[A-Za-z]+/[A-Za-z0-9\-.]{1,64}$")
_MAX_REPORTED_ISSUES = 50
_CHUNK = 2000  # ids or values per IN (...) list
_MAX_KEY_LOCKS = 64  # more match keys of one type than this lock the type (see lock_match_keys)


@dataclass
class Operation:
    """One requested change (or read) and, once the unit has run, what came of it."""

    method: str  # POST, PUT or DELETE
    resource_type: str
    resource: dict | None = None
    fhir_id: str | None = None  # the target of PUT and DELETE; the id a POST is given
    full_url: str | None = None
    if_none_exist: str | None = None
    if_match: int | None = None  # If-Match: a mismatch is 412 Precondition Failed
    label: str = ""  # where in the request this came from, for error messages
    # What check_operations() found, as (HTTP status, issue); None until it has run.
    checked: list[tuple[int, Issue]] | None = None

    # Outcome
    result: str = ""  # created, updated, unchanged, deleted, gone, matched
    pk: int | None = None  # the primary key of the record written (or left unchanged)
    mapped: Mapped | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def kind(self) -> ResourceKind:
        return KINDS[self.resource_type]

    @property
    def record(self) -> FhirRecord | None:
        """The stored record this operation wrote or left unchanged, read when asked."""
        if self.pk is None:
            return None
        return self.kind.model.objects.get(pk=self.pk)


@dataclass
class WritePolicy:
    """How strictly a unit treats what it receives.

    The FHIR API is strict: a create never takes a client's id and a duplicate identifier is
    a conflict. An EHR feed (``import_fhir``) is an upsert: a resource with a known id or
    identifier updates the stored one, and rule problems such as an NPI that fails its check
    digit are recorded as warnings instead of refusing the patient's record.
    """

    upsert: bool = False
    strict: bool = True


def check_operations(operations: list[Operation]) -> None:
    """Run the checks that need no database on each operation and keep what they found.

    Pure, so it can run in another process; a unit then reports these findings instead of
    validating again.
    """
    for op in operations:
        op.checked = _check(op)


def _check(op: Operation) -> list[tuple[int, Issue]]:
    """The structural problems of one operation: R4 validity, its id.

    ``meta.versionId`` in a body is ignored, as the spec requires: only If-Match guards a version.
    """
    found: list[tuple[int, Issue]] = []
    if op.fhir_id is not None and not FHIR_ID.fullmatch(op.fhir_id):
        found.append((400, Issue("invalid", f"{op.label}{op.fhir_id!r} is not a valid id")))
    if op.resource is None:
        return found
    if op.resource.get("resourceType") != op.resource_type:
        return [(400, Issue(
            "invalid",
            f"{op.label}resourceType {op.resource.get('resourceType')!r} does not match {op.resource_type}",
        ))]
    found.extend((400, issue) for issue in validation_issues(
        op.resource, where=op.label, required_codes=op.kind.required_codes))
    if op.method == "PUT" and op.resource.get("id") != op.fhir_id:
        found.append((400, Issue(
            "invalid", f"{op.label}the resource id must be {op.fhir_id!r}, the id it is put at"
        )))
    return found


class UnitOfWork:
    def __init__(self, operations: list[Operation], policy: WritePolicy | None = None, *,
                 base_url: str = ""):
        self.ops = operations
        self.policy = policy or WritePolicy()
        # References written as absolute URLs on this server ("<base>/Patient/1") are local.
        self.base_url = (base_url or settings.FHIR_BASE_URL).rstrip("/")
        self.now = timezone.now()
        self.issues: list[Issue] = []
        self.status: int | None = None  # the HTTP status of the first problem found
        self.full_urls: dict[str, str] = {}  # fullUrl -> "Type/id"
        self.pk_of: dict[tuple[str, str], int] = {}  # (type, fhir id) -> primary key
        self.stored: dict[tuple[str, str], dict] = {}  # existing rows: pk, version, resource
        self.referenced: dict[str, set[str]] = defaultdict(set)  # type -> ids referenced
        self.ambiguous: set[tuple[str, str, str]] = set()  # (type, system, value) several records carry

    # --- the steps -------------------------------------------------------------

    def run(self) -> list[Operation]:
        for step in (self._validate, self._assign_targets, self._rewrite_references, self._map,
                     self._check_references):
            step()
            if self.issues:
                raise FhirError(self.status or 400, self.issues[:_MAX_REPORTED_ISSUES])
        self._delete()
        self._write()
        keep_versions(self)
        changes = [
            (op.resource_type, op.fhir_id, op.pk, op.result)
            for op in self.ops if op.result in ("created", "updated", "deleted")
        ]
        if changes:
            records_written.send(sender=UnitOfWork, changes=changes)
        return self.ops

    def _add(self, status: int, issue: Issue) -> None:
        self.issues.append(issue)
        self.status = self.status or status

    def _validate(self) -> None:
        for op in self.ops:
            for status, issue in op.checked if op.checked is not None else _check(op):
                self._add(status, issue)

    def _assign_targets(self) -> None:
        """Decide which stored record each operation creates, updates or deletes.

        The stored records a unit may change are locked here, for the rest of the transaction:
        a concurrent unit waits, then sees this one's version.
        """
        by_type: dict[str, list[Operation]] = {t: [] for t in SUPPORTED_TYPES}  # types lock in one order
        for op in self.ops:
            by_type[op.resource_type].append(op)
        by_type = {t: ops for t, ops in by_type.items() if ops}
        if self.policy.upsert:
            for op in self.ops:
                if op.method == "POST" and op.resource.get("id") and FHIR_ID.fullmatch(op.resource["id"]):
                    op.fhir_id = op.resource["id"]
        lock_match_keys(self._match_keys())
        self._load_stored_many({
            KINDS[resource_type]: {op.fhir_id for op in ops if op.fhir_id}
            for resource_type, ops in by_type.items()
        }, lock=True)
        matches = self._identifier_matches(by_type) if self.policy.upsert else {}
        for resource_type, ops in by_type.items():
            matched: set[str] = set()
            for op in ops:
                if op.method == "POST":
                    if self._target_post(op, matches):
                        matched.add(op.fhir_id)
                elif op.method == "PUT":
                    self._check_version(op)
                if op.full_url and op.fhir_id:
                    self.full_urls[op.full_url] = f"{resource_type}/{op.fhir_id}"
            self._load_stored(KINDS[resource_type], matched, lock=True)
        seen: set[tuple[str, str]] = set()
        for op in self.ops:
            if not op.fhir_id or op.result == "matched":
                continue
            target = (op.resource_type, op.fhir_id)
            if target not in seen:
                seen.add(target)
            elif self.policy.upsert and op.method == "POST":
                op.result = "matched"  # an EHR bundle that repeats a resource: the first one is written
            else:
                self._add(400, Issue("duplicate", f"{op.label}{op.resource_type}/{op.fhir_id} is the target of more than one entry"))

    def _target_post(self, op: Operation, matches: dict[tuple[str, str, str], str]) -> bool:
        """Give a POST its target id; True when that is a stored record found by identifier."""
        key = op.resource_type
        if op.if_none_exist is not None:
            found = self._conditional_match(op.resource_type, op.if_none_exist, op.label, exclude=op)
            if found:
                op.fhir_id, op.result = found, "matched"
                return False
        if self.policy.upsert:
            if op.fhir_id and (key, op.fhir_id) in self.stored:
                return False
            identifiers = [(system, value) for system, value in op.kind.mapper.identifiers(op.resource) if system]
            for system, value in identifiers:
                if (key, system, value) in matches:
                    op.fhir_id = matches[(key, system, value)]
                    return True
            if any((key, system, value) in self.ambiguous for system, value in identifiers):
                op.warnings.append("an identifier it carries is carried by several stored records: stored as new")
        if not op.fhir_id or not self.policy.upsert:
            op.fhir_id = str(uuid.uuid4())
        return False

    def _check_version(self, op: Operation) -> None:
        # self.stored holds the row as locked by this transaction, so the check cannot go stale.
        stored = self.stored.get((op.resource_type, op.fhir_id))
        if op.if_match is not None and (stored is None or stored["version_id"] != op.if_match):
            current = stored["version_id"] if stored else "none"
            self._add(412, Issue(
                "conflict",
                f"{op.label}{op.resource_type}/{op.fhir_id} is at version {current}, not {op.if_match}",
            ))

    def _load_stored(self, kind: ResourceKind, fhir_ids: set[str], *, lock: bool = False) -> None:
        """Read the stored rows with these ids; ``lock``: lock them until the transaction ends.

        Locked rows are read in key order, so two units that lock the same rows cannot deadlock.
        ``FOR NO KEY UPDATE`` leaves records that refer to them free to be written meanwhile.
        """
        wanted = sorted(i for i in fhir_ids if (kind.resource_type, i) not in self.stored)
        for chunk in _chunks(wanted, _CHUNK):
            rows = kind.model.objects.filter(fhir_id__in=chunk)
            if lock:
                rows = rows.select_for_update(no_key=True).order_by("pk")
            for row in rows.values(
                "pk", "fhir_id", "version_id", "last_updated", "resource", *kind.columns,
                *[f"{fk}_id" for fk in kind.fk_fields],
            ):
                self.stored[(kind.resource_type, row["fhir_id"])] = row
                self.pk_of[(kind.resource_type, row["fhir_id"])] = row["pk"]

    def _load_stored_many(self, wanted: dict[ResourceKind, set[str]], *, lock: bool = False) -> None:
        """``_load_stored`` for several types: one query finds which ids are stored at all.

        A bundle of new records then costs one query, not one per type.
        """
        wanted = {
            kind: {i for i in ids if (kind.resource_type, i) not in self.stored}
            for kind, ids in wanted.items()
        }
        wanted = {kind: ids for kind, ids in wanted.items() if ids}
        if len(wanted) > 1:
            present: dict[str, set[str]] = defaultdict(set)
            for part in _in_chunks(wanted):
                queries = [kind.model.objects.filter(fhir_id__in=ids).values_list(Value(kind.resource_type), "fhir_id")
                           for kind, ids in part.items()]
                for resource_type, fhir_id in queries[0].union(*queries[1:], all=True):
                    present[resource_type].add(fhir_id)
            wanted = {kind: present[kind.resource_type] for kind in wanted}
        for kind, ids in wanted.items():
            self._load_stored(kind, ids, lock=lock)

    def _match_keys(self) -> dict[str, set[str]]:
        """What each type's creates are matched on, for ``lock_match_keys``: type -> values.

        A conditional create is matched on its ``ifNoneExist`` identifier; an upsert on the
        ids and identifiers its resources carry; a PUT (which creates at a new id) on its id.
        """
        keys: dict[str, set[str]] = defaultdict(set)
        for op in self.ops:
            if op.method == "PUT" and op.fhir_id:
                keys[op.resource_type].add(f"id={op.fhir_id}")
            if op.method != "POST":
                continue
            if op.if_none_exist is not None:
                params = parse_qsl(op.if_none_exist.split("?", 1)[-1], keep_blank_values=True)
                keys[op.resource_type].update(
                    token.rpartition("|")[2] for name, token in params if name == "identifier"
                )
            if self.policy.upsert and op.resource is not None:
                if op.fhir_id:
                    keys[op.resource_type].add(f"id={op.fhir_id}")
                keys[op.resource_type].update(
                    value for system, value in op.kind.mapper.identifiers(op.resource) if system
                )
        return keys

    def _identifier_matches(self, by_type: dict[str, list[Operation]]) -> dict[tuple[str, str, str], str]:
        """Stored records that hold an identifier these resources carry: (type, system, value) -> id.

        Identifiers need not be unique: one that several stored records carry names none of them.
        """
        pairs: dict[str, set[tuple[str, str]]] = {}
        for resource_type, ops in by_type.items():
            kind = KINDS[resource_type]
            found = {
                (system, value)
                for op in ops if op.resource is not None and op.method == "POST"
                for system, value in kind.mapper.identifiers(op.resource) if system
            }
            if found:
                pairs[resource_type] = found
        carriers: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        for part in _in_chunks({t: {value for _, value in found} for t, found in pairs.items()}):
            queries = [
                KINDS[resource_type].model.objects.filter(identifiers__value__in=values).values_list(
                    Value(resource_type), "identifiers__system", "identifiers__value", "fhir_id",
                )
                for resource_type, values in part.items()
            ]
            for resource_type, system, value, fhir_id in queries[0].union(*queries[1:], all=True):
                if (system, value) in pairs[resource_type]:
                    carriers[(resource_type, system, value)].add(fhir_id)
        for key, ids in carriers.items():
            if len(ids) > 1:
                self.ambiguous.add(key)
        return {key: ids.pop() for key, ids in carriers.items() if len(ids) == 1}

    def _conditional_match(self, resource_type: str, query: str, label: str,
                           exclude: Operation | None = None) -> str | None:
        """The id of the one record a conditional (``Type?identifier=...``) query names.

        ``exclude``: the entry asking (an ``ifNoneExist`` must not find the entry itself).
        """
        params = parse_qsl(query.split("?", 1)[-1], keep_blank_values=True)
        if len(params) != 1 or params[0][0] not in ("identifier", "_id"):
            self._add(400, Issue(
                "not-supported", f"{label}conditional matching is supported on identifier or _id only"
            ))
            return None
        name, token = params[0]
        kind = KINDS[resource_type]
        # Entries of this unit count as well as stored records.
        candidates = set()
        for op in self.ops:
            if op is exclude or op.resource_type != resource_type or op.resource is None or not op.fhir_id:
                continue
            if name == "_id" and op.fhir_id == token:
                candidates.add(op.fhir_id)
            elif name == "identifier" and _token_matches(token, kind.mapper.identifiers(op.resource)):
                candidates.add(op.fhir_id)
        if name == "_id":
            candidates |= set(kind.model.objects.filter(fhir_id=token).values_list("fhir_id", flat=True))
        else:
            system, _, value = token.rpartition("|") if "|" in token else (None, "", token)
            qs = ResourceIdentifier.objects.filter(
                content_type=ContentType.objects.get_for_model(kind.model), value=value
            )
            if system is not None:
                qs = qs.filter(system=system)
            pks = list(qs.values_list("object_id", flat=True).distinct()[:2])
            candidates |= set(kind.model.objects.filter(pk__in=pks).values_list("fhir_id", flat=True))
        if len(candidates) > 1:
            self._add(412, Issue("multiple-matches", f"{label}{resource_type}?{query} matches more than one resource"))
            return None
        if candidates:
            found = candidates.pop()
            self._load_stored(kind, {found})
            return found
        return None

    def _rewrite_references(self) -> None:
        """Point bundle-local and conditional references at stored ids; note what is referenced."""
        conditional: dict[str, str | None] = {}
        for op in self.ops:
            if op.resource is None or op.result == "matched":
                continue
            for holder in _reference_holders(op.resource):
                reference = holder["reference"]
                if reference in self.full_urls:
                    holder["reference"] = reference = self.full_urls[reference]
                elif self.base_url and reference.startswith(self.base_url + "/"):
                    holder["reference"] = reference = reference[len(self.base_url) + 1:]
                elif reference.startswith("urn:uuid:") or reference.startswith("urn:oid:"):
                    self._problem(op, f"{reference} is not the fullUrl of any entry in the bundle")
                    continue
                elif "?" in reference:
                    target_type = reference.split("?", 1)[0]
                    if target_type not in KINDS:
                        continue
                    if reference not in conditional:
                        found = self._conditional_match(target_type, reference, op.label)
                        conditional[reference] = f"{target_type}/{found}" if found else None
                    if conditional[reference] is None:
                        self._problem(op, f"the conditional reference {reference} matches no resource")
                        continue
                    holder["reference"] = reference = conditional[reference]
                parts = reference.split("/")
                if len(parts) == 2 and parts[0] in KINDS:
                    self.referenced[parts[0]].add(parts[1])

    def _problem(self, op: Operation, message: str) -> None:
        if self.policy.strict:
            self._add(422, Issue("not-found", f"{op.label}{message}"))
        else:
            op.warnings.append(message)

    def _map(self) -> None:
        for op in self.ops:
            if op.resource is None or op.result == "matched":
                continue
            try:
                op.mapped = op.kind.mapper.parse(op.resource, strict=self.policy.strict)
            except MappingError as exc:
                for problem in exc.issues:
                    self._add(422, Issue("business-rule", f"{op.label}{problem}"))
                continue
            for problem in op.kind.column_problems(op.mapped, op.resource):
                self._add(422, Issue("too-long", f"{op.label}{problem}"))
            op.warnings.extend(op.mapped.warnings)

    def _check_references(self) -> None:
        """Every reference to a type we store must name a record that exists or is being written."""
        for op in self.ops:
            if op.mapped is None:
                continue
            for name, ref in op.kind.mapper.references.items():
                reference = op.mapped.references.get(name)
                if ref.required and reference and not _LOCAL_REFERENCE.match(reference):
                    self._add(422, Issue(
                        "not-found",
                        f"{op.label}{reference} is not a {' or '.join(ref.targets)} on this server: "
                        f"refer to it as {ref.targets[0]}/<id>",
                    ))
        in_unit = {(op.resource_type, op.fhir_id) for op in self.ops if op.method != "DELETE" and op.fhir_id}
        deleted = {(op.resource_type, op.fhir_id) for op in self.ops if op.method == "DELETE"}
        self._load_stored_many({
            KINDS[resource_type]: {i for i in ids if (resource_type, i) not in in_unit}
            for resource_type, ids in self.referenced.items()
        })
        missing = set()
        for resource_type, ids in self.referenced.items():
            for fhir_id in ids:
                key = (resource_type, fhir_id)
                if (key not in in_unit and key not in self.pk_of) or key in deleted:
                    missing.add(f"{resource_type}/{fhir_id}")
        if not missing:
            return
        for op in self.ops:
            if op.resource is None or op.result == "matched":
                continue
            for holder in _reference_holders(op.resource):
                if holder["reference"] in missing:
                    if self.policy.strict or self._is_fk(op, holder["reference"]):
                        self._add(422, Issue(
                            "not-found", f"{op.label}{op.resource_type} refers to {holder['reference']}, which is not known"
                        ))
                    else:
                        op.warnings.append(f"refers to {holder['reference']}, which is not known")

    @staticmethod
    def _is_fk(op: Operation, reference: str) -> bool:
        return op.mapped is not None and reference in op.mapped.references.values()

    def _delete(self) -> None:
        for op in self.ops:
            if op.method != "DELETE":
                continue
            kind = op.kind
            try:
                with transaction.atomic():
                    record = kind.model.objects.filter(fhir_id=op.fhir_id).first()
                    if record is None:
                        op.result = "gone"
                        continue
                    record.delete()  # its identifiers go with it
                    op.result = "deleted"
                    self.pk_of.pop((op.resource_type, op.fhir_id), None)
            except ProtectedError as exc:
                users = sorted({f"{o.resource_type}/{o.fhir_id}" for o in list(exc.protected_objects)[:5]})
                raise FhirError(409, Issue(
                    "conflict",
                    f"{op.label}{op.resource_type}/{op.fhir_id} is referred to by {', '.join(users)}; delete those first",
                ))

    def _write(self) -> None:
        writes = [op for op in self.ops if op.mapped is not None and op.method in ("POST", "PUT")]
        by_type: dict[str, list[Operation]] = defaultdict(list)
        for op in writes:
            by_type[op.resource_type].append(op)
        kinds = [KINDS[t] for t in SUPPORTED_TYPES if by_type.get(t)]
        # New records get their keys up front, in one query, so that references between them
        # resolve before any is written.
        new = {kind: [op for op in by_type[kind.resource_type] if (kind.resource_type, op.fhir_id) not in self.stored]
               for kind in kinds}
        reserved = reserve_pks({kind.model: len(ops) for kind, ops in new.items()})
        if reserved is not None:
            for kind, ops in new.items():
                for op, pk in zip(ops, reserved.get(kind.model, [])):
                    op.pk = self.pk_of[(kind.resource_type, op.fhir_id)] = pk
        rewritten = {}
        for kind in kinds:
            pks = None if reserved is None else reserved.get(kind.model, [])
            rewritten[kind] = self._write_type(kind, by_type[kind.resource_type], pks)
        self._write_identifiers(rewritten)
        self._write_search_index(rewritten)

    def _write_search_index(self, rewritten: dict[ResourceKind, list[Operation]]) -> None:
        """Index the records the unit created or updated, in bulk (``search_index``)."""
        write_search_index(
            (kind, op.pk, op.resource, op.result == "created") for kind, ops in rewritten.items() for op in ops
        )

    def _write_type(self, kind: ResourceKind, ops: list[Operation], pks: list[int] | None) -> list[Operation]:
        """Create and update the records of one type; returns the operations that changed a record.

        ``pks`` are the keys reserved for the new records, in order; None: the database assigns them.
        """
        to_create: list[tuple[Operation, dict[str, Any]]] = []
        to_update: list[tuple[Operation, FhirRecord]] = []
        changed_fields: set[str] = set()
        for op in ops:
            values = self._row_values(kind, op)
            stored = self.stored.get((kind.resource_type, op.fhir_id))
            if stored is None:
                values.update(fhir_id=op.fhir_id, version_id=1, last_updated=self.now)
                to_create.append((op, values))
                op.result = "created"
                continue
            op.pk = stored["pk"]
            differing = {name for name, value in values.items() if stored.get(name) != value}
            if not differing:
                op.result = "unchanged"
                continue
            record = kind.model(
                pk=stored["pk"], fhir_id=op.fhir_id, version_id=stored["version_id"] + 1,
                last_updated=self.now, **values,
            )
            changed_fields |= differing
            to_update.append((op, record))
            op.result = "updated"
        try:
            if to_create:
                created = insert_rows(kind.model, [values for _, values in to_create], pks=pks)
                for (op, _), pk in zip(to_create, created, strict=True):
                    op.pk = self.pk_of[(kind.resource_type, op.fhir_id)] = pk
            if to_update:
                fields = sorted(changed_fields | {"version_id", "last_updated"})
                kind.model.objects.bulk_update([r for _, r in to_update], fields, batch_size=200)
        except IntegrityError as exc:
            raise FhirError(409, Issue("conflict", f"{kind.resource_type}: {exc.__class__.__name__} while storing")) from exc
        for op, record in to_update:
            self.stored[(kind.resource_type, op.fhir_id)].update(
                version_id=record.version_id, last_updated=record.last_updated
            )
        return [op for op, _ in to_create] + [op for op, _ in to_update]

    def _row_values(self, kind: ResourceKind, op: Operation) -> dict[str, Any]:
        values = dict(op.mapped.columns)
        values["resource"] = stored_json(op.resource)
        references = op.mapped.references
        for name, target in kind.fk_fields.items():
            reference = references.get(name)
            values[f"{name}_id"] = self.pk_of.get(tuple(reference.split("/", 1))) if reference else None  # type: ignore[arg-type]
        return values

    def _write_identifiers(self, rewritten: dict[ResourceKind, list[Operation]]) -> None:
        """Replace the identifiers of every record the unit created or updated.

        Identifiers are not unique: FHIR lets several resources, or one resource twice, carry
        the same one. A record keeps each of its identifiers once.
        """
        rows: list[dict[str, Any]] = []
        for kind, ops in rewritten.items():
            if not ops:
                continue
            content_type = ContentType.objects.get_for_model(kind.model)
            updated_pks = [op.pk for op in ops if op.result == "updated"]
            for chunk in _chunks(updated_pks, _CHUNK):
                ResourceIdentifier.objects.filter(content_type=content_type, object_id__in=chunk).delete()
            for op in ops:
                carried = dict.fromkeys((system[:255], value[:255]) for system, value in op.mapped.identifiers)
                rows.extend({"content_type_id": content_type.pk, "object_id": op.pk, "system": system, "value": value}
                            for system, value in carried)
        insert_rows(ResourceIdentifier, rows)


def lock_match_keys(keys: dict[str, set[str]]) -> None:
    """Serialise the creates that match on the same keys (type -> identifier values or ids).

    Two conditional creates of one identifier must not both find nothing and both create, so
    each takes a PostgreSQL transaction-level advisory lock on its key before its match query,
    and the second then sees the first's record. A type with many keys (an EHR bundle) locks
    the whole type instead, so as not to fill the server's lock table; a few keys share the
    type's lock. SQLite runs one writing transaction at a time already (IMMEDIATE).
    """
    if connection.vendor != "postgresql" or not any(keys.values()):
        return
    locks: list[tuple[int, int, bool]] = []  # (level, key, exclusive): types first, each level sorted
    for resource_type, values in keys.items():
        if not values:
            continue
        whole_type = len(values) > _MAX_KEY_LOCKS
        locks.append((0, _lock_key("type", resource_type), whole_type))
        if not whole_type:
            locks.extend((1, _lock_key(resource_type, value), True) for value in values)
    locks = sorted(set(locks))
    with connection.cursor() as cursor:
        # OFFSET 0 keeps the sort below the locking calls: they run in key order.
        cursor.execute(
            "SELECT CASE WHEN x THEN pg_advisory_xact_lock(k)::text ELSE pg_advisory_xact_lock_shared(k)::text END"
            " FROM (SELECT l, k, x FROM unnest(%s::int[], %s::bigint[], %s::bool[]) AS t(l, k, x)"
            " ORDER BY l, k OFFSET 0) AS ordered",
            [[l for l, _, _ in locks], [k for _, k, _ in locks], [x for _, _, x in locks]],
        )
        cursor.fetchall()


def _lock_key(*parts: str) -> int:
    digest = hashlib.blake2b("\x1f".join(("pracops.match", *parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def stored_json(resource: dict) -> dict:
    """What is kept of a resource: everything but its id and the server-managed meta."""
    out = {k: v for k, v in resource.items() if k not in ("id", "meta", "resourceType")}
    meta = {k: v for k, v in (resource.get("meta") or {}).items() if k not in ("versionId", "lastUpdated")}
    if meta:
        out["meta"] = meta
    return out


def _reference_holders(node: Any) -> Iterator[dict]:
    """Every dict in a resource that holds a ``reference`` string."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("reference")
            if isinstance(ref, str):
                yield item
            for key, value in item.items():
                if key != "contained" and isinstance(value, (dict, list)):
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, (dict, list)))


def _token_matches(token: str, identifiers: list[tuple[str, str]]) -> bool:
    if "|" in token:
        system, _, value = token.rpartition("|")
        return (system, value) in identifiers if system else any(v == value for _, v in identifiers)
    return any(v == token for _, v in identifiers)


def _in_chunks(values: dict[Any, set[str]]) -> Iterator[dict[Any, list[str]]]:
    """Several keys' values, split so that no query gets more than _CHUNK of them in all."""
    part: dict[Any, list[str]] = defaultdict(list)
    size = 0
    for key, items in values.items():
        for item in sorted(items):
            part[key].append(item)
            size += 1
            if size == _CHUNK:
                yield part
                part, size = defaultdict(list), 0
    if size:
        yield part


def _chunks(items: list, size: int) -> Iterator[list]:
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def run_unit(operations: list[Operation], policy: WritePolicy | None = None, *,
             base_url: str = "") -> list[Operation]:
    """Run operations all-or-nothing in one database transaction."""
    with transaction.atomic():
        return UnitOfWork(operations, policy, base_url=base_url).run()
