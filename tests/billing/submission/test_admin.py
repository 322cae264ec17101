"""Claim files in the admin: billing sees them (audited) and sends; others do not see them."""

from __future__ import annotations

import pytest

from billing.models import Claim
from billing.submission import services, tasks
from billing.submission.models import ClaimFile
from pracops.audit.models import AuditEvent
from tests.billing.submission.support import scrubbed_claim
from tests.billing.test_admin import sign_in

pytestmark = pytest.mark.django_db

FILES = "/admin/billing_submission/claimfile/"
CLAIMS = "/admin/billing/claim/"


@pytest.fixture
def queued(monkeypatch):
    sent: list[int] = []
    monkeypatch.setattr(tasks.send_claim_file_task, "delay", sent.append)
    return sent


def test_billing_reads_a_file_with_its_text_and_the_view_is_audited(client, case):
    ready = services.prepare_claim_file(claim_ids=[scrubbed_claim(case).pk], clearinghouse="sandbox")
    user = sign_in(client, "billing")
    assert client.get(FILES).status_code == 200
    page = client.get(f"{FILES}{ready.pk}/change/")
    assert page.status_code == 200 and ready.interchange_control_number in page.content.decode()
    assert AuditEvent.objects.filter(user=user, resource_id=str(ready.public_id)).exists()


def test_front_office_does_not_see_files(client, case):
    ready = services.prepare_claim_file(claim_ids=[scrubbed_claim(case).pk], clearinghouse="sandbox")
    sign_in(client, "front_office")
    assert client.get(f"{FILES}{ready.pk}/change/").status_code == 403


def test_send_now_queues_ready_files(client, case, queued, django_capture_on_commit_callbacks):
    ready = services.prepare_claim_file(claim_ids=[scrubbed_claim(case).pk], clearinghouse="sandbox")
    sign_in(client, "billing")
    response = client.post(FILES, {"action": "send_now", "_selected_action": [ready.pk]})
    assert response.status_code == 302 and queued == [ready.pk]


def test_the_claim_send_action_writes_a_file_for_scrubbed_claims(client, case, queued,
                                                                  django_capture_on_commit_callbacks):
    claim = scrubbed_claim(case)
    sign_in(client, "billing")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CLAIMS, {"action": "send_claims", "_selected_action": [claim.pk]})
    assert response.status_code == 302
    [made] = ClaimFile.objects.all()
    assert queued == [made.pk]
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED
