"""``manage.py sandbox_clearinghouse_rules [--file rules.json] [--replace] [--list]``

Loads the sandbox clearinghouse's payer rules from a file (a JSON list of rules, each a mapping
of the fields of sandbox.clearinghouse.rules.Rule), or from settings.SANDBOX_CLEARINGHOUSE_RULES
when no file is given (None there: the demo's rules, rules.DEMO_RULES). All or none: a bad rule
names its position and field and nothing is changed.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sandbox.clearinghouse import rules, services
from sandbox.clearinghouse.models import ClearinghouseRule


class Command(BaseCommand):
    help = "Load (or list) the sandbox clearinghouse's payer rules."

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, help="a JSON list of rules (default: settings, else the demo's)")
        parser.add_argument("--replace", action="store_true", help="remove the rules not loaded")
        parser.add_argument("--list", action="store_true", help="print the rules in force and change nothing")

    def handle(self, *args, file: Path | None = None, replace: bool = False, **options):
        if options["list"]:
            for rule in ClearinghouseRule.objects.all():
                self.stdout.write(f"{rule.priority:>6}  {'on ' if rule.active else 'off'}  {rule.action:<7}"
                                  f"{rule.code or '*':<7}{rule.payer_id or '*':<12}{rule.name}")
            return
        source = str(file) if file else "SANDBOX_CLEARINGHOUSE_RULES"
        entries = self._read(file) if file else settings.SANDBOX_CLEARINGHOUSE_RULES
        if entries is None:
            entries, source = rules.DEMO_RULES, "the demo rules"
        if not isinstance(entries, (tuple, list)):
            raise CommandError(f"{source}: expected a list of rules")
        try:
            loaded = services.load_rules(entries, replace=replace)
        except rules.RuleError as exc:
            raise CommandError(f"{source}: {exc}") from None
        self.stdout.write(f"{len(loaded)} rule(s) loaded{' (others removed)' if replace else ''}")

    def _read(self, file: Path):
        try:
            text = file.read_text()
        except OSError as exc:
            raise CommandError(f"{file}: cannot be read ({exc.strerror})") from None
        try:
            return json.loads(text)
        except ValueError as exc:
            raise CommandError(f"{file}: not valid JSON ({exc})") from None
