"""python manage.py import_fhir PATH [PATH ...]: import FHIR Bundles as an EHR sends them."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from pracops.records.services.imports import import_files


class Command(BaseCommand):
    help = ("Import FHIR Bundles (files, or folders of *.json). Each bundle is all or nothing; "
            "importing again creates no duplicates. Prints a JSON summary.")

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Bundle files or folders")
        parser.add_argument("--progress", choices=["auto", "always", "never"], default="auto",
                            help="a progress bar on standard error (auto: when it is a terminal)")
        parser.add_argument("--no-pipeline", dest="pipeline", action="store_false",
                            help="read and validate every bundle in this process, not one ahead in a "
                                 "second process (slower; for debugging)")

    def handle(self, *args, paths: list[str], progress: str, pipeline: bool, **options):
        files = self._files(paths)
        started = time.perf_counter()
        show = progress == "always" or (progress == "auto" and sys.stderr.isatty())
        bar = tqdm(total=len(files), unit="bundle", disable=not show, file=sys.stderr)
        try:
            result = import_files(files, system="import_fhir", pipeline=pipeline,
                                  on_bundle=lambda: bar.update(1))
        finally:
            bar.close()
        seconds = time.perf_counter() - started
        summary = result.summary
        report = {
            "bundles": result.bundles,
            **summary.as_dict(),
            "stored": summary.stored,
            "seconds": round(seconds, 3),
            "resources_per_second": round(summary.stored / seconds, 1) if seconds else None,
        }
        if result.failures:
            report["failed"] = [failure.as_dict() for failure in result.failures]
        self.stdout.write(json.dumps(report, indent=2))
        if result.failures:
            raise CommandError(f"{len(result.failures)} of {len(files)} bundles were not imported")

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
