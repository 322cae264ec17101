"""python manage.py export_837p --out DIR [--claim ID ... | --all]: 837P files for a portal upload.

By default every scrubbed claim (not yet sent); ``--claim`` the claims named (each must have
passed the scrubber); ``--all`` every claim that has passed the scrubber, sent or not. One file
per clearinghouse and billing provider, validated by pyx12. Export never sends a file and never
changes a claim's state (sending is billing.submission's tasks' work): it only allocates
interchange control numbers, so an exported file never shares one with a sent file.
Prints a JSON summary; a bad id, a claim not scrubbed or an unwritable DIR: a message on stderr
and a non-zero exit, with no file written for the claims asked.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from billing.submission.services import SubmissionError, export_claims


class Command(BaseCommand):
    help = "Write 837P files for claims that have passed the scrubber (never sends, never changes a claim)."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, metavar="DIR", help="an existing directory to write the files into")
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--claim", type=int, nargs="+", action="extend", metavar="ID", help="claim ids")
        which.add_argument("--all", action="store_true", help="every claim past the scrubber, sent or not")

    def handle(self, *args, out: str, claim: list[int] | None, all: bool, **options):
        try:
            written = export_claims(out_dir=out, claim_ids=claim, include_sent=all)
        except SubmissionError as error:
            raise CommandError(str(error)) from error
        except OSError as error:
            raise CommandError(f"cannot write into {out}: {error.strerror or type(error).__name__}") from error
        summary = {
            "files": [{"path": e.path, "interchange_control": e.interchange_control, "clearinghouse": e.clearinghouse,
                       "claims": list(e.claim_ids)} for e in written],
            "claims": sum(len(e.claim_ids) for e in written),
        }
        self.stdout.write(json.dumps(summary))
