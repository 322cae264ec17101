"""python manage.py extract_facts PATH [PATH ...]: one JSON line of ClinicalFacts per note."""

from __future__ import annotations

import datetime
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from documentation.nlp.extract import extract_facts


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--date must be YYYY-MM-DD, not {value!r}") from error


class Command(BaseCommand):
    help = "Extract ClinicalFacts from notes; prints {\"source\": PATH, \"facts\": ...} per note. '-' reads stdin."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--date", type=_date, default=None,
                            help="note date (YYYY-MM-DD) for notes that state none")

    def handle(self, *args, paths: list[str], date: datetime.date | None, **options):
        missing = []
        for path in paths:
            try:
                raw = sys.stdin.buffer.read() if path == "-" else open(path, "rb").read()
            except OSError as error:
                self.stderr.write(f"{path}: cannot read: {error.strerror or error}")
                missing.append(path)
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("utf-8", errors="replace")
                self.stderr.write(f"{path}: not valid UTF-8; undecodable bytes were replaced")
            facts = extract_facts(text, note_date=date)
            self.stdout.write(json.dumps({"source": path, "facts": facts}, ensure_ascii=False))
        if missing:
            raise CommandError(f"{len(missing)} of {len(paths)} notes could not be read: {', '.join(missing)}")
