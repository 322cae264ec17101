"""Billing in the admin: the billing role edits fee schedules with their prices and reads claims
(lines, scrub findings, history) without changing them; others do not see billing's tables."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User

from billing import services
from billing.models import Claim, ClaimEdit, FeeSchedule
from pracops.access.roles import ensure_roles
from pracops.audit.models import AuditEvent
from tests.billing.factories import practice, price_list, visit

pytestmark = pytest.mark.django_db

FEE_SCHEDULES = "/admin/billing/feeschedule/"
CLAIMS = "/admin/billing/claim/"


def sign_in(client, role: str) -> User:
    ensure_roles()
    user = User.objects.create_user(f"{role}-{User.objects.count()}", password="pw-long-enough", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


def test_billing_adds_a_fee_schedule_with_its_prices(client):
    case = practice()
    sign_in(client, "billing")
    response = client.post(f"{FEE_SCHEDULES}add/", {
        "payer": case.payer.pk, "name": "Acme 2027", "effective_from": "2027-01-01", "effective_until": "",
        "entries-TOTAL_FORMS": "2", "entries-INITIAL_FORMS": "0", "entries-MIN_NUM_FORMS": "0",
        "entries-MAX_NUM_FORMS": "1000",
        "entries-0-procedure_code": "64483", "entries-0-modifier": "", "entries-0-amount": "760.00",
        "entries-1-procedure_code": "64493", "entries-1-modifier": "50", "entries-1-amount": "1100.00",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    schedule = FeeSchedule.objects.get(name="Acme 2027")
    assert schedule.payer == case.payer
    assert sorted(schedule.entries.values_list("procedure_code", "modifier", "amount")) == [
        ("64483", "", Decimal("760.00")), ("64493", "50", Decimal("1100.00"))]


def test_a_price_for_a_malformed_code_is_refused(client):
    sign_in(client, "billing")
    response = client.post(f"{FEE_SCHEDULES}add/", {
        "payer": "", "name": "Default", "effective_from": "2027-01-01", "effective_until": "",
        "entries-TOTAL_FORMS": "1", "entries-INITIAL_FORMS": "0", "entries-MIN_NUM_FORMS": "0",
        "entries-MAX_NUM_FORMS": "1000",
        "entries-0-procedure_code": "6448", "entries-0-modifier": "", "entries-0-amount": "760.00",
    })
    assert response.status_code == 200 and "five characters" in response.content.decode()
    assert not FeeSchedule.objects.exists()


def test_billing_reads_a_claim_with_its_lines_findings_and_history_but_cannot_change_it(client):
    case = practice()
    price_list(None, {"64483": "950.00"})
    [claim] = services.create_claims_for_encounter(encounter=visit(case))
    ClaimEdit.objects.create(claim=claim, run=uuid.uuid4(), code="timely-filing", severity="warning",
                             message="filed 80 of 90 days after the date of service", line_number=None)
    services.move_claim(claim=claim, to=Claim.Status.SCRUBBED, agent="system:test", reason="clean scrub")
    user = sign_in(client, "billing")

    page = client.get(f"{CLAIMS}{claim.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert claim.patient_control_number in body and f"{claim.patient_control_number}L1" in body
    assert "filed 80 of 90 days" in body and "clean scrub" in body
    assert 'name="_save"' not in body  # read-only: no save button
    assert client.post(f"{CLAIMS}{claim.pk}/change/", {}).status_code == 403
    assert client.get(f"{CLAIMS}add/").status_code == 403
    assert AuditEvent.objects.filter(user=user, source="admin", action="R", resource_type="BillingClaim",
                                     resource_id=str(claim.public_id), patient_id=case.patient.fhir_id).exists()


@pytest.mark.parametrize("role", ["front_office", "clinician", "auditor"])
def test_other_roles_do_not_see_billings_tables(client, role):
    sign_in(client, role)
    assert client.get(FEE_SCHEDULES).status_code == 403
    assert client.get(CLAIMS).status_code == 403
