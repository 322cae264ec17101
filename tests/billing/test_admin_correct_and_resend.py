"""The claim admin's "correct and resend": a confirmation page asking for the reason, then a
rejected claim sent again or an adjudicated one replaced (frequency 7), scrubbed and sent when
clean, with a message per claim; only for who may send claims."""

from __future__ import annotations

import pytest

from billing.models import BillingProfile, Claim
from billing.submission import tasks
from billing.submission.models import ClaimFile
from pracops.audit.models import AuditEvent
from tests.billing.factories import practice, price_list
from tests.billing.test_admin import CLAIMS, _claim_at, sign_in

pytestmark = pytest.mark.django_db

REASON = "member id corrected from the new insurance card"


@pytest.fixture
def case():
    found = practice()
    price_list(None, {"64483": "950.00"})
    return found


@pytest.fixture
def queued(monkeypatch):
    sent: list[int] = []
    monkeypatch.setattr(tasks.send_claim_file_task, "delay", sent.append)
    return sent


def post_action(client, claims, **extra):
    return client.post(CLAIMS, {"action": "correct_and_resend", "_selected_action": [c.pk for c in claims], **extra},
                       follow=True)


def said(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_action_first_asks_for_the_reason_and_changes_nothing(client, case):
    rejected = _claim_at(case, "rejected", on="2026-11-20")
    sign_in(client, "billing")

    page = post_action(client, [rejected])

    body = page.content.decode()
    assert page.status_code == 200 and 'name="reason"' in body and 'name="post"' in body
    assert rejected.patient_control_number in body and "back to draft, scrubbed, and sent now if clean" in body
    rejected.refresh_from_db()
    assert rejected.status == Claim.Status.REJECTED


def test_without_a_reason_the_page_comes_back_with_the_error(client, case):
    rejected = _claim_at(case, "rejected", on="2026-11-20")
    sign_in(client, "billing")

    page = post_action(client, [rejected], post="yes", reason="  ")

    assert page.status_code == 200 and "This field is required" in page.content.decode()
    rejected.refresh_from_db()
    assert rejected.status == Claim.Status.REJECTED


def test_a_rejected_claim_goes_back_to_draft_is_scrubbed_and_sent(client, case, queued,
                                                                  django_capture_on_commit_callbacks):
    rejected = _claim_at(case, "rejected", on="2026-11-20")
    user = sign_in(client, "billing")

    with django_capture_on_commit_callbacks(execute=True):
        response = post_action(client, [rejected], post="yes", reason=REASON)

    rejected.refresh_from_db()
    assert rejected.status == Claim.Status.SUBMITTED
    [made] = ClaimFile.objects.filter(entries__claim=rejected)
    assert queued == [made.pk]
    assert list(rejected.history.order_by("pk").values_list("to_status", flat=True))[-3:] == [
        "draft", "scrubbed", "submitted"]
    back = rejected.history.get(from_status="rejected", to_status="draft")
    assert back.user == user and REASON in back.reason
    assert said(response) == [f"Claim {rejected.patient_control_number}: back to draft, scrubbed clean and written "
                              f"to file {made.interchange_control_number}, queued to send."]
    assert AuditEvent.objects.filter(user=user, resource_id=str(rejected.public_id), action="U").count() >= 3


def test_a_paid_claim_is_replaced_by_a_frequency_7_claim_naming_the_payers_number(
        client, case, queued, django_capture_on_commit_callbacks):
    paid = _claim_at(case, "paid", on="2026-11-20")
    Claim.objects.filter(pk=paid.pk).update(payer_claim_number="SBX2633900000042")
    sign_in(client, "billing")

    with django_capture_on_commit_callbacks(execute=True):
        response = post_action(client, [paid], post="yes", reason=REASON)

    paid.refresh_from_db()
    replacement = Claim.objects.get(replaces=paid)
    assert (paid.status, replacement.status, replacement.frequency) == ("corrected", "submitted", "7")
    assert REASON in paid.history.get(to_status="corrected").reason
    [made] = ClaimFile.objects.filter(entries__claim=replacement)
    assert "REF*F8*SBX2633900000042~" in made.text and queued == [made.pk]
    assert said(response) == [
        f"Claim {paid.patient_control_number}: replaced by claim {replacement.patient_control_number} (frequency 7, "
        f"REF*F8 SBX2633900000042), scrubbed clean and written to file {made.interchange_control_number}, "
        "queued to send."]
    page = client.get(f"{CLAIMS}{paid.pk}/change/").content.decode()
    assert f'{replacement.pk}/change/">{replacement.patient_control_number}</a> (7 Replacement, submitted)' in page


def test_a_claim_the_scrubber_still_holds_is_left_a_draft_with_its_edits_counted(client, case, queued):
    rejected = _claim_at(case, "rejected", on="2026-11-20")
    BillingProfile.objects.update(tax_id="")  # not fixed yet
    sign_in(client, "billing")

    response = post_action(client, [rejected], post="yes", reason=REASON)

    rejected.refresh_from_db()
    assert rejected.status == Claim.Status.DRAFT and queued == [] and not ClaimFile.objects.exists()
    assert rejected.edits.filter(severity="error").count() == 1
    assert said(response) == [f"Claim {rejected.patient_control_number}: back to draft, held by 1 scrubber edit: "
                              "fix it, then scrub and send."]


def test_claims_in_other_states_are_left_alone_with_a_message(client, case, queued):
    submitted = _claim_at(case, "submitted", on="2026-11-20")
    denied_unnumbered = _claim_at(case, "denied", on="2026-11-21")
    sign_in(client, "billing")

    response = post_action(client, [submitted, denied_unnumbered], post="yes", reason=REASON)

    assert sorted(said(response)) == sorted([
        f"Claim {submitted.patient_control_number}: not resent: only a rejected or adjudicated claim is corrected "
        "and resent; this one is submitted.",
        f"Claim {denied_unnumbered.patient_control_number}: not resent: the payer has not numbered this claim yet "
        "(no payer claim number from a 277CA or 835): a correction or void must name it.",
    ])
    assert sorted(Claim.objects.values_list("status", flat=True)) == ["denied", "submitted"]


def test_front_office_cannot_correct_and_resend(client, case, queued):
    rejected = _claim_at(case, "rejected", on="2026-11-20")
    sign_in(client, "front_office")

    response = post_action(client, [rejected], post="yes", reason=REASON)

    assert response.status_code in (200, 403)
    rejected.refresh_from_db()
    assert rejected.status == Claim.Status.REJECTED and queued == []
