"""python manage.py import_fhir PATH [PATH ...]: import FHIR Bundles as an EHR sends them."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import orjson
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from pracops.fhir.outcome import FhirError
from pracops.records.services.imports import ImportSummary, import_bundle


class Command(BaseCommand):
    help = ("Import FHIR Bundles (files, or folders of *.json). Each bundle is all or nothing; "
            "importing again creates no duplicates. Prints a JSON summary.")

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Bundle files or folders")
        parser.add_argument("--progress", choices=["auto", "always", "never"], default="auto",
                            help="a progress bar on standard error (auto: when it is a terminal)")

    def handle(self, *args, paths: list[str], progress: str, **options):
        files = self._files(paths)
        started = time.perf_counter()
        summary = ImportSummary()
        failures = []
        show = progress == "always" or (progress == "auto" and sys.stderr.isatty())
        bar = tqdm(total=len(files), unit="bundle", disable=not show, file=sys.stderr)
        for path in files:
            try:
                bundle = orjson.loads(path.read_bytes())
                summary.add(import_bundle(bundle))
            except orjson.JSONDecodeError as exc:
                failures.append({"path": str(path), "error": f"not valid JSON: {exc.msg}"})
            except FhirError as exc:
                failures.append({"path": str(path), "status": exc.status,
                                 "issues": [i.diagnostics for i in exc.issues[:10]]})
            except OSError as exc:
                failures.append({"path": str(path), "error": exc.strerror or str(exc)})
            bar.update(1)
        bar.close()
        seconds = time.perf_counter() - started
        report = {
            "bundles": len(files) - len(failures),
            **summary.as_dict(),
            "stored": summary.stored,
            "seconds": round(seconds, 3),
            "resources_per_second": round(summary.stored / seconds, 1) if seconds else None,
        }
        if failures:
            report["failed"] = failures
        self.stdout.write(json.dumps(report, indent=2))
        if failures:
            raise CommandError(f"{len(failures)} of {len(files)} bundles were not imported")

    def _files(self, paths: list[str]) -> list[Path]:
        files = []
        for raw in paths:
            path = Path(raw)
            if path.is_dir():
                files.extend(sorted(path.glob("*.json")))
            elif path.exists():
                files.append(path)
            else:
                raise CommandError(f"{raw}: no such file or folder")
        if not files:
            raise CommandError("no bundles to import")
        return files
