"""The read task and the sweep that picks up files a dead worker left unread."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from billing.remittance import services, tasks
from billing.remittance.models import ClaimPayment, X12File

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "x12"


def test_the_task_reads_a_file_once():
    stored, _ = services.receive_x12_file(text=(FIXTURES / "835/managed-care.835").read_text(), name="m",
                                          source="test")

    assert tasks.read_x12_file_task.apply(args=(stored.pk,)).get() == "posted"
    posted = ClaimPayment.objects.filter(remittance__file=stored).count()
    assert tasks.read_x12_file_task.apply(args=(stored.pk,)).get() == "posted"
    assert ClaimPayment.objects.filter(remittance__file=stored).count() == posted > 0


def test_a_file_left_received_by_a_killed_worker_is_read_by_a_later_sweep(monkeypatch):
    queued: list = []
    monkeypatch.setattr(tasks, "enqueue", lambda task, *args: queued.append((task, args)) or True)
    stored, _ = services.receive_x12_file(text=(FIXTURES / "835/medicare-part-a.835").read_text(), name="m",
                                          source="test")
    fresh, _ = services.receive_x12_file(text=(FIXTURES / "835/managed-care.835").read_text(), name="n",
                                         source="test")
    # the worker died after receiving: the file waited past the grace period, its task lost
    X12File.objects.filter(pk=stored.pk).update(received_at=timezone.now() - timedelta(hours=1))

    assert tasks.sweep_received_files() == 1
    assert [(task, args) for task, args in queued] == [(tasks.read_x12_file_task, (stored.pk,))]
    for task, args in queued:
        task.apply(args=args).get()

    stored.refresh_from_db()
    fresh.refresh_from_db()
    assert stored.status == X12File.Status.POSTED and fresh.status == X12File.Status.RECEIVED
    assert tasks.sweep_received_files() == 0
