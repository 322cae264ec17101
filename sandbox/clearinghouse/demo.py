"""The sandbox clearinghouse's part of `manage.py load_demo` (settings.DEMO_STEPS)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

from sandbox.clearinghouse import rules, services


def load_rules(*, base_url: str, say: Callable[[str], None] = lambda line: None) -> list[str]:
    """The payer rules that make the demo's remittances worth reading (settings, else the demo's
    own), loaded again on every run; their names."""
    entries = settings.SANDBOX_CLEARINGHOUSE_RULES
    loaded = services.load_rules(rules.DEMO_RULES if entries is None else entries)
    say(f"Sandbox clearinghouse: {len(loaded)} payer rules at {base_url.rstrip('/')}/sandbox/clearinghouse/")
    return [rule.name for rule in loaded]
