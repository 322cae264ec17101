"""``manage.py load_demo``'s claims (billing.demo): the demo encounters billed and round-tripped
through the sandbox clearinghouse, each claim in the state the real services give it, and a second
load that changes nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from billing.models import Claim, ClaimEdit, ClaimStatusChange
from billing.remittance.models import ClaimPayment, PaymentAdjustment, X12File
from billing.submission.models import ClaimFile
from pracops.records.demo import demo_fhir_id
from priorauth.models import PriorAuthorization

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not (settings.SANDBOX_CLEARINGHOUSE_ENABLED and getattr(settings, "SANDBOX_PAYER_ENABLED", False)),
                       reason="the demo's claims need the sandbox payer and clearinghouse"),
]


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", "--quiet-logins", stdout=out)
    return out.getvalue()


def claim_of(procedure_key: str) -> Claim:
    return Claim.objects.get(encounter__fhir_id=demo_fhir_id("encounter", procedure_key))


def everything_billed() -> dict[str, list]:
    return {
        "claims": sorted(Claim.objects.values_list("pk", "status", "total_charge", "payer_claim_number", "updated_at")),
        "history": sorted(ClaimStatusChange.objects.values_list("pk", "claim_id", "to_status")),
        "edits": sorted(ClaimEdit.objects.values_list("pk", "claim_id", "code")),
        "files sent": sorted(ClaimFile.objects.values_list("pk", "status")),
        "files received": sorted(X12File.objects.values_list("pk", "status")),
        "payments": sorted(ClaimPayment.objects.values_list("pk", "claim_id", "paid")),
    }


def test_the_demo_claims_end_in_the_states_the_sandbox_clearinghouse_gives_them():
    output = load_demo()

    chen = claim_of("chen-mbb")
    approval = PriorAuthorization.objects.get(service_request__fhir_id=demo_fhir_id("order", "p2"))
    assert approval.status == PriorAuthorization.Status.APPROVED
    assert chen.status == Claim.Status.PAID
    assert chen.prior_authorization_id == approval.pk and chen.prior_authorization_number == approval.auth_number
    assert approval.valid_from <= chen.service_date <= approval.valid_until
    sent = ClaimFile.objects.get(entries__claim=chen).text
    assert f"REF*G1*{approval.auth_number}~" in sent
    [paid] = ClaimPayment.objects.filter(claim=chen)
    assert paid.paid > 0 and list(paid.adjustments.values_list("group", "reason")) == [("CO", "45")]

    novak = claim_of("novak-esi")
    assert novak.status == Claim.Status.DENIED and novak.prior_authorization_number == ""
    assert "REF*G1" not in ClaimFile.objects.get(entries__claim=novak).text.split("CLM*" + novak.patient_control_number)[1]
    [denial] = PaymentAdjustment.objects.filter(claim_payment__claim=novak)
    assert (denial.group, denial.reason, denial.amount) == ("CO", "197", novak.total_charge)

    held = claim_of("okafor-sij")
    assert held.status == Claim.Status.DRAFT and not held.file_entries.exists()
    assert list(held.edits.filter(severity="error").values_list("code", flat=True)) == ["authorization-missing"]

    waiting = claim_of("okafor-visit")
    assert waiting.status == Claim.Status.ACCEPTED and waiting.payer_claim_number
    assert not ClaimPayment.objects.filter(claim=waiting).exists()

    assert "Paid" in output and "CO-197 $850.00" in output and "held by 1 scrubber edit" in output


def test_loading_the_demo_again_changes_no_claim():
    load_demo()
    first = everything_billed()

    output = load_demo()

    assert everything_billed() == first
    assert output.count("Accepted by payer") == 1
