"""The suspense queue: a payment that matched no claim is matched by staff (it posts) or
dismissed, each once; in the admin, billing works it and sees files' text, others do not."""

from __future__ import annotations

import pytest

from billing.models import Claim, ClaimStatusChange
from billing.remittance import services
from billing.remittance.models import ClaimPayment, X12File
from pracops.audit.models import AuditEvent
from tests.billing.remittance.helpers import accepted, file_277ca, file_835, paid_in_full, submitted_claims
from tests.billing.test_admin import sign_in

pytestmark = pytest.mark.django_db
PAYMENTS = "/admin/billing_remittance/claimpayment/"
FILES = "/admin/billing_remittance/x12file/"


def suspended(claim: Claim) -> ClaimPayment:
    """The claim's payment sent under a control number the payer garbled: in suspense."""
    from dataclasses import replace

    payment = replace(paid_in_full(claim), claim_id="GARBLED01")
    for text in (file_277ca([accepted(claim)]), file_835([payment])):
        stored, _ = services.receive_x12_file(text=text, name="f", source="test")
        services.read_x12_file(file_id=stored.pk)
    return ClaimPayment.objects.get(suspense=ClaimPayment.Suspense.OPEN)


def test_matching_posts_the_payment_to_the_claim_once(django_user_model):
    [claim] = submitted_claims(1)
    item = suspended(claim)
    user = django_user_model.objects.create_user("biller")

    services.match_suspended_payment(claim_payment_id=item.pk, claim_id=claim.pk, user=user, note="typo in CLP01")
    again = services.match_suspended_payment(claim_payment_id=item.pk, claim_id=claim.pk, user=user, note="again")

    claim.refresh_from_db()
    assert claim.status == Claim.Status.PAID and claim.history.filter(to_status="paid").count() == 1
    change = claim.history.latest("pk")
    assert change.source == ClaimStatusChange.Source.USER and "matched from suspense" in change.source_reference
    assert (again.suspense, again.claim_id, again.resolved_by, again.resolution_note) == \
        (ClaimPayment.Suspense.MATCHED, claim.pk, user, "typo in CLP01")
    assert again.service_lines.get().line == claim.lines.get()
    assert AuditEvent.objects.filter(resource_id=str(claim.public_id), subtype="post").count() == 1


def test_a_dismissed_payment_cannot_be_matched_and_dismissing_twice_is_one(django_user_model):
    [claim] = submitted_claims(1)
    item = suspended(claim)
    user = django_user_model.objects.create_user("biller")

    services.dismiss_suspended_payment(claim_payment_id=item.pk, user=user, note="not ours")
    services.dismiss_suspended_payment(claim_payment_id=item.pk, user=user, note="twice")

    item.refresh_from_db()
    assert (item.suspense, item.resolution_note) == (ClaimPayment.Suspense.DISMISSED, "not ours")
    with pytest.raises(services.SuspenseError, match="not in suspense"):
        services.match_suspended_payment(claim_payment_id=item.pk, claim_id=claim.pk, user=user)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.ACCEPTED


def test_matching_to_a_claim_that_does_not_exist_is_refused_and_nothing_changes(django_user_model):
    [claim] = submitted_claims(1)
    item = suspended(claim)

    with pytest.raises(services.SuspenseError, match="no such claim"):
        services.match_suspended_payment(claim_payment_id=item.pk, claim_id=10**9, user=None)
    item.refresh_from_db()
    assert item.suspense == ClaimPayment.Suspense.OPEN and item.claim is None


def test_billing_matches_a_suspense_item_in_the_admin(client):
    [claim] = submitted_claims(1)
    item = suspended(claim)
    sign_in(client, "billing")

    assert client.get(f"{PAYMENTS}?suspense=open").status_code == 200
    response = client.post(PAYMENTS, {"action": "match_to_claim", "_selected_action": [item.pk],
                                      "claim": claim.patient_control_number, "note": "found it"})

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.suspense == ClaimPayment.Suspense.MATCHED and item.claim == claim


def test_only_billing_sees_a_files_text(client):
    [claim] = submitted_claims(1)
    suspended(claim)
    stored = X12File.objects.filter(kind="835").get()
    sign_in(client, "billing")
    assert b"CLP*GARBLED01*" in client.get(f"{FILES}{stored.pk}/change/").content
    assert client.post(f"{FILES}{stored.pk}/change/", {}).status_code == 403

    sign_in(client, "front_office")
    assert client.get(f"{FILES}{stored.pk}/change/").status_code == 403
    assert client.get(PAYMENTS).status_code == 403
