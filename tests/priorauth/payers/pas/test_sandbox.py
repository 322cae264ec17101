"""PracOps' own PAS adapter against the sandbox payer over real HTTP (a live server): the request
Bundle it builds is accepted, and the answers the sandbox gives are read as the payer meant them."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from pracops.outbound import PermanentError, TransientError
from priorauth.payers.base import PayerEndpoint
from priorauth.payers.pas import PasAdapter, read_notification
from tests.priorauth.payers.conftest import REQUEST_ID, make_request

if not apps.is_installed("sandbox.payer"):  # until the sandbox payer app is on this branch
    pytest.skip("the sandbox payer app (sandbox.payer) is not installed", allow_module_level=True)

from sandbox.payer import services  # noqa: E402
from sandbox.payer.models import SandboxClaim  # noqa: E402
from sandbox.payer.responses import notification_bundle  # noqa: E402

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def endpoint(live_server) -> PayerEndpoint:
    return PayerEndpoint(adapter="pas", base_url=f"{live_server.url}/sandbox/payer/fhir/", timeout=10)


def test_the_sandbox_accepts_the_request_and_approves_it(endpoint):
    receipt = PasAdapter().submit(make_request(packet_pdf=b"%PDF-1.7\n% packet\n"), endpoint)

    decision = receipt.decision
    assert decision.outcome == "approved"
    assert [(i.sequence, i.cpt, i.review_action, i.units) for i in decision.items] == [
        (1, "64483", "A1", 1), (2, "64484", "A1", 2)]
    assert decision.auth_number and decision.approved_units == 3
    assert decision.period_start and decision.period_end > decision.period_start
    stored = SandboxClaim.objects.get()
    assert receipt.reference == decision.payer_reference == stored.tracking_id
    assert stored.identifier_value == REQUEST_ID


def test_a_denial_keeps_the_payers_reason(endpoint):
    services.set_rule(code="64483", action="deny", reason_code="0U", reason_text="Imaging not documented")
    decision = PasAdapter().submit(make_request(), endpoint).decision
    assert decision.outcome == "partially_approved"  # 64484 is still approved by default
    denied = decision.items[0]
    assert (denied.review_action, denied.reason_codes, denied.auth_number) == ("A3", ["0U"], None)
    assert "reason 0U (Imaging not documented)" in decision.reason


def test_fewer_units_than_asked_is_a_modification(endpoint):
    services.set_rule(code="64484", action="approve", approved_units=1)
    decision = PasAdapter().submit(make_request(), endpoint).decision
    assert decision.outcome == "partially_approved"
    assert [(i.review_action, i.units) for i in decision.items] == [("A1", 1), ("A6", 1)]
    assert decision.approved_units == 2


def test_a_pended_request_is_followed_by_inquiry_and_named_by_the_notification(endpoint):
    services.set_rule(action="pend", pend_seconds=0, then="approve")
    adapter = PasAdapter()
    receipt = adapter.submit(make_request(), endpoint)
    assert receipt.decision.outcome == "pended"

    decision = adapter.inquire(make_request(), endpoint, receipt.reference)  # decided once due
    assert decision.outcome == "approved" and decision.payer_reference == receipt.reference

    # What the sandbox would notify a full-resource subscriber with names the request both ways.
    claim = SandboxClaim.objects.get()
    body = notification_bundle(subscription_url=f"{endpoint.base_url}Subscription/s1", event_number=1,
                               timestamp=timezone.now(), payload="full-resource",
                               response={"entry": [{"fullUrl": f"{endpoint.base_url}ClaimResponse/{claim.tracking_id}",
                                                    "resource": decision.claim_response}]},
                               focus_url=f"{endpoint.base_url}ClaimResponse/{claim.tracking_id}")
    names = read_notification(body)
    assert receipt.reference in names and REQUEST_ID in names


def test_an_inquiry_for_a_request_the_sandbox_never_got_is_none(endpoint):
    assert PasAdapter().inquire(make_request(), endpoint, "") is None


def test_a_server_error_is_transient_and_nothing_was_stored(endpoint):
    services.inject_fault("submit", "503")
    with pytest.raises(TransientError) as caught:
        PasAdapter().submit(make_request(), endpoint)
    assert caught.value.status == 503
    assert not SandboxClaim.objects.exists()


def test_after_a_timeout_an_inquiry_tells_whether_the_request_arrived(endpoint):
    # The never-twice rule's tool: a timed-out submit may have been received, so ask, do not resend.
    services.inject_fault("submit", "delay", delay_seconds=1.5)
    slow = PayerEndpoint(adapter="pas", base_url=endpoint.base_url, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(TransientError) as caught:
        PasAdapter().submit(make_request(), slow)
    assert caught.value.maybe_delivered
    deadline = timezone.now() + timedelta(seconds=10)
    decision = None
    while decision is None and timezone.now() < deadline:
        decision = PasAdapter().inquire(make_request(), endpoint, "")
    assert decision is not None and decision.outcome == "approved"
    assert SandboxClaim.objects.count() == 1
    # Let the delayed answer finish before the test's database goes away under the server thread.
    time.sleep(max(0.0, 2.5 - (time.monotonic() - started)))


def test_a_request_the_sandbox_finds_wanting_is_a_permanent_error(endpoint):
    request = make_request()
    broken = {**request.coverage, "period": {"start": "next spring"}}  # not a date: invalid R4
    with pytest.raises(PermanentError, match="HTTP 400"):
        PasAdapter().submit(make_request(coverage=broken), endpoint)
