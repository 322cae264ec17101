"""Pended requests: A4 at once, decided after their delay (lazily on $inquire, or by the beat task)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sandbox.payer import services
from sandbox.payer.models import SandboxClaim
from tests.sandbox.payer.conftest import claim_response_of, pas_fixture, review_action, with_identifier, with_service

INQUIRY = "conformant_pas_inquire_bundle_v110.json"


def pended_request(payer, *, then="approve", seconds=60, identifier="REQ-pend"):
    services.set_rule(name="pend 64483", code="64483", action="pend", pend_seconds=seconds, then=then,
                      reason_code="0U" if then == "deny" else "")
    request = with_identifier(with_service(pas_fixture("conformant_pas_bundle_v110.json"), "64483"), identifier)
    return claim_response_of(payer.submit(request).json())


def inquiry(identifier="REQ-pend", *, member=None, provider=None):
    bundle = with_identifier(pas_fixture(INQUIRY), identifier)
    entries = {e["resource"]["resourceType"] + "/" + e["resource"]["id"]: e["resource"] for e in bundle["entry"]}
    if member:
        entries["Patient/SubscriberExample"]["identifier"][0]["value"] = member
    if provider:
        entries["Organization/UMOExample"]["identifier"][0]["value"] = provider
    return bundle


def test_a_pend_rule_answers_pended_without_an_authorization(payer):
    claim_response = pended_request(payer)

    assert claim_response["outcome"] == "queued"
    assert review_action(claim_response["item"][0])["code"] == "A4"
    assert "preAuthRef" not in claim_response
    assert SandboxClaim.objects.get().status == SandboxClaim.PENDED


def test_an_inquiry_before_the_delay_still_finds_it_pended(payer):
    pended_request(payer)

    response = payer.inquire(inquiry())

    assert response.status_code == 200, response.content
    bundle = response.json()
    assert bundle["meta"]["profile"][0].endswith("profile-pas-inquiry-response-bundle")
    assert review_action(claim_response_of(bundle)["item"][0])["code"] == "A4"
    assert len(services.receipts_for("REQ-pend", "inquire")) == 1


def test_an_inquiry_after_the_delay_gets_the_decision(payer):
    pended_request(payer, seconds=0)

    claim_response = claim_response_of(payer.inquire(inquiry()).json())

    assert claim_response["outcome"] == "complete"
    assert review_action(claim_response["item"][0])["code"] == "A1"
    assert claim_response["preAuthRef"] == SandboxClaim.objects.get().auth_number
    # The stored answer moved on too: the same request submitted again gets the decision.
    again = payer.submit(with_identifier(with_service(pas_fixture("conformant_pas_bundle_v110.json"), "64483"),
                                         "REQ-pend")).json()
    assert review_action(claim_response_of(again)["item"][0])["code"] == "A1"


def test_a_pended_request_can_end_denied(payer):
    pended_request(payer, seconds=0, then="deny")

    claim_response = claim_response_of(payer.inquire(inquiry()).json())

    assert review_action(claim_response["item"][0]) == {"code": "A3", "reasons": ["0U"]}


@pytest.mark.parametrize("change", [
    {"identifier": "REQ-unknown"}, {"member": "99999999999"}, {"provider": "1111111111"},
])
def test_an_inquiry_for_an_unknown_request_patient_or_provider_is_not_found(payer, change):
    pended_request(payer)

    response = payer.inquire(inquiry(**change))

    assert response.status_code == 404
    assert response.json()["issue"][0]["code"] == "not-found"


def test_an_inquiry_by_the_payers_tracking_number_finds_the_request(payer):
    tracking = pended_request(payer)["id"]

    response = payer.inquire(inquiry(tracking))

    assert response.status_code == 200
    assert claim_response_of(response.json())["id"] == tracking


def test_a_malformed_inquiry_is_refused(payer):
    response = payer.inquire(pas_fixture("nonconformant_pas_bundle_v110.json"))

    assert response.status_code == 400
    assert "PAS inquiry Bundle" in response.json()["issue"][0]["diagnostics"]


def test_deciding_due_claims_leaves_the_others_pended(payer):
    pended_request(payer, seconds=0, identifier="REQ-due")
    pended_request(payer, seconds=3600, identifier="REQ-later")

    assert services.decide_due_claims() == 1
    assert dict(SandboxClaim.objects.values_list("identifier_value", "status")) == {
        "REQ-due": "decided", "REQ-later": "pended"}
    assert services.decide_due_claims(now=timezone.now() + timedelta(hours=2)) == 1
    assert services.decide_due_claims(now=timezone.now() + timedelta(hours=2)) == 0
