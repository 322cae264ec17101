"""Sending a claim file through the sandbox clearinghouse over HTTP: once, whatever happens."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from billing.models import Claim
from billing.submission import services
from billing.submission.models import ClaimFile
from pracops import outbound
from pracops.outbound import TransientError
from sandbox.clearinghouse.models import Submission
from sandbox.clearinghouse.services import inject_fault
from tests.billing.submission.support import SANDBOX_URL, scrubbed_claim

pytestmark = pytest.mark.django_db

F = ClaimFile.Status
S = Claim.Status


@pytest.fixture
def ready(case):
    claim = scrubbed_claim(case)
    return services.prepare_claim_file(claim_ids=[claim.pk], clearinghouse="sandbox")


def test_a_ready_file_is_sent_and_the_clearinghouse_has_it_once(ready, sandbox):
    sent = services.send_claim_file(file_id=ready.pk)
    assert (sent.status, sent.attempts, sent.last_error) == (F.SENT, 1, "")
    assert sent.sent_at is not None
    [submission] = Submission.objects.all()
    assert sent.remote_id == str(submission.pk) and submission.interchange_control == ready.interchange_control_number
    assert submission.status == "A"  # its 999 accepted PracOps' file


def test_sending_again_sends_nothing(ready, sandbox):
    services.send_claim_file(file_id=ready.pk)
    again = services.send_claim_file(file_id=ready.pk)
    assert again.status == F.SENT and again.attempts == 1
    assert Submission.objects.count() == 1


def test_a_file_another_worker_is_sending_is_left_alone(ready, sandbox):
    ClaimFile.objects.filter(pk=ready.pk).update(status=F.SENDING, sending_since=timezone.now())
    left = services.send_claim_file(file_id=ready.pk)
    assert left.status == F.SENDING and Submission.objects.count() == 0


def test_a_stale_sending_file_that_got_there_is_recorded_sent_not_sent_twice(ready, sandbox, settings):
    """A worker died after the clearinghouse took the file: the re-check meets its 409 duplicate."""
    services.send_claim_file(file_id=ready.pk)
    ClaimFile.objects.filter(pk=ready.pk).update(
        status=F.SENDING, sent_at=None, sending_since=timezone.now() - timedelta(seconds=settings.BILLING_SENDING_STALE_SECONDS + 1))
    rechecked = services.send_claim_file(file_id=ready.pk)
    assert rechecked.status == F.SENT and "duplicate" in rechecked.last_error
    assert Submission.objects.count() == 1


def test_a_refused_connection_leaves_the_file_ready_for_a_retry(ready, settings):
    settings.BILLING_SANDBOX_CLEARINGHOUSE_URL = SANDBOX_URL

    def refuse(request):
        raise httpx.ConnectError("refused", request=request)

    with outbound.use_transport(httpx.MockTransport(refuse)), pytest.raises(TransientError):
        services.send_claim_file(file_id=ready.pk)
    ready.refresh_from_db()
    assert ready.status == F.READY and ready.attempts == 1 and "could not be reached" in ready.last_error


def test_a_server_error_after_sending_leaves_it_sending_until_stale(ready, sandbox):
    inject_fault("submit", "503")
    with pytest.raises(TransientError):
        services.send_claim_file(file_id=ready.pk)
    ready.refresh_from_db()
    assert ready.status == F.SENDING  # it may have got there: only a stale re-check sends again
    assert services.send_claim_file(file_id=ready.pk).status == F.SENDING
    assert Submission.objects.count() == 0


def test_a_permanent_refusal_fails_the_file_and_puts_its_claims_back_to_scrubbed(ready, sandbox, settings):
    settings.BILLING_SANDBOX_CLEARINGHOUSE_SECRET = "wrong"
    failed = services.send_claim_file(file_id=ready.pk)
    assert failed.status == F.FAILED and "HTTP 401" in failed.last_error
    [entry] = failed.entries.all()
    claim = Claim.objects.get(pk=entry.claim_id)
    assert claim.status == S.SCRUBBED
    assert claim.history.last().source_reference == f"837P file ISA13 {ready.interchange_control_number}"
    # and it can go out again in a new file
    again = services.prepare_claim_file(claim_ids=[claim.pk], clearinghouse="sandbox")
    assert again.interchange_control_number != ready.interchange_control_number


def test_an_unknown_file_is_refused(db):
    with pytest.raises(services.SubmissionError, match="no claim file with id 424242"):
        services.send_claim_file(file_id=424242)
