"""The tasks: a file's send queued when it commits; the beat writes files for scrubbed claims
and queues again files a broker outage left ready."""

from __future__ import annotations

import pytest

from billing.models import Claim
from billing.submission import services, tasks
from billing.submission.models import ClaimFile
from sandbox.clearinghouse.models import Submission
from tests.billing.submission.support import scrubbed_claim

pytestmark = pytest.mark.django_db

F = ClaimFile.Status


@pytest.fixture
def queued(monkeypatch):
    sent: list[int] = []
    monkeypatch.setattr(tasks.send_claim_file_task, "delay", sent.append)
    return sent


@pytest.fixture
def broker_down(monkeypatch):
    def down(*args):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.send_claim_file_task, "delay", down)


def test_the_send_is_queued_only_when_the_file_commits(case, queued, django_capture_on_commit_callbacks):
    claim = scrubbed_claim(case)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        made = services.prepare_and_send(claim_ids=[claim.pk], clearinghouse="sandbox")
    assert queued == []
    for callback in callbacks:
        callback()
    assert queued == [made.pk]


def test_the_beat_writes_one_file_for_the_scrubbed_claims_and_queues_it(case, queued,
                                                                        django_capture_on_commit_callbacks):
    claims = [scrubbed_claim(case), scrubbed_claim(case, on="2026-11-21")]
    with django_capture_on_commit_callbacks(execute=True):
        report = tasks.send_scrubbed_claims_task()
    [made] = ClaimFile.objects.all()
    assert report == {"files": 1, "queued_again": 0} and queued == [made.pk]
    assert {e.claim_id for e in made.entries.all()} == {c.pk for c in claims}
    assert set(Claim.objects.values_list("status", flat=True)) == {Claim.Status.SUBMITTED}


def test_with_the_broker_down_the_file_stays_ready_and_the_beat_queues_it_again(
        case, broker_down, monkeypatch, django_capture_on_commit_callbacks):
    claim = scrubbed_claim(case)
    with django_capture_on_commit_callbacks(execute=True):
        made = services.prepare_and_send(claim_ids=[claim.pk], clearinghouse="sandbox")
    made.refresh_from_db()
    assert made.status == F.READY
    queued: list[int] = []
    monkeypatch.setattr(tasks.send_claim_file_task, "delay", queued.append)
    assert tasks.send_scrubbed_claims_task() == {"files": 0, "queued_again": 1}
    assert queued == [made.pk]


def test_the_send_task_sends_through_the_sandbox(case, sandbox):
    ready = services.prepare_claim_file(claim_ids=[scrubbed_claim(case).pk], clearinghouse="sandbox")
    assert tasks.send_claim_file_task(ready.pk) == F.SENT
    assert tasks.send_claim_file_task(ready.pk) == F.SENT  # a redelivered task sends nothing
    assert Submission.objects.count() == 1


def test_a_route_that_cannot_be_written_leaves_its_claims_scrubbed(case, queued, settings):
    settings.BILLING_DEFAULT_CLEARINGHOUSE = "nowhere"
    claim = scrubbed_claim(case)
    assert tasks.send_scrubbed_claims_task() == {"files": 0, "queued_again": 0}
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SCRUBBED and ClaimFile.objects.count() == 0
