"""A claim's whole trip, nothing replaced: prepared, validated and sent to the sandbox
clearinghouse, its 999 and 277CA collected and read, then its 835 collected and posted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import Claim
from billing.remittance.models import ClaimPayment, X12File
from billing.remittance.services import read_x12_file
from billing.submission import services
from billing.submission.models import ClaimFile
from sandbox.clearinghouse import services as clearinghouse
from sandbox.clearinghouse.models import ResponseFile
from tests.billing.submission.support import scrubbed_claim

pytestmark = pytest.mark.django_db


def collect_and_read(django_capture_on_commit_callbacks) -> services.Collected:
    """Collect the mailbox; read what was stored (with a broker the queued reads go to no worker
    here, and a file already read by an in-process task is left alone)."""
    with django_capture_on_commit_callbacks(execute=True):
        collected = services.collect_responses(clearinghouse="sandbox")
    for pk in X12File.objects.filter(status=X12File.Status.RECEIVED).values_list("pk", flat=True):
        read_x12_file(file_id=pk, agent="system:test")
    return collected


def test_a_claim_sent_is_acknowledged_accepted_and_paid(case, sandbox, django_capture_on_commit_callbacks):
    claim = scrubbed_claim(case)
    ready = services.prepare_claim_file(claim_ids=[claim.pk], clearinghouse="sandbox")
    services.send_claim_file(file_id=ready.pk)

    collected = collect_and_read(django_capture_on_commit_callbacks)

    assert (collected.stored, collected.acknowledged, collected.refused) == (2, 2, 0)
    assert ClaimFile.objects.get(pk=ready.pk).status == ClaimFile.Status.ACCEPTED
    claim.refresh_from_db()
    assert claim.status == Claim.Status.ACCEPTED and claim.payer_claim_number
    assert list(claim.history.values_list("to_status", "source")[2:]) == [("submitted", "task"), ("accepted", "file")]

    assert len(clearinghouse.remit_due_claims(now=timezone.now() + timedelta(days=1))) == 1
    collect_and_read(django_capture_on_commit_callbacks)

    claim.refresh_from_db()
    assert claim.status in (Claim.Status.PAID, Claim.Status.PARTIALLY_PAID, Claim.Status.DENIED)
    [payment] = ClaimPayment.objects.filter(claim=claim)
    assert payment.posted_at and payment.suspense == ""
    assert [line.line_id for line in payment.service_lines.all()] == list(claim.lines.values_list("pk", flat=True))
    assert X12File.objects.filter(status=X12File.Status.POSTED).count() == 3

    # Everything collected again (nothing new) changes nothing.
    assert collect_and_read(django_capture_on_commit_callbacks).stored == 0
    assert ClaimPayment.objects.count() == 1


def test_a_file_in_the_mailbox_that_is_not_x12_does_not_stop_the_others(case, sandbox,
                                                                        django_capture_on_commit_callbacks):
    ready = services.prepare_claim_file(claim_ids=[scrubbed_claim(case).pk], clearinghouse="sandbox")
    services.send_claim_file(file_id=ready.pk)
    ResponseFile.objects.filter(kind="999").update(text="not an X12 file")

    collected = services.collect_responses(clearinghouse="sandbox")

    assert (collected.stored, collected.refused, collected.acknowledged) == (1, 1, 1)
    assert ResponseFile.objects.filter(acknowledged_at__isnull=True).count() == 1
