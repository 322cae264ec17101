"""The sandbox payer over real HTTP (a live server), as PracOps' PAS adapter and a payer's clients see it."""

import time

import httpx
import pytest

from sandbox.payer import services
from sandbox.payer.models import SandboxClaim
from tests.sandbox.payer.conftest import (
    CONFORMANT_REQUESTS,
    claim_response_of,
    pas_fixture,
    review_action,
    subscription_for,
    with_identifier,
    with_service,
)

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]
HEADERS = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}


@pytest.fixture
def base(live_server):
    return f"{live_server.url}/sandbox/payer/fhir/"


def post(url: str, body: dict, timeout: float = 10) -> httpx.Response:
    return httpx.post(url, json=body, headers=HEADERS, timeout=timeout)


@pytest.mark.parametrize("name", CONFORMANT_REQUESTS)
def test_conformant_requests_get_a_response_bundle_over_http(base, name):
    response = post(base + "Claim/$submit", pas_fixture(name))

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    claim_response = claim_response_of(response.json())
    assert {review_action(i)["code"] for i in claim_response["item"]} == {"A1"}
    assert response.json()["entry"][0]["fullUrl"].startswith(base + "ClaimResponse/")


@pytest.mark.parametrize("name, words", [
    ("nonconformant_pas_bundle_v110.json", "holds the Claim as its first entry"),
    ("missing_referenced_resource_request_bundle.json", "Practitioner/ReferralPractitionerExample is not in the Bundle"),
    ("pas_claim.json", "must be a PAS request Bundle"),
])
def test_nonconformant_requests_get_an_operation_outcome_over_http(base, name, words):
    response = post(base + "Claim/$submit", pas_fixture(name))

    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
    assert words in response.text


def test_the_inquiry_fixture_finds_the_submitted_request_over_http(base):
    post(base + "Claim/$submit", pas_fixture("conformant_pas_bundle_v110.json"))

    response = post(base + "Claim/$inquire", pas_fixture("conformant_pas_inquire_bundle_v110.json"))

    assert response.status_code == 200, response.text
    assert claim_response_of(response.json())["outcome"] == "complete"


def test_a_pended_request_is_decided_and_notified_over_http(base, receiver):
    services.set_rule(code="64483", action="pend", pend_seconds=0, then="deny", reason_code="0U",
                      reason_text="Imaging not documented")
    assert httpx.post(base + "Subscription", json=subscription_for(receiver.url), headers=HEADERS).status_code == 201
    request = with_identifier(with_service(pas_fixture("conformant_pas_bundle_v110.json"), "64483"), "REQ-live")

    first = claim_response_of(post(base + "Claim/$submit", request).json())
    services.decide_due_claims()

    assert review_action(first["item"][0])["code"] == "A4"
    decided = receiver.received[0]["body"]["entry"][1]["resource"]
    assert review_action(decided["item"][0]) == {"code": "A3", "reasons": ["0U"]}
    read = httpx.get(base + f"ClaimResponse/{first['id']}")
    assert review_action(read.json()["item"][0])["code"] == "A3"


@pytest.mark.parametrize("status", [500, 503])
def test_an_injected_error_answers_the_next_requests_then_stops(base, status):
    services.inject_fault("submit", str(status), times=2)
    request = with_identifier(pas_fixture("conformant_pas_bundle_v110.json"), "REQ-fault")

    answers = [post(base + "Claim/$submit", request).status_code for _ in range(3)]

    assert answers == [status, status, 200]
    assert len(services.receipts_for("REQ-fault")) == 1  # refused requests never reached the claims desk


def test_a_slow_answer_times_the_client_out_but_the_payer_received_the_request_once(base):
    services.inject_fault("submit", "delay", delay_seconds=1.5)
    request = with_identifier(pas_fixture("conformant_pas_bundle_v110.json"), "REQ-slow")

    with pytest.raises(httpx.ReadTimeout):
        post(base + "Claim/$submit", request, timeout=0.5)
    time.sleep(1.2)  # the server thread answers into the closed connection before the test ends

    assert len(services.receipts_for("REQ-slow")) == 1
    again = post(base + "Claim/$submit", request)
    assert again.status_code == 200
    assert SandboxClaim.objects.filter(identifier_value="REQ-slow").count() == 1
    assert len(services.receipts_for("REQ-slow")) == 2


def test_faults_target_one_operation(base):
    services.inject_fault("inquire", "503")

    assert post(base + "Claim/$submit", pas_fixture("conformant_pas_bundle_v110.json")).status_code == 200
    assert post(base + "Claim/$inquire", pas_fixture("conformant_pas_inquire_bundle_v110.json")).status_code == 503
    assert post(base + "Claim/$inquire", pas_fixture("conformant_pas_inquire_bundle_v110.json")).status_code == 200
