"""Through a real worker (with a broker; in-process without one): a file queued twice is sent
once. The file-drop clearinghouse is used because the worker's settings are its own: it writes
into the same outbox (settings.BILLING_FILEDROP_OUTBOX) this test reads."""

from __future__ import annotations

import pytest
from django.conf import settings

from billing.submission import services, tasks
from billing.submission.models import ClaimFile
from tests.billing.submission.support import scrubbed_claim
from tests.celery_worker import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_file_queued_twice_is_sent_once_by_the_worker(case, celery_worker):
    ready = services.prepare_claim_file(claim_ids=[scrubbed_claim(case).pk], clearinghouse="filedrop")
    target = settings.BILLING_FILEDROP_OUTBOX / f"837P-{ready.interchange_control_number}.x12"
    target.unlink(missing_ok=True)  # a test database's counter starts again at 1 each run
    tasks.send_claim_file_task.delay(ready.pk)
    tasks.send_claim_file_task.delay(ready.pk)
    wait_for(lambda: ClaimFile.objects.get(pk=ready.pk).status == ClaimFile.Status.SENT)
    wait_for(lambda: target.exists())
    sent = ClaimFile.objects.get(pk=ready.pk)
    assert sent.attempts == 1 and sent.remote_id == target.name
    assert target.read_text() == ready.text
    target.unlink()
