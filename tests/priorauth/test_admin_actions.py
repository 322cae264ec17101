"""The worklist's actions work a request through the services (a real evaluation, packet, fax
submission and staff decision), and an order's page answers whether it needs an authorization."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, User

from priorauth import services
from priorauth.models import PriorAuthorization, SubmissionAttempt
from pracops.access.roles import ensure_roles
from pracops.audit.models import AuditEvent
from tests.celery_worker import wait_for
from tests.priorauth.workflow import COMPLETE_ESI_NOTE, THIN_ESI_NOTE, add_note, practice_case

S = PriorAuthorization.Status
pytestmark = pytest.mark.django_db
LIST = "/admin/priorauth/priorauthorization/"


@pytest.fixture
def frontdesk(client) -> User:
    ensure_roles()
    user = User.objects.create_user("frontdesk", password="pw-long-enough", is_staff=True)
    user.groups.add(Group.objects.get(name="front_office"))
    client.force_login(user)
    return user


@pytest.fixture
def fax_outbox(settings, tmp_path):
    # In-process (the embedded default) the fax lands here; a real worker uses its own outbox.
    settings.PRIORAUTH_FAX_OUTBOX = tmp_path / "fax-outbox"
    return settings.PRIORAUTH_FAX_OUTBOX


def _sent(authorization) -> None:
    """Ask for the request to be sent, as the submit action does, and wait until the worker sent it."""
    services.request_submission(authorization=authorization, user=None)
    wait_for(lambda: _status(authorization) == S.SUBMITTED, timeout=60)


def _request(note: str = COMPLETE_ESI_NOTE, **case) -> PriorAuthorization:
    practice = practice_case(adapter="fax", **case)
    add_note(practice.patient, note)
    return services.create_authorization(service_request=practice.order, user=None)


def _act(client, authorization, action: str, *, from_page: bool = True, **form):
    data = {"action": action, "_selected_action": [authorization.pk], **form}
    if from_page:
        data["_from_page"] = "1"
    return client.post(LIST, data)


def _status(authorization) -> str:
    return PriorAuthorization.objects.values_list("status", flat=True).get(pk=authorization.pk)


def _messages(response) -> str:
    return " | ".join(str(m) for m in response.wsgi_request._messages)


def test_evaluate_picks_up_a_note_written_since(client, frontdesk):
    authorization = _request(THIN_ESI_NOTE)
    assert authorization.status == S.NEEDS_DOCUMENTATION
    page = client.get(f"{LIST}{authorization.pk}/change/").content.decode()
    assert "Missing:" in page and 'class="pa-missing"' in page
    add_note(authorization.patient, COMPLETE_ESI_NOTE, date="2026-11-05T10:00:00Z")

    response = _act(client, authorization, "evaluate_requests")

    assert response.status_code == 302 and response["Location"] == f"{LIST}{authorization.pk}/change/"
    assert _status(authorization) == S.READY
    assert "now ready to submit" in _messages(response)
    page = client.get(f"{LIST}{authorization.pk}/change/").content.decode()
    timeline = page.split('id="pa-timeline"', 1)[1]
    assert "<td>Needs documentation</td><td>Ready to submit</td><td>frontdesk</td>" in timeline
    assert "<mark title=" in page.split('id="pa-notes"', 1)[1]


@pytest.mark.worker
def test_build_packet_stores_the_pdf_and_the_page_serves_it(client, frontdesk, celery_worker):
    authorization = _request()
    response = _act(client, authorization, "build_packets")
    assert response.status_code == 302

    wait_for(lambda: PriorAuthorization.objects.get(pk=authorization.pk).packet_id is not None, timeout=60)
    page = client.get(f"{LIST}{authorization.pk}/change/").content.decode()
    assert "Open the packet (PDF)" in page
    pdf = client.get(f"{LIST}{authorization.pk}/packet/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


@pytest.mark.worker
def test_submit_sends_a_ready_request_by_fax_once_and_the_page_shows_the_attempt(
        client, frontdesk, fax_outbox, celery_worker):
    authorization = _request()
    response = _act(client, authorization, "submit_requests")

    assert response.status_code == 302
    wait_for(lambda: _status(authorization) == S.SUBMITTED, timeout=60)
    attempts = SubmissionAttempt.objects.filter(authorization=authorization)
    assert [(a.channel, a.state) for a in attempts] == [("fax", "sent")]
    page = client.get(f"{LIST}{authorization.pk}/change/").content.decode()
    assert "<td>fax</td><td>Sent</td>" in page.split('id="pa-attempts"', 1)[1]
    assert "due in 6 d" in page
    # Submitting again: only a ready request can be sent; the error says so, nothing is sent.
    again = _act(client, authorization, "submit_requests")
    assert "only a request that is ready can be sent" in _messages(again)
    assert attempts.count() == 1


@pytest.mark.worker
def test_check_status_of_a_fax_request_says_the_payer_has_no_answer(client, frontdesk, fax_outbox, celery_worker):
    authorization = _request()
    _sent(authorization)
    response = _act(client, authorization, "check_statuses")
    assert "the payer has no answer yet" in _messages(response)
    assert _status(authorization) == S.SUBMITTED


@pytest.mark.worker
def test_record_decision_asks_for_the_decision_checks_it_and_keeps_it(client, frontdesk, fax_outbox, celery_worker):
    authorization = _request()
    _sent(authorization)

    form = _act(client, authorization, "record_decision")
    assert form.status_code == 200
    text = form.content.decode()
    assert "Record the payer&#x27;s decision" in text and 'name="auth_number"' in text

    refused = _act(client, authorization, "record_decision", apply="1", outcome="approved", auth_number="")
    assert refused.status_code == 200
    assert "An approval needs the payer&#x27;s authorization number." in refused.content.decode()
    assert _status(authorization) == S.SUBMITTED

    done = _act(client, authorization, "record_decision", apply="1", outcome="approved", auth_number="FX-2291",
                approved_units="2", valid_from="2026-11-15", valid_until="2027-02-15", reason="")
    assert done.status_code == 302
    authorization.refresh_from_db()
    assert (authorization.status, authorization.auth_number, authorization.approved_units) == (S.APPROVED, "FX-2291", 2)
    page = client.get(f"{LIST}{authorization.pk}/change/").content.decode()
    decision = page.split('id="pa-decision"', 1)[1].split('id="pa-packet"', 1)[0]
    assert "FX-2291" in decision and "2 approved, 0 used, 2 left" in decision
    assert "2026-11-15 to 2027-02-15" in decision
    assert AuditEvent.objects.filter(resource_id=str(authorization.public_id), subtype="record-decision",
                                     agent_name="frontdesk").exists()


def test_cancel_needs_a_reason_which_the_timeline_keeps(client, frontdesk):
    authorization = _request(THIN_ESI_NOTE)

    missing = _act(client, authorization, "cancel_requests", apply="1", reason="")
    assert missing.status_code == 200 and "This field is required." in missing.content.decode()
    assert _status(authorization) == S.NEEDS_DOCUMENTATION

    done = _act(client, authorization, "cancel_requests", from_page=False, apply="1",
                reason="patient chose physical therapy first")
    assert done.status_code == 302 and done["Location"] == LIST
    assert _status(authorization) == S.CANCELLED
    page = client.get(f"{LIST}{authorization.pk}/change/").content.decode()
    assert re.search(r"<td>Needs documentation</td><td>Cancelled</td><td>frontdesk</td>"
                     r"<td>patient chose physical therapy first</td>", page)


def test_an_action_the_lifecycle_refuses_says_why_for_each_request(client, frontdesk):
    first, second = _request(THIN_ESI_NOTE), _request(THIN_ESI_NOTE)
    response = client.post(LIST, {"action": "submit_requests", "_selected_action": [first.pk, second.pk]})
    assert response.status_code == 302 and response["Location"] == LIST
    assert _messages(response).count("only a request that is ready can be sent") == 2


# --- The order's page ------------------------------------------------------------------


def _order_page(client, order) -> str:
    response = client.get(f"/admin/records/servicerequest/{order.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_order_page_says_an_authorization_is_needed_by_which_policy_and_what_to_document(client, frontdesk):
    practice = practice_case()
    page = _order_page(client, practice.order)
    panel = page.split("Does the payer need an authorization?", 1)[1]
    assert "Prior authorization required." in panel
    assert "The notes must document:" in panel and panel.count("<li ") >= 3
    assert "Policy:" in panel
    assert "Start prior authorization" in panel and '{"' not in panel.split("</fieldset>", 1)[0]


def test_starting_from_the_order_page_creates_the_request_and_opens_it(client, frontdesk):
    practice = practice_case()
    add_note(practice.patient, COMPLETE_ESI_NOTE)

    response = client.post(f"{LIST}start/{practice.order.pk}/", {"_pa_urgency": "expedited"})

    authorization = PriorAuthorization.objects.get(service_request=practice.order)
    assert response.status_code == 302 and response["Location"] == f"{LIST}{authorization.pk}/change/"
    assert (authorization.status, authorization.urgency, authorization.created_by) == (S.READY, "expedited", frontdesk)
    page = _order_page(client, practice.order)
    assert "Ready to submit" in page and "Start prior authorization" not in page
    # A second start for the same order is refused in plain words.
    again = client.post(f"{LIST}start/{practice.order.pk}/", {"_pa_urgency": "standard"})
    assert "already has an open prior authorization request" in _messages(again)
    assert PriorAuthorization.objects.filter(service_request=practice.order).count() == 1


def test_an_order_whose_payer_has_no_profile_says_so_and_offers_no_start(client, frontdesk):
    practice = practice_case(policy_key=None)
    panel = _order_page(client, practice.order).split("Does the payer need an authorization?", 1)[1]
    assert "Cannot tell yet:" in panel and "no payer profile" in panel
    assert "Start prior authorization" not in panel


def test_a_clinician_sees_the_answer_but_may_not_start(client):
    ensure_roles()
    user = User.objects.create_user("doctor", password="pw-long-enough", is_staff=True)
    user.groups.add(Group.objects.get(name="clinician"))
    client.force_login(user)
    practice = practice_case()
    page = _order_page(client, practice.order)
    assert "Prior authorization required." in page and "Start prior authorization" not in page
    response = client.post(f"{LIST}start/{practice.order.pk}/", {"_pa_urgency": "standard"})
    assert response.status_code in (302, 403)
    assert not PriorAuthorization.objects.filter(service_request=practice.order).exists()
