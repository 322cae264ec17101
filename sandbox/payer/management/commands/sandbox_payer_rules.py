"""``manage.py sandbox_payer_rules [--file rules.json] [--replace] [--list]``

Loads the sandbox payer's decision rules from a file (a list of rules, each a mapping of
name, action, code, member_id, priority, approved_units, period_days, reason_code,
reason_text, pend_seconds, then), or from settings.SANDBOX_PAYER_RULES when no file is given.
All or none: a bad rule names its position and field and nothing is changed.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sandbox.payer import services
from sandbox.payer.decisions import RuleError
from sandbox.payer.models import SandboxRule


class Command(BaseCommand):
    help = "Load (or list) the sandbox payer's decision rules."

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, help="a JSON list of rules (default: settings)")
        parser.add_argument("--replace", action="store_true", help="remove the rules not in the file")
        parser.add_argument("--list", action="store_true", help="print the rules in force and change nothing")

    def handle(self, *args, file: Path | None = None, replace: bool = False, **options):
        if options["list"]:
            for rule in SandboxRule.objects.all():
                self.stdout.write(f"{rule.priority:>6}  {'on ' if rule.active else 'off'}  {rule.action:<8}"
                                  f"{rule.code or '*':<8}{rule.member_id or '*':<14}{rule.name}")
            return
        entries = self._read(file) if file else settings.SANDBOX_PAYER_RULES
        if not isinstance(entries, (tuple, list)):
            raise CommandError(f"{file or 'SANDBOX_PAYER_RULES'}: expected a list of rules")
        try:
            loaded = services.load_rules(entries, replace=replace)
        except RuleError as exc:
            raise CommandError(f"{file or 'SANDBOX_PAYER_RULES'}: {exc}") from None
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
