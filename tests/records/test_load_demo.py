"""``manage.py load_demo``: the demo practice, loaded once however often it is run, and logins that work."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from knox.models import AuthToken

from priorauth.models import PriorAuthorization, StatusChange
from pracops.records import models
from pracops.records.registry import KINDS

pytestmark = pytest.mark.django_db

# The demo sends two requests to the sandbox payer when it is installed and on.
SANDBOX = getattr(settings, "SANDBOX_PAYER_ENABLED", False)
SENT = 2 if SANDBOX else 0
# With the sandbox clearinghouse, the demo bills a procedure day (billing.demo): four procedures,
# each in an encounter of its own.
BILLED = 4 if settings.SANDBOX_CLEARINGHOUSE_ENABLED else 0

LOGIN = re.compile(r"user (?P<username>\S+)\s+password (?P<password>\S+)")
TOKEN = re.compile(r"API token \(role integration\): (?P<token>\S+)")
BILLING_TOKEN = re.compile(r"Billing API token \(role billing\): (?P<token>\S+)")


def load_demo(*args: str) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def logins(output: str) -> dict[str, str]:
    return {m["username"]: m["password"] for m in LOGIN.finditer(output)}


def everything_stored() -> dict[str, list[tuple]]:
    """Every record of the practice with its version, and every identifier."""
    stored = {name: sorted(kind.model.objects.values_list("fhir_id", "version_id"))
              for name, kind in KINDS.items()}
    stored["identifiers"] = sorted(models.ResourceIdentifier.objects.values_list("system", "value", "object_id"))
    return stored


def test_load_demo_stores_the_demo_practice():
    output = load_demo("--quiet-logins")

    assert "Demo practice: 32 records (32 new)." in output
    counts = {name: kind.model.objects.count() for name, kind in KINDS.items()}
    assert counts == {
        "Organization": 3, "Practitioner": 1, "Patient": 4, "Coverage": 4, "Encounter": 4 + BILLED, "Condition": 4,
        "Procedure": BILLED, "ServiceRequest": 4,
        # The notes' pain and function scores, read from the notes (documentation.observations).
        "Observation": 10,
        # Four notes and the four orders' prior authorization packets.
        "DocumentReference": 8,
        # The two requests sent to the sandbox payer: the Claim / ClaimResponse pair of each.
        "Claim": SENT, "ClaimResponse": SENT,
        # No claim of the records' demo has been billed and paid (billing.fhir writes these).
        "ExplanationOfBenefit": 0,
    }
    alvarez = models.Patient.objects.get(mrn="RIP-1000")
    assert (alvarez.family, alvarez.given, str(alvarez.birth_date)) == ("Alvarez", "Maria", "1961-04-12")
    order = models.ServiceRequest.objects.get(patient=alvarez)
    assert (order.code, order.laterality, order.spinal_levels) == ("64483", "left", ["L4-L5"])
    assert order.requester.npi == "1234567893"
    note = models.DocumentReference.objects.get(patient=alvarez, code="11488-4")  # the note, not its packet
    assert note.text.startswith("Low back pain radiating to the left leg")
    assert models.Organization.objects.get(kind="prov").npi == "1245319599"


@pytest.mark.skipif(not SANDBOX, reason="needs the sandbox payer (sandbox.payer) to send to")
def test_the_four_demo_orders_are_prior_authorizations_in_the_states_their_notes_and_the_payer_give():
    load_demo("--quiet-logins")

    statuses = dict(PriorAuthorization.objects.values_list("cpt", "status"))
    assert statuses == {"64483": "ready", "63650": "needs_documentation", "27096": "pended", "64493": "approved"}
    for authorization in PriorAuthorization.objects.all():
        assert authorization.packet.resource["content"][0]["attachment"]["contentType"] == "application/pdf"
    approved = PriorAuthorization.objects.get(cpt="64493")
    assert approved.auth_number and approved.valid_until and approved.approved_units == 1
    pended = PriorAuthorization.objects.get(cpt="27096")
    assert pended.payer_reference and pended.decision_due_at and not pended.overdue
    missing = [c["missing"] for c in PriorAuthorization.objects.get(cpt="63650").evaluation["criteria"]
               if c["status"] == "insufficient_documentation"]
    assert len(missing) == 2


def test_load_demo_twice_creates_nothing_new():
    load_demo("--quiet-logins")
    first = everything_stored()
    requests = sorted(PriorAuthorization.objects.values_list("cpt", "status", "packet_id"))
    changes = StatusChange.objects.count()

    output = load_demo("--quiet-logins")

    assert "Demo practice: 32 records (0 new)." in output
    assert everything_stored() == first  # not one record added or given a new version
    assert sorted(PriorAuthorization.objects.values_list("cpt", "status", "packet_id")) == requests
    assert StatusChange.objects.count() == changes


def test_load_demo_with_logins_twice_keeps_one_admin_one_front_office_and_one_billing_user():
    load_demo()
    load_demo()

    assert sorted(User.objects.filter(username__in=["admin", "frontdesk", "biller"])
                  .values_list("username", flat=True)) == ["admin", "biller", "frontdesk"]


def test_the_admin_login_it_prints_signs_in_to_the_admin():
    printed = logins(load_demo())
    client = Client()

    assert client.login(username="admin", password=printed["admin"])
    assert client.get("/admin/records/patient/").status_code == 200


def test_the_front_office_login_it_prints_signs_in_as_front_office_staff():
    printed = logins(load_demo())
    client = Client()

    assert client.login(username="frontdesk", password=printed["frontdesk"])
    assert client.get("/admin/records/patient/").status_code == 200
    assert client.get("/admin/audit/auditevent/").status_code == 403


def test_running_it_again_resets_the_logins():
    before = logins(load_demo())
    after = logins(load_demo())

    assert before["admin"] != after["admin"]
    assert not Client().login(username="admin", password=before["admin"])
    assert Client().login(username="admin", password=after["admin"])


def test_the_api_token_it_prints_reads_the_demo_patients():
    token = TOKEN.search(load_demo())["token"]

    response = Client().get("/fhir/Patient", {"name": "alvarez"}, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    assert [e["resource"]["name"][0]["family"] for e in response.json()["entry"]] == ["Alvarez"]


def test_the_billing_login_and_token_it_prints_work_the_claims():
    output = load_demo()
    client = Client()

    assert client.login(username="biller", password=logins(output)["biller"])
    assert client.get("/admin/billing/claim/").status_code == 200
    token = BILLING_TOKEN.search(output)["token"]
    response = Client().get("/api/claims/", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert Client().get("/fhir/Patient", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_quiet_logins_creates_and_prints_no_login():
    output = load_demo("--quiet-logins")

    assert logins(output) == {}
    assert "password" not in output
    assert not User.objects.filter(username__in=["admin", "frontdesk"]).exists()


def test_running_it_again_revokes_the_token_it_printed_before():
    first = TOKEN.search(load_demo())["token"]
    second = TOKEN.search(load_demo())["token"]

    def status(token: str) -> int:
        return Client().get("/fhir/Patient", headers={"Authorization": f"Bearer {token}"}).status_code

    assert (status(first), status(second)) == (401, 200)
    assert AuthToken.objects.filter(user__username="demo-ehr").count() == 1
