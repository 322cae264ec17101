"""The sandbox payer is on by default and off under production settings (its URLs not mounted)."""

import pytest
from django.conf import settings

from tests.test_settings import PRODUCTION, django_with

PROBE = """
from django.conf import settings
from django.urls import Resolver404, resolve
try:
    resolve("/sandbox/payer/fhir/Claim/$submit")
    print("mounted")
except Resolver404:
    print("not mounted")
print("scheduled" if "sandbox-payer-decide-due-claims" in settings.CELERY_BEAT_SCHEDULE else "not scheduled")
"""


def test_on_in_the_embedded_default_and_the_tests(client, db):
    assert settings.SANDBOX_PAYER_ENABLED
    assert client.get("/sandbox/payer/fhir/metadata").json()["resourceType"] == "CapabilityStatement"
    assert settings.CELERY_BEAT_SCHEDULE["sandbox-payer-decide-due-claims"]["task"] == (
        "sandbox.payer.tasks.decide_due_claims")


@pytest.mark.parametrize("env, expected", [
    (PRODUCTION, ["not mounted", "not scheduled"]),
    ({**PRODUCTION, "PRACOPS_SANDBOX_PAYER": "true"}, ["mounted", "scheduled"]),
    ({"PRACOPS_ENV": "development"}, ["mounted", "scheduled"]),
    ({"PRACOPS_ENV": "development", "PRACOPS_SANDBOX_PAYER": "false"}, ["not mounted", "not scheduled"]),
])
def test_production_leaves_the_sandbox_payer_out_unless_asked(env, expected):
    result = django_with(env, PROBE)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == expected
