"""manage.py sandbox_clearinghouse_rules: rules from a file, settings or the demo's, all or none; and
the rules in the admin."""

import json

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from sandbox.clearinghouse.models import ClearinghouseRule
from sandbox.clearinghouse.rules import DEMO_RULES

RULES = [
    {"name": "deny RFA", "action": "deny", "code": "64635", "reason_code": "50", "remark_codes": ["N115"]},
    {"name": "visits", "code": "99213", "fee": 92, "copay": "30.00"},
]


def test_rules_load_from_a_file_and_replace_the_others(db, tmp_path, capsys):
    call_command("sandbox_clearinghouse_rules")
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(RULES))

    call_command("sandbox_clearinghouse_rules", "--file", str(path), "--replace")

    assert sorted(ClearinghouseRule.objects.values_list("name", "action", "remark_codes")) == [
        ("deny RFA", "deny", "N115"), ("visits", "pay", "")]
    assert "2 rule(s) loaded (others removed)" in capsys.readouterr().out
    call_command("sandbox_clearinghouse_rules", "--list")
    assert "deny RFA" in capsys.readouterr().out


def test_without_a_file_settings_decide_and_else_the_demo_rules(db, settings):
    call_command("sandbox_clearinghouse_rules")
    assert ClearinghouseRule.objects.count() == len(DEMO_RULES)

    settings.SANDBOX_CLEARINGHOUSE_RULES = RULES[:1]
    call_command("sandbox_clearinghouse_rules", "--replace")
    assert list(ClearinghouseRule.objects.values_list("name", flat=True)) == ["deny RFA"]


@pytest.mark.parametrize("rules, message", [
    ([{"name": "x", "action": "maybe"}], "rule 0 (x): action: 'maybe' is not one of pay, deny, reject"),
    ([RULES[0], {"name": "y", "action": "deny"}], "rule 1 (y): reason_code: a denial needs"),
    ([{"name": "z", "colour": "red"}], "rule 0 (z): unknown field(s) colour"),
    ({"name": "not a list"}, "expected a list of rules"),
])
def test_a_bad_rule_changes_nothing(db, tmp_path, rules, message):
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules))

    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("sandbox_clearinghouse_rules", "--file", str(path))

    assert not ClearinghouseRule.objects.exists()


def test_the_admin_lists_the_clearinghouse_and_refuses_a_broken_rule(db, client):
    admin = User.objects.create_superuser("chadmin", "chadmin@example.org", "pw-chadmin-1")
    client.force_login(admin)
    call_command("sandbox_clearinghouse_rules")

    for model in ("clearinghouserule", "submission", "clearinghouseclaim", "responsefile", "clearinghousefault"):
        assert client.get(f"/admin/sandbox_clearinghouse/{model}/").status_code == 200

    response = client.post("/admin/sandbox_clearinghouse/clearinghouserule/add/", {
        "name": "broken", "active": "on", "priority": "5", "action": "deny", "copay": "0", "deductible": "0",
        "coinsurance_percent": "0"})
    assert response.status_code == 200 and "a denial needs its claim adjustment reason code" in response.content.decode()
    assert not ClearinghouseRule.objects.filter(name="broken").exists()
