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


def _claim_at(case, status: str, *, on: str, sent_days_ago: int | None = None) -> Claim:
    from billing.lifecycle import transition

    [claim] = services.create_claims_for_encounter(encounter=visit(case, on=on))
    path = {"scrubbed": ["scrubbed"], "submitted": ["scrubbed", "submitted"],
            "rejected": ["scrubbed", "submitted", "rejected"],
            "denied": ["scrubbed", "submitted", "accepted", "denied"],
            "paid": ["scrubbed", "submitted", "accepted", "paid"]}[status]
    for step in path:
        transition(claim, step, agent="system:test")
    if sent_days_ago is not None:
        from datetime import timedelta

        from django.utils import timezone

        claim.history.filter(to_status="submitted").update(at=timezone.now() - timedelta(days=sent_days_ago))
    return claim


@pytest.mark.parametrize("worklist, expected", [
    ("rejected", ["rejected"]), ("denied", ["denied"]), ("unpaid", ["old"])])
def test_the_worklists_show_rejected_denied_and_unpaid_after_30_days(client, worklist, expected):
    case = practice()
    price_list(None, {"64483": "950.00", "64493": "600.00"})
    claims = {
        "rejected": _claim_at(case, "rejected", on="2026-10-01"),
        "denied": _claim_at(case, "denied", on="2026-10-02"),
        "old": _claim_at(case, "submitted", on="2026-10-03", sent_days_ago=45),
        "recent": _claim_at(case, "submitted", on="2026-10-04", sent_days_ago=5),
        "paid": _claim_at(case, "paid", on="2026-10-05", sent_days_ago=60),
    }
    sign_in(client, "billing")

    response = client.get(CLAIMS, {"worklist": worklist})

    assert response.status_code == 200
    shown = {claim.patient_control_number for claim in response.context["cl"].result_list}
    assert shown == {claims[name].patient_control_number for name in expected}


def test_billing_scrubs_drafts_from_the_list_and_sent_claims_are_left_alone(client):
    case = practice()
    price_list(None, {"64483": "950.00", "64493": "600.00"})
    [draft] = services.create_claims_for_encounter(encounter=visit(case, on="2026-11-20"))
    sent = _claim_at(case, "submitted", on="2026-11-21")
    sign_in(client, "billing")

    response = client.post(CLAIMS, {"action": "scrub_claims", "_selected_action": [draft.pk, sent.pk]}, follow=True)

    assert response.status_code == 200
    said = [str(m) for m in response.context["messages"]]
    assert any("already sent: not scrubbed" in m for m in said)
    assert ClaimEdit.objects.filter(claim=sent).count() == 0
    draft.refresh_from_db()
    sent.refresh_from_db()
    assert sent.status == Claim.Status.SUBMITTED
    assert draft.status == Claim.Status.SCRUBBED
    assert any("1 claim(s) scrubbed clean, 0 with errors" in m for m in said)
    assert draft.history.get(to_status="scrubbed").agent.startswith("billing-")


def test_a_claims_page_shows_its_payments_with_their_adjustments(client):
    from billing.remittance.models import ClaimPayment, PaymentAdjustment, Remittance, X12File

    case = practice()
    price_list(None, {"64483": "950.00", "64493": "600.00"})
    claim = _claim_at(case, "denied", on="2026-10-02")
    file = X12File.objects.create(sha256="0" * 64, source="test", kind="835", status="posted", text="ISA*")
    remittance = Remittance.objects.create(file=file, set_control_number="0001", payer_name="ACME", trace_number="T1",
                                           payment_method="NON", total_paid=Decimal("0.00"))
    payment = ClaimPayment.objects.create(remittance=remittance, position=1, claim=claim, status_code="4",
                                          patient_control_number=claim.patient_control_number,
                                          charge=claim.total_charge, paid=Decimal("0.00"))
    PaymentAdjustment.objects.create(claim_payment=payment, group="CO", reason="197", amount=claim.total_charge)
    sign_in(client, "billing")

    page = client.get(f"{CLAIMS}{claim.pk}/change/").content.decode()

    assert "payments (835)" in page.lower() and f"CO-197 {claim.total_charge}" in page
