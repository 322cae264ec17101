"""The sandbox clearinghouse is on by default and off under production settings (not mounted, not scheduled)."""

import pytest
from django.conf import settings

from tests.test_settings import PRODUCTION, django_with

PROBE = """
from django.conf import settings
from django.urls import Resolver404, resolve
try:
    resolve("/sandbox/clearinghouse/submissions")
    print("mounted")
except Resolver404:
    print("not mounted")
print("scheduled" if "sandbox-clearinghouse-remit-due-claims" in settings.CELERY_BEAT_SCHEDULE else "not scheduled")
"""


def test_on_in_the_embedded_default_and_the_tests(client, db):
    assert settings.SANDBOX_CLEARINGHOUSE_ENABLED
    assert client.get("/sandbox/clearinghouse/").json()["name"] == "PracOps sandbox clearinghouse"
    assert settings.CELERY_BEAT_SCHEDULE["sandbox-clearinghouse-remit-due-claims"]["task"] == (
        "sandbox.clearinghouse.tasks.remit_due_claims")


@pytest.mark.parametrize("env, expected", [
    (PRODUCTION, ["not mounted", "not scheduled"]),
    ({**PRODUCTION, "PRACOPS_SANDBOX_CLEARINGHOUSE": "true"}, ["mounted", "scheduled"]),
    ({"PRACOPS_ENV": "development"}, ["mounted", "scheduled"]),
    ({"PRACOPS_ENV": "development", "PRACOPS_SANDBOX_CLEARINGHOUSE": "false"}, ["not mounted", "not scheduled"]),
])
def test_production_leaves_the_sandbox_clearinghouse_out_unless_asked(env, expected):
    result = django_with(env, PROBE)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == expected


def test_submitters_come_from_the_environment():
    result = django_with({"PRACOPS_SANDBOX_CLEARINGHOUSE_SUBMITTERS": "ACME=s3cret,BILLCO=other"},
                         "from django.conf import settings; print(sorted(settings.SANDBOX_CLEARINGHOUSE_SUBMITTERS))")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['ACME', 'BILLCO']"
