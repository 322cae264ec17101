"""Importing Bundles as an EHR sends them (``import_fhir``).

An EHR feed is an upsert: resources keep the EHR's ids, a resource already stored (by id or
by identifier) is updated, or left alone when nothing changed, so importing the same
bundle twice stores nothing twice. Types PracOps does not store, or does not take from the EHR
(not "exchanged": a prior authorization's Claim/ClaimResponse are PracOps' own), are counted
and skipped.

Importing files runs in two steps: ``prepare_bundle_file`` reads, parses and validates a
file without the database, and ``import_prepared`` writes it in one transaction.
``import_files`` overlaps the two, preparing the next file in a child process while this
process writes the current one.
"""

from __future__ import annotations

import gc
import multiprocessing
import signal
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Callable, Iterator

import orjson
from django.db import DataError, connections, transaction

from pracops.audit.services import record_many
from pracops.fhir import jsontext
from pracops.fhir.outcome import FhirError, Issue
from pracops.records.registry import KINDS
from pracops.records.services.history import patient_of_operation
from pracops.records.services.writes import Operation, UnitOfWork, WritePolicy, check_operations
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


@dataclass
class ImportFailure:
    """A bundle file that was not imported, and why; nothing of it was stored."""

    path: str
    error: str = ""  # the file could not be read or parsed
    status: int | None = None  # the bundle was refused, with these issues
    issues: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        if self.status is None:
            return {"path": self.path, "error": self.error}
        return {"path": self.path, "status": self.status, "issues": self.issues}

    @classmethod
    def refused(cls, path: str, exc: FhirError) -> "ImportFailure":
        return cls(path, status=exc.status, issues=[i.diagnostics for i in exc.issues[:10]])


@dataclass
class PreparedBundle:
    """A bundle file read and checked without the database, ready to be written."""

    path: str
    operations: list[Operation] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    failure: ImportFailure | None = None


@dataclass
class FilesImport:
    """What ``import_files`` did: the totals of the bundles imported and the files that failed."""

    bundles: int = 0
    summary: ImportSummary = field(default_factory=ImportSummary)
    failures: list[ImportFailure] = field(default_factory=list)


def bundle_operations(bundle: dict) -> tuple[list[Operation], Counter]:
    """The operations of the types the EHR sends us in a Bundle, and a count of the skipped types."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise FhirError(400, Issue("invalid", "not a FHIR Bundle"))
    ops, skipped = [], Counter()
    for index, entry in enumerate(bundle.get("entry") or []):
        resource = (entry or {}).get("resource")
        if not isinstance(resource, dict):
            continue
        resource_type = resource.get("resourceType", "")
        if resource_type not in KINDS or "exchanged" not in KINDS[resource_type].groups:
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


def prepare_bundle_file(path: str | Path) -> PreparedBundle:
    """Read, parse and validate one bundle file. Pure: no database, so any process may run it."""
    path = str(path)
    try:
        ops, skipped = bundle_operations(jsontext.loads(Path(path).read_bytes()))
    except orjson.JSONDecodeError as exc:
        return PreparedBundle(path, failure=ImportFailure(path, error=f"not valid JSON: {exc.msg}"))
    except OSError as exc:
        return PreparedBundle(path, failure=ImportFailure(path, error=exc.strerror or str(exc)))
    except FhirError as exc:
        return PreparedBundle(path, failure=ImportFailure.refused(path, exc))
    check_operations(ops)
    return PreparedBundle(path, ops, skipped)


def import_bundle(bundle: dict, *, user=None, source: str = "command", system: str = "") -> ImportSummary:
    """Import one Bundle all or nothing, and audit every record it wrote.

    ``system``: the command or task importing, the audit trail's agent when there is no ``user``.
    """
    ops, skipped = bundle_operations(bundle)
    return _import_operations(ops, skipped, user=user, source=source, system=system)


def import_prepared(prepared: PreparedBundle, *, user=None, source: str = "command",
                    system: str = "") -> ImportSummary:
    """Write a bundle prepared by ``prepare_bundle_file``: all or nothing, every write audited."""
    return _import_operations(prepared.operations, prepared.skipped, user=user, source=source, system=system)


def import_files(
    paths: list[Path], *, user=None, source: str = "command", system: str = "", pipeline: bool = True,
    on_bundle: Callable[[], None] | None = None,
) -> FilesImport:
    """Import bundle files one transaction each; a file that fails is reported, the rest go on.

    With ``pipeline`` a child process prepares the next file while this one is written.
    """
    result = FilesImport()
    with _Preparer(paths, in_child=pipeline) as prepared_files:
        for prepared in prepared_files:
            failure = prepared.failure
            if failure is None:
                try:
                    result.summary.add(import_prepared(prepared, user=user, source=source, system=system))
                except FhirError as exc:
                    failure = ImportFailure.refused(prepared.path, exc)
                except DataError as exc:  # e.g. a code longer than its column: the bundle is rolled back
                    failure = ImportFailure(prepared.path, error=f"a value does not fit the database: {_first_line(exc)}")
            if failure is None:
                result.bundles += 1
            else:
                result.failures.append(failure)
            if on_bundle is not None:
                on_bundle()
    return result


def _import_operations(ops: list[Operation], skipped: Counter, *, user, source: str, system: str) -> ImportSummary:
    summary = ImportSummary(skipped=skipped)
    # The records and their audit trail are one transaction: neither is kept without the other.
    with transaction.atomic():
        if ops:
            UnitOfWork(ops, IMPORT_POLICY).run()
        events = []
        for op in ops:
            if op.result in ("created", "updated", "unchanged"):
                getattr(summary, op.result)[op.resource_type] += 1
            for warning in op.warnings:
                summary.warnings[op.resource_type][_warning_kind(warning)] += 1
            if op.result in ("created", "updated"):
                events.append(dict(
                    action="C" if op.result == "created" else "U", resource_type=op.resource_type,
                    resource_id=op.fhir_id, patient_id=patient_of_operation(op),
                ))
        if events:
            record_many(events, user=user, source=source, system=system)
    return summary


class _Preparer:
    """The prepared bundles of a list of files, in order; prepared one ahead in a child process.

    The child is forked, so it starts at once with everything imported; it never touches the
    database (preparing is pure) and leaves with ``os._exit``, so the parent's connection is
    not disturbed. If the child dies, the files it did not send are prepared here instead.
    """

    def __init__(self, paths: list[Path], *, in_child: bool):
        self.paths = paths
        self.in_child = (
            in_child and len(paths) > 1 and "fork" in multiprocessing.get_all_start_methods()
        )
        self.child: multiprocessing.Process | None = None
        self.receiver: Connection | None = None

    def __enter__(self) -> Iterator[PreparedBundle]:
        if not self.in_child:
            return map(prepare_bundle_file, self.paths)
        if not any(c.in_atomic_block for c in connections.all(initialized_only=True)):
            connections.close_all()  # reopened on first use; the child gets no open socket
        context = multiprocessing.get_context("fork")
        self.receiver, sender = context.Pipe(duplex=False)
        self.child = context.Process(
            target=_prepare_into, args=(self.paths, sender), name="import_fhir prepare", daemon=True
        )
        self.child.start()
        sender.close()
        return self._received()

    def _received(self) -> Iterator[PreparedBundle]:
        for path in self.paths:
            try:
                yield self.receiver.recv()
            except EOFError:
                yield prepare_bundle_file(path)

    def __exit__(self, *exc_info) -> None:
        if self.child is None:
            return
        self.receiver.close()
        if self.child.is_alive():
            self.child.terminate()  # the parent stopped early: nothing more is needed
        self.child.join()


def _prepare_into(paths: list[Path], sender: Connection) -> None:
    """The child's work: prepare each file and send it (waiting while the parent writes)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    # What the child inherited lives as long as it does: keep it out of every garbage collection
    # (parsing a bundle makes hundreds of thousands of objects, and so many collections).
    gc.freeze()
    for path in paths:
        sender.send(prepare_bundle_file(path))
    sender.close()


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]


def _warning_kind(warning: str) -> str:
    if "NPI" in warning:
        return "invalid NPI"
    if "not known" in warning:
        return "unresolved reference"
    if "fullUrl" in warning:
        return "unresolved bundle reference"
    return warning[:80]


__all__ = [
    "FilesImport", "ImportFailure", "ImportSummary", "PreparedBundle", "bundle_operations",
    "import_bundle", "import_files", "import_prepared", "patient_of", "prepare_bundle_file",
]
