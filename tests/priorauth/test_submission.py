"""Sending requests to the REAL sandbox payer over HTTP (``live_server``): from the note to the
decision, retries, refusals, and never sending a request twice (duplicate deliveries, concurrent
senders, a worker killed mid-send)."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from priorauth import services
from priorauth.models import PriorAuthorization, SubmissionAttempt
from priorauth.tasks import send_submission_task
from pracops.records.models import DocumentReference
from pracops.records.registry import KINDS
sandbox = pytest.importorskip("sandbox.payer.services", reason="needs the sandbox payer")
from sandbox.payer.models import SandboxClaim, SandboxReceipt  # noqa: E402
from tests.celery_worker import wait_for
from tests.priorauth.workflow import COMPLETE_ESI_NOTE, THIN_ESI_NOTE, add_note, practice_case

S = PriorAuthorization.Status
A = SubmissionAttempt.State


def _sandbox_url(live_server) -> str:
    return f"{live_server.url}/sandbox/payer/fhir/"


def _ready_request(live_server, **kwargs) -> PriorAuthorization:
    case = practice_case(endpoint=_sandbox_url(live_server), **kwargs)
    add_note(case.patient, COMPLETE_ESI_NOTE)
    authorization = services.create_authorization(service_request=case.order, user=None)
    assert authorization.status == S.READY
    return authorization


def _status(authorization: PriorAuthorization) -> str:
    return PriorAuthorization.objects.values_list("status", flat=True).get(pk=authorization.pk)


def _submits_received(authorization: PriorAuthorization) -> int:
    """How many $submit requests for this request reached the payer (and were processed)."""
    return SandboxReceipt.objects.filter(operation=SandboxReceipt.SUBMIT,
                                         identifier_value=str(authorization.public_id)).count()


def test_from_a_thin_note_to_an_approval_pended_then_decided_on_inquiry(live_server, celery_worker):
    case = practice_case(endpoint=_sandbox_url(live_server))
    add_note(case.patient, THIN_ESI_NOTE, date="2026-11-01T10:00:00Z")
    authorization = services.create_authorization(service_request=case.order, user=None)
    assert authorization.status == S.NEEDS_DOCUMENTATION
    sandbox.set_rule(action="pend", code="64483", pend_seconds=1, then="approve", approved_units=1)

    add_note(case.patient, COMPLETE_ESI_NOTE, date="2026-11-05T10:00:00Z")  # re-evaluated in the background
    wait_for(lambda: _status(authorization) == S.READY, timeout=60)
    services.request_submission(authorization=authorization, user=None)
    wait_for(lambda: _status(authorization) == S.PENDED, timeout=60)

    authorization.refresh_from_db()
    assert _submits_received(authorization) == 1
    assert authorization.payer_reference and authorization.channel == "pas"
    assert authorization.submit_requested_at is None
    assert authorization.decision_due_at - authorization.submitted_at == timedelta(days=7)
    packet = DocumentReference.objects.get(pk=authorization.packet_id)
    assert packet.patient_id == authorization.patient_id
    assert packet.resource["content"][0]["attachment"]["contentType"] == "application/pdf"
    claim = SandboxClaim.objects.get(identifier_value=str(authorization.public_id))
    assert any(e["resource"]["resourceType"] == "DocumentReference" for e in claim.request_bundle["entry"])

    time.sleep(1.1)  # the payer decides once its pend delay has passed
    assert services.check_status(authorization=authorization) == "approved"

    authorization.refresh_from_db()
    assert authorization.status == S.APPROVED
    assert authorization.auth_number and authorization.approved_units == 1
    assert authorization.valid_from and authorization.valid_until > authorization.valid_from
    assert authorization.approved_codes == ["64483"]
    assert [i["review_action"] for i in authorization.item_decisions] == ["A1"]
    assert list(authorization.history.values_list("to_status", flat=True)) == [
        "draft", "needs_documentation", "ready", "submitted", "pended", "approved"]
    if "ClaimResponse" in KINDS:  # the pair EHRs read
        responses = KINDS["ClaimResponse"].model.objects.filter(identifiers__value=str(authorization.public_id))
        assert responses.exists()


def test_a_pended_request_is_decided_when_the_payer_notifies(live_server, celery_worker):
    authorization = _ready_request(live_server)
    sandbox.set_rule(action="pend", code="64483", pend_seconds=3600, then="deny", reason_code="73",
                     reason_text="Conservative care not documented")
    profile = services.selectors.payer_profile(authorization.coverage)
    services.subscribe_payer_notifications(profile=profile, callback_base=live_server.url)
    services.request_submission(authorization=authorization, user=None)
    wait_for(lambda: _status(authorization) == S.PENDED, timeout=60)

    # The payer decides (its beat) and notifies PracOps' endpoint, which asks it for the decision.
    sandbox.decide_due_claims(now=timezone.now() + timedelta(hours=2))

    wait_for(lambda: _status(authorization) == S.DENIED, timeout=60)
    authorization.refresh_from_db()
    assert "73" in authorization.decision_reason or "Conservative care" in authorization.decision_reason


def test_a_503_is_retried_and_the_request_sent_once(live_server, celery_worker, settings):
    authorization = _ready_request(live_server)
    sandbox.inject_fault("submit", "503", times=1)

    services.request_submission(authorization=authorization, user=None)
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # In-process tasks do not wait to retry: the pending-work sweep sends it again.
        assert _status(authorization) == S.READY
        settings.PENDING_WORK_GRACE_SECONDS = 0
        call_command("sweep_pending_work")

    wait_for(lambda: _status(authorization) == S.APPROVED, timeout=60)  # the payer approves at once
    assert _submits_received(authorization) == 1
    states = list(authorization.attempts.order_by("pk").values_list("state", flat=True))
    assert states == [A.FAILED, A.SENT]
    assert "503" in authorization.attempts.order_by("pk").first().error


def test_a_permanent_refusal_puts_the_problem_on_the_request_which_stays_ready(live_server, celery_worker):
    authorization = _ready_request(live_server)
    profile = services.selectors.payer_profile(authorization.coverage)
    profile.endpoint = f"{live_server.url}/sandbox/payer/no-such-fhir/"
    profile.save()

    services.request_submission(authorization=authorization, user=None)

    wait_for(lambda: PriorAuthorization.objects.get(pk=authorization.pk).problem, timeout=60)
    authorization.refresh_from_db()
    assert authorization.status == S.READY
    assert authorization.submit_requested_at is None
    assert "404" in authorization.problem
    assert list(authorization.attempts.values_list("state", flat=True)) == [A.REFUSED]


def test_only_a_ready_request_can_be_sent(db):
    case = practice_case()
    add_note(case.patient, THIN_ESI_NOTE)
    authorization = services.create_authorization(service_request=case.order, user=None)

    with pytest.raises(services.AuthorizationError, match="only a request that is ready"):
        services.request_submission(authorization=authorization, user=None)


def test_a_duplicate_delivery_of_the_task_sends_once(live_server, monkeypatch):
    authorization = _ready_request(live_server)
    monkeypatch.setattr(send_submission_task, "delay", lambda *args: None)  # the deliveries are ours
    services.request_submission(authorization=authorization, user=None)

    first = send_submission_task.apply(args=[authorization.pk]).get()
    second = send_submission_task.apply(args=[authorization.pk]).get()

    assert (first, second) == ("sent", "already sent")
    assert _submits_received(authorization) == 1
    assert _status(authorization) == S.APPROVED


def test_a_send_left_unfinished_that_never_reached_the_payer_is_sent_once(live_server, monkeypatch):
    authorization = _ready_request(live_server)
    monkeypatch.setattr(send_submission_task, "delay", lambda *args: None)
    services.request_submission(authorization=authorization, user=None)
    # A worker died after committing its attempt and before its request left.
    SubmissionAttempt.objects.create(authorization=authorization, channel="pas", state=A.SENDING)

    assert send_submission_task.apply(args=[authorization.pk]).get() == "sent"

    assert _submits_received(authorization) == 1
    assert list(authorization.attempts.order_by("pk").values_list("state", flat=True)) == [A.FAILED, A.SENT]
    assert SandboxReceipt.objects.filter(operation=SandboxReceipt.INQUIRE, status_code=404).count() == 1


def test_a_send_left_unfinished_that_reached_the_payer_takes_the_payer_s_answer(live_server, monkeypatch):
    authorization = _ready_request(live_server)
    monkeypatch.setattr(send_submission_task, "delay", lambda *args: None)
    services.request_submission(authorization=authorization, user=None)
    # The worker died after the payer got the request and before it recorded the answer.
    from priorauth.payers.base import adapter_for

    authorization.refresh_from_db()
    adapter_for("pas").submit(services.submission_request(authorization),
                              services.endpoint_of(services.selectors.payer_profile(authorization.coverage)))
    SubmissionAttempt.objects.create(authorization=authorization, channel="pas", state=A.SENDING)

    assert send_submission_task.apply(args=[authorization.pk]).get() == "found at payer"

    assert _submits_received(authorization) == 1
    assert _status(authorization) == S.APPROVED  # the sandbox's default rule approves
    assert list(authorization.attempts.values_list("state", flat=True)) == [A.SENT]


def test_concurrent_senders_send_once(live_server, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent writers with row and session locks")
    authorization = _ready_request(live_server)
    monkeypatch.setattr(send_submission_task, "delay", lambda *args: None)
    services.request_submission(authorization=authorization, user=None)
    sandbox.inject_fault("submit", "delay", delay_seconds=1.0)  # keep the first send in flight
    outcomes: list[str] = []
    start = threading.Barrier(6)

    def sender():
        try:
            start.wait()
            outcomes.append(services.send_submission(authorization_pk=authorization.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert outcomes.count("sent") == 1, outcomes
    assert set(outcomes) <= {"sent", "in flight", "already sent"}
    assert _submits_received(authorization) == 1
    assert list(authorization.attempts.values_list("state", flat=True)) == [A.SENT]


@pytest.mark.worker
def test_a_worker_killed_mid_send_leaves_the_request_received_once(private_broker, live_server, settings):
    authorization = _ready_request(live_server)
    private_broker.start()
    doomed = private_broker.start_worker()
    # The payer takes the request, then answers 30 s late: the worker is waiting on it when killed.
    sandbox.inject_fault("submit", "delay", delay_seconds=30)

    services.request_submission(authorization=authorization, user=None)
    wait_for(lambda: SandboxClaim.objects.filter(identifier_value=str(authorization.public_id)).exists(), timeout=60)
    assert list(authorization.attempts.values_list("state", flat=True)) == [A.SENDING]
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(timeout=10)

    private_broker.start_worker()
    settings.PENDING_WORK_GRACE_SECONDS = 0
    call_command("sweep_pending_work")

    wait_for(lambda: _status(authorization) == S.APPROVED, timeout=90)
    assert _submits_received(authorization) == 1
    assert list(authorization.attempts.values_list("state", flat=True)) == [A.SENT]
