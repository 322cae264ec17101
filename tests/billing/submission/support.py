"""Scrubbed claims ready to be written, and the sandbox clearinghouse of this test server
reached over real HTTP requests through pracops.outbound (httpx's WSGI transport into Django)."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from django.test import Client

from billing import services as billing_services
from billing.models import Claim
from pracops import outbound
from priorauth.models import PayerProfile
from tests.billing.factories import approval, practice, price_list, visit

SOON_AFTER = date(2026, 11, 25)
SANDBOX_URL = "http://testserver/sandbox/clearinghouse/"


@pytest.fixture
def case():
    found = practice()
    PayerProfile.objects.create(organization=found.payer, policy_key="commercial")
    price_list(None, {"64483": "950.00", "64493": "600.00"})
    approval(found, units=10)
    return found


def scrubbed_claim(case, *, on: str = "2026-11-20") -> Claim:
    [claim] = billing_services.create_claims_for_encounter(encounter=visit(case, on=on))
    edits = billing_services.scrub_claim(claim=claim, today=SOON_AFTER)
    assert [e.code for e in edits if e.severity == "error"] == []
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SCRUBBED
    return claim


@pytest.fixture
def sandbox(settings):
    """Every outbound request goes to this Django app's sandbox clearinghouse, in-process."""
    settings.BILLING_SANDBOX_CLEARINGHOUSE_URL = SANDBOX_URL
    settings.SANDBOX_CLEARINGHOUSE_ENABLED = True
    with outbound.use_transport(httpx.MockTransport(through_django)):
        yield


def through_django(request: httpx.Request) -> httpx.Response:
    """An outbound request answered by this app, through Django's test client (which keeps the
    test's database connection open, unlike a WSGI server would)."""
    path = request.url.raw_path.decode("ascii")
    headers = {k: v for k, v in request.headers.items()
               if k.lower() not in ("host", "content-length", "content-type", "accept-encoding", "connection")}
    answer = Client().generic(request.method, path, data=request.content,
                              content_type=request.headers.get("content-type", ""), headers=headers)
    return httpx.Response(answer.status_code, content=answer.content,
                          headers={"Content-Type": answer.get("Content-Type", "")})
