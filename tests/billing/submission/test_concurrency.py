"""Two workers at once (PostgreSQL: real concurrent transactions with row locks; SQLite
serializes every writer, so there is nothing to race there)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from billing.submission import services
from billing.submission.models import ClaimFile
from sandbox.clearinghouse.models import Submission
from tests.billing.submission.support import scrubbed_claim

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent transactions with row locks")


def _at_once(work, callers: int) -> tuple[list, list]:
    start = threading.Barrier(callers)
    done: list = []
    errors: list = []

    def run(index: int):
        try:
            start.wait(timeout=30)
            done.append(work(index))
        except Exception as error:  # noqa: BLE001 - reported by the assertions
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return done, errors


def test_files_written_at_once_never_share_a_control_number(case):
    claims = [scrubbed_claim(case, on=f"2026-11-{day}") for day in (16, 17, 18, 19)]
    done, errors = _at_once(lambda i: services.prepare_claim_file(
        claim_ids=[claims[i].pk], clearinghouse="sandbox").interchange_control_number, 4)
    assert errors == []
    assert len(set(done)) == 4
    assert ClaimFile.objects.count() == 4


def test_one_claim_written_twice_at_once_goes_in_one_file(case):
    claim = scrubbed_claim(case)
    done, errors = _at_once(lambda i: services.prepare_claim_file(claim_ids=[claim.pk], clearinghouse="sandbox"), 2)
    assert len(done) == 1 and len(errors) == 1 and isinstance(errors[0], services.SubmissionError)
    assert ClaimFile.objects.count() == 1


def test_two_workers_sending_one_file_send_it_once(case, sandbox):
    ready = services.prepare_claim_file(claim_ids=[scrubbed_claim(case).pk], clearinghouse="sandbox")
    done, errors = _at_once(lambda i: services.send_claim_file(file_id=ready.pk).status, 2)
    assert errors == []
    ready.refresh_from_db()
    assert ready.status == ClaimFile.Status.SENT and ready.attempts == 1
    assert Submission.objects.count() == 1
