"""The beat task, run by a Celery worker (a real one with a broker): decides and notifies."""

import pytest

from sandbox.payer import services
from sandbox.payer.models import SandboxClaim
from sandbox.payer.tasks import decide_due_claims
from tests.celery_worker import wait_for
from tests.sandbox.payer.conftest import Payer, pas_fixture, review_action, subscription_for, with_service

pytestmark = pytest.mark.worker


def test_the_worker_decides_a_due_claim_and_notifies_its_subscriber(celery_worker, receiver):
    payer = Payer()
    services.set_rule(code="64483", action="pend", pend_seconds=0)
    assert payer.post("Subscription", subscription_for(receiver.url)).status_code == 201
    payer.submit(with_service(pas_fixture("conformant_pas_bundle_v110.json"), "64483"))

    decide_due_claims.delay()

    wait_for(lambda: SandboxClaim.objects.filter(status=SandboxClaim.DECIDED).exists())
    wait_for(lambda: receiver.received)
    claim_response = receiver.received[0]["body"]["entry"][1]["resource"]
    assert review_action(claim_response["item"][0])["code"] == "A1"
