"""Receive and read X12 files (999, 277CA, 277, 835) from the command line: one JSON summary a
file on stdout; exit status 1 when any file is missing, refused or rejected."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand

from billing.remittance.models import X12File
from billing.remittance.services import X12FileError, read_x12_file, receive_x12_file


class Command(BaseCommand):
    help = "Receive and post X12 999/277CA/277/835 files; prints a JSON summary per file."

    def add_arguments(self, parser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE")

    def handle(self, *args, **options) -> None:
        failed = False
        for name in options["files"]:
            path = Path(name)
            result = {"file": name, "kind": "", "status": "", "counts": {}, "error": ""}
            try:
                data = path.read_bytes()
                stored, _ = receive_x12_file(text=data, name=path.name, source="upload", agent="system:ingest_x12")
                stored = read_x12_file(file_id=stored.pk, agent="system:ingest_x12")
            except FileNotFoundError:
                result.update(status="missing", error="no such file")
            except IsADirectoryError:
                result.update(status="missing", error="a directory, not a file")
            except X12FileError as error:
                result.update(status="refused", error=str(error))
            else:
                counts = {k: v for k, v in stored.summary.items() if k not in ("kind", "rejected")}
                result.update(kind=stored.kind, status=stored.status, counts=counts, error=stored.error,
                              id=str(stored.public_id))
            if result["status"] != X12File.Status.POSTED:
                failed = True
                self.stderr.write(f"{name}: {result['status']}: {result['error']}")
            self.stdout.write(json.dumps(result, sort_keys=True))
        if failed:
            raise SystemExit(1)
