"""Claims in every state, and remittances posted to them, for the billing API's tests.

Remittance rows are made directly (the posting services are another part's): what an 835 reader
would leave after posting one CLP with one SVC and its CAS adjustments."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from billing import services
from billing.models import Claim
from billing.remittance.models import ClaimPayment, PaymentAdjustment, Remittance, ServiceLinePayment, X12File
from tests.billing.factories import practice, price_list, visit
from tests.factories import ApiClientFactory

S = Claim.Status
PATHS = {
    S.DRAFT: (), S.SCRUBBED: (S.SCRUBBED,), S.SUBMITTED: (S.SCRUBBED, S.SUBMITTED),
    S.ACCEPTED: (S.SCRUBBED, S.SUBMITTED, S.ACCEPTED), S.REJECTED: (S.SCRUBBED, S.SUBMITTED, S.REJECTED),
    S.PAID: (S.SCRUBBED, S.SUBMITTED, S.ACCEPTED, S.PAID),
    S.PARTIALLY_PAID: (S.SCRUBBED, S.SUBMITTED, S.ACCEPTED, S.PARTIALLY_PAID),
    S.DENIED: (S.SCRUBBED, S.SUBMITTED, S.ACCEPTED, S.DENIED), S.CLOSED: (S.CLOSED,),
}


@pytest.fixture
def case(db):
    found = practice()
    price_list(None, {"64483": "950.00", "64484": "400.00", "64493": "800.00"})
    return found


def claim_in(case, status: str = S.DRAFT, *, on: str = "2026-11-20", cpt: str = "64483") -> Claim:
    """A claim for a new visit on ``on``, moved to ``status`` through the lifecycle."""
    [claim] = services.create_claims_for_encounter(encounter=visit(case, on=on, procedures=((cpt, "left"),)))
    for step in PATHS[status]:
        claim = services.move_claim(claim=claim, to=step, reason="test", agent="system:test")
    return Claim.objects.get(pk=claim.pk)


def remit(claim: Claim, *, paid: str, adjustments: tuple[tuple[str, str, str], ...] = (),
          paid_on: date = date(2026, 12, 1), status_code: str = "1", remarks: tuple[str, ...] = ()) -> ClaimPayment:
    """One posted CLP for ``claim`` paying ``paid`` on its first line, with line CAS ``(group, carc, amount)``."""
    text = f"ISA*{uuid.uuid4()}~"
    x12 = X12File.objects.create(sha256=hashlib.sha256(text.encode()).hexdigest(), source="test", kind="835",
                                 status=X12File.Status.POSTED, text=text)
    remittance = Remittance.objects.create(file=x12, set_control_number="0001", payer=claim.payer,
                                           payer_name=claim.payer.name[:60], trace_number=uuid.uuid4().hex[:12],
                                           payment_method="ACH", payment_date=paid_on, total_paid=Decimal(paid))
    line = claim.lines.order_by("number").first()
    payment = ClaimPayment.objects.create(
        remittance=remittance, position=1, claim=claim, patient_control_number=claim.patient_control_number,
        status_code=status_code, charge=claim.total_charge, paid=Decimal(paid), payer_claim_number="PCN-1",
        remarks=list(remarks))
    service = ServiceLinePayment.objects.create(
        claim_payment=payment, position=1, line=line, procedure_code=line.procedure_code, charge=line.charge,
        paid=Decimal(paid), line_control_number=line.control_number, remarks=["N130"])
    for group, carc, amount in adjustments:
        PaymentAdjustment.objects.create(claim_payment=payment, service_line=service, group=group, reason=carc,
                                         amount=Decimal(amount))
    return payment


class BillingApi:
    """The Django test client with one API client's bearer token."""

    def __init__(self, role: str):
        self.client = Client()
        self.api_client = ApiClientFactory(role=role)
        self.headers = {"Authorization": self.api_client.authorization}

    def get(self, path: str, params: dict | None = None):
        return self.client.get(path, params or {}, headers=self.headers)

    def post(self, path: str, body: dict | None = None):
        return self.client.post(path, body or {}, content_type="application/json", headers=self.headers)


@pytest.fixture
def billing(db) -> BillingApi:
    return BillingApi("billing")


@pytest.fixture
def front_office(db) -> BillingApi:
    return BillingApi("front_office")
