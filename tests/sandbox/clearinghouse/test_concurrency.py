"""A file is taken once and a claim remitted once, however many workers race (PostgreSQL: row locks)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from billing.x12.remit835 import read_835
from sandbox.clearinghouse import services
from sandbox.clearinghouse.models import ClearinghouseClaim, ResponseFile, Submission
from tests.sandbox.clearinghouse.conftest import SUBMITTER, ProfessionalClaimFactory, professional_claim_file

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent writers with row locks (SQLite takes one writer at a time)")


def race(work, times: int = 4) -> list:
    outcomes: list = []
    start = threading.Barrier(times)

    def runner():
        try:
            start.wait()
            outcomes.append(work())
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test looks at
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_concurrent_remitters_remit_each_claim_once():
    for _ in range(3):
        services.receive_file(submitter=SUBMITTER, text=professional_claim_file(
            [ProfessionalClaimFactory() for _ in range(4)]))
    later = timezone.now() + timedelta(hours=1)

    outcomes = race(lambda: services.remit_due_claims(now=later))

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    remitted = [claim for claim in ClearinghouseClaim.objects.all()]
    assert len(remitted) == 12 and all(c.remittance_id for c in remitted)
    files = ResponseFile.objects.filter(kind="835")
    assert sum(len(o) for o in outcomes) == files.count() >= 1
    paid_claims = [claim.claim_id for f in files for advice in read_835(f.text) for claim in advice.claims]
    assert sorted(paid_claims) == sorted(c.claim_id for c in remitted)  # each claim in exactly one 835


def test_the_same_file_sent_at_once_is_taken_once():
    text = professional_claim_file(control=777)

    outcomes = race(lambda: services.receive_file(submitter=SUBMITTER, text=text))

    taken = [o for o in outcomes if isinstance(o, services.Receipt)]
    assert len(taken) == 1 and all(isinstance(o, services.Duplicate) for o in outcomes if o not in taken), outcomes
    assert Submission.objects.count() == 1 and ResponseFile.objects.count() == 2
