"""Collecting the sandbox clearinghouse's 999 and 277CA files: stored once, read queued once,
acknowledged after they are stored (billing.remittance's receive_x12_file stands at one seam)."""

from __future__ import annotations

import hashlib

import pytest

from billing.remittance.models import X12File
from billing.submission import services, tasks
from sandbox.clearinghouse.models import ResponseFile
from sandbox.clearinghouse.services import inject_fault
from tests.billing.submission.support import scrubbed_claim

pytestmark = pytest.mark.django_db


@pytest.fixture
def remittance(monkeypatch):
    """billing.remittance's interface: one X12File per SHA-256 -> (file, created); reads queued."""
    queued: list[int] = []

    def receive(*, text, name, source, agent):
        return X12File.objects.get_or_create(sha256=hashlib.sha256(text.encode()).hexdigest(),
                                             defaults={"text": text, "name": name, "source": source, "agent": agent})

    monkeypatch.setattr(services, "_receive", receive)
    monkeypatch.setattr(services, "_enqueue_read", queued.append)
    return queued


@pytest.fixture
def answered(case, sandbox):
    ready = services.prepare_claim_file(claim_ids=[scrubbed_claim(case).pk], clearinghouse="sandbox")
    services.send_claim_file(file_id=ready.pk)
    waiting = list(ResponseFile.objects.order_by("pk"))
    assert [f.kind for f in waiting] == ["999", "277CA"]
    return waiting


def test_each_file_is_stored_queued_for_reading_and_acknowledged(answered, remittance,
                                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = services.collect_responses(clearinghouse="sandbox")
    assert (result.stored, result.duplicates, result.acknowledged, result.error) == (2, 0, 2, "")
    stored = list(X12File.objects.order_by("pk"))
    assert [f.text for f in stored] == [f.text for f in answered]
    assert all(f.source == "sandbox" for f in stored)
    assert remittance == [f.pk for f in stored]
    assert ResponseFile.objects.filter(acknowledged_at__isnull=True).count() == 0


def test_a_file_stored_but_not_acknowledged_is_fetched_again_and_kept_once(answered, remittance,
                                                                          django_capture_on_commit_callbacks):
    inject_fault("acknowledge", "503")  # the worker stored the 999 and could not acknowledge it
    with django_capture_on_commit_callbacks(execute=True):
        first = services.collect_responses(clearinghouse="sandbox")
    assert (first.stored, first.acknowledged) == (1, 0) and "HTTP 503" in first.error
    with django_capture_on_commit_callbacks(execute=True):
        second = services.collect_responses(clearinghouse="sandbox")
    assert (second.stored, second.duplicates, second.acknowledged) == (1, 1, 2)
    assert X12File.objects.count() == 2 and len(remittance) == 2  # read queued once per file
    assert ResponseFile.objects.filter(acknowledged_at__isnull=True).count() == 0


def test_an_empty_mailbox_collects_nothing(case, sandbox, remittance):
    assert services.collect_responses(clearinghouse="sandbox") == services.Collected("sandbox")


def test_the_beat_task_reports_each_clearinghouse(answered, remittance):
    [report] = tasks.poll_clearinghouses_task()
    assert report["clearinghouse"] == "sandbox" and report["stored"] == 2
