"""manage.py sandbox_payer_rules: rules from a file or settings, all or none."""

import json

import pytest
from django.core.management import CommandError, call_command

from sandbox.payer.models import SandboxRule

RULES = [
    {"name": "deny RFA", "action": "deny", "code": "64635", "reason_code": "0U", "reason_text": "No MBB"},
    {"name": "pend SCS", "action": "pend", "code": "63650", "pend_seconds": 120, "then": "approve"},
]


def test_rules_load_from_a_file_and_replace_the_others(db, tmp_path, capsys):
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(RULES))

    call_command("sandbox_payer_rules", "--file", str(path), "--replace")

    assert sorted(SandboxRule.objects.values_list("name", "action", "code")) == [
        ("deny RFA", "deny", "64635"), ("pend SCS", "pend", "63650")]
    assert "2 rule(s) loaded" in capsys.readouterr().out
    call_command("sandbox_payer_rules", "--list")
    assert "deny RFA" in capsys.readouterr().out


def test_rules_load_from_settings_beside_the_default(db, settings):
    settings.SANDBOX_PAYER_RULES = RULES[:1]

    call_command("sandbox_payer_rules")

    assert set(SandboxRule.objects.values_list("name", flat=True)) == {"approve everything", "deny RFA"}


@pytest.mark.parametrize("rules, message", [
    ([{"name": "x", "action": "maybe"}], "rule 0 (x): action: 'maybe' is not one of approve, deny, pend"),
    ([RULES[0], {"name": "y", "action": "deny"}], "rule 1 (y): reason_code: a denial needs"),
    ([{"name": "z", "action": "approve", "colour": "red"}], "rule 0: unknown field(s) colour"),
    ([{"action": "approve"}], "rule 0: name is required"),
])
def test_a_bad_rule_names_its_position_and_field_and_changes_nothing(db, tmp_path, rules, message):
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules))

    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("sandbox_payer_rules", "--file", str(path), "--replace")

    assert list(SandboxRule.objects.values_list("name", flat=True)) == ["approve everything"]


def test_a_file_that_is_not_json_is_an_error(db, tmp_path):
    path = tmp_path / "rules.json"
    path.write_text("- name: x")

    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("sandbox_payer_rules", "--file", str(path))
