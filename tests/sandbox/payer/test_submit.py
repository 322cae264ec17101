"""POST Claim/$submit over the test client: the Inferno PAS fixtures, the response's shape, rules."""

import pytest

from sandbox.payer import services
from sandbox.payer.models import SandboxClaim
from tests.sandbox.payer.conftest import (
    CONFORMANT_REQUESTS,
    claim_response_of,
    pas_fixture,
    review_action,
    with_identifier,
    with_service,
)


@pytest.mark.parametrize("name", CONFORMANT_REQUESTS)
def test_a_conformant_request_bundle_gets_a_pas_response_bundle(payer, name):
    request = pas_fixture(name)

    response = payer.submit(request)

    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    bundle = response.json()
    claim_response = claim_response_of(bundle)
    claim = request["entry"][0]["resource"]
    assert claim_response["request"]["identifier"]["value"] == claim["identifier"][0]["value"]
    assert claim_response["use"] == "preauthorization"
    assert claim_response["outcome"] == "complete"
    assert [i["itemSequence"] for i in claim_response["item"]] == [i["sequence"] for i in claim["item"]]
    assert all(review_action(item)["code"] == "A1" for item in claim_response["item"])
    assert claim_response["preAuthRef"].startswith("SBX")
    assert claim_response["preAuthPeriod"]["start"] <= claim_response["preAuthPeriod"]["end"]
    # Every reference of the ClaimResponse resolves inside the response Bundle.
    urls = {entry["fullUrl"] for entry in bundle["entry"]}
    base = bundle["entry"][1]["fullUrl"].rsplit("/", 2)[0] + "/" if "://" in bundle["entry"][1]["fullUrl"] else ""
    for element in ("patient", "insurer", "requestor"):
        reference = claim_response[element]["reference"]
        assert reference in urls or base + reference in urls


def test_the_response_carries_the_payers_tracking_identifier_and_is_valid_r4(payer):
    from pracops.fhir.validation import validation_issues

    bundle = payer.submit(pas_fixture("conformant_pas_bundle_v110.json")).json()

    claim_response = claim_response_of(bundle)
    tracking = claim_response["identifier"][0]
    stored = SandboxClaim.objects.get()
    assert tracking["value"] == stored.tracking_id == claim_response["id"]
    assert bundle["entry"][0]["fullUrl"] == f"http://testserver/sandbox/payer/fhir/ClaimResponse/{stored.tracking_id}"
    assert validation_issues(bundle) == []


def test_the_nonconformant_bundle_without_a_claim_is_refused_with_an_operation_outcome(payer):
    response = payer.submit(pas_fixture("nonconformant_pas_bundle_v110.json"))

    assert response.status_code == 400
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert "first entry" in outcome["issue"][0]["diagnostics"]
    assert "no entries" in outcome["issue"][0]["diagnostics"]
    assert not SandboxClaim.objects.exists()


def test_a_bundle_missing_a_referenced_resource_is_refused_naming_the_reference(payer):
    response = payer.submit(pas_fixture("missing_referenced_resource_request_bundle.json"))

    assert response.status_code == 400
    issues = response.json()["issue"]
    assert [i["code"] for i in issues] == ["not-found"]
    assert "Practitioner/ReferralPractitionerExample is not in the Bundle" in issues[0]["diagnostics"]
    assert issues[0]["expression"] == ["Claim.careTeam[0].provider"]
    assert not SandboxClaim.objects.exists()


def test_a_bare_claim_is_not_a_request_bundle(payer):
    response = payer.submit(pas_fixture("pas_claim.json"))

    assert response.status_code == 400
    assert "must be a PAS request Bundle" in response.json()["issue"][0]["diagnostics"]


@pytest.mark.parametrize("change, expected", [
    (lambda claim: claim.update(use="claim"), "Claim.use must be 'preauthorization'"),
    (lambda claim: claim.pop("insurer"), "Claim.insurer is required"),
    (lambda claim: claim.pop("identifier"), "Claim.identifier is required"),
    (lambda claim: claim["item"][0].pop("productOrService"), "productOrService"),
    (lambda claim: claim.update(patient={"reference": "Organization/InsurerExample"}),
     "Claim.patient must reference a Patient"),
    (lambda claim: claim.update(status="sometimes"), "Claim.status"),
])
def test_a_claim_that_breaks_the_pas_profile_is_refused(payer, change, expected):
    request = pas_fixture("conformant_pas_bundle_v110.json")
    change(request["entry"][0]["resource"])

    response = payer.submit(request)

    assert response.status_code == 400
    assert expected in " ".join(i["diagnostics"] for i in response.json()["issue"])


def test_a_bundle_that_is_not_a_collection_is_refused(payer):
    request = pas_fixture("conformant_pas_bundle_v110.json")
    request["type"] = "transaction"

    response = payer.submit(request)

    assert response.status_code == 400
    assert "Bundle.type must be 'collection'" in response.json()["issue"][0]["diagnostics"]


def test_a_claim_not_first_is_refused(payer):
    request = pas_fixture("conformant_pas_bundle_v110.json")
    request["entry"].append(request["entry"].pop(0))

    response = payer.submit(request)

    assert response.status_code == 400
    assert "first entry of a PAS request Bundle must be the Claim, not Organization" in response.content.decode()


def test_a_body_that_is_not_json_or_not_fhir_json_is_refused(payer):
    assert payer.post("Claim/$submit", "{not json").status_code == 400
    response = payer.post("Claim/$submit", "<Bundle/>", content_type="application/xml")
    assert response.status_code == 415
    assert response.json()["resourceType"] == "OperationOutcome"


def test_the_same_claim_identifier_twice_gets_the_stored_answer_and_both_receipts_count(payer):
    request = with_identifier(pas_fixture("conformant_pas_bundle_v110.json"), "REQ-twice")

    first = payer.submit(request).json()
    second = payer.submit(request).json()

    assert second == first
    assert SandboxClaim.objects.count() == 1
    assert len(services.receipts_for("REQ-twice")) == 2
    assert services.receipts_for("REQ-other") == []


def test_a_deny_rule_answers_not_certified_with_its_reason(payer):
    services.set_rule(code="64483", action="deny", reason_code="0U", reason_text="Conservative care not documented")
    request = with_service(pas_fixture("conformant_pas_bundle_v110.json"), "64483")

    claim_response = claim_response_of(payer.submit(request).json())

    action = review_action(claim_response["item"][0])
    assert action["code"] == "A3"
    assert action["reasons"] == ["0U"]
    assert "number" not in action
    assert "preAuthRef" not in claim_response
    assert "Conservative care not documented" in claim_response["processNote"][0]["text"]


def test_an_approve_rule_granting_fewer_units_answers_modified(payer):
    services.set_rule(code="64635", action="approve", approved_units=1, period_days=30)
    request = with_service(pas_fixture("conformant_pas_bundle_v110.json"), "64635", units=2)

    claim_response = claim_response_of(payer.submit(request).json())

    item = claim_response["item"][0]
    assert review_action(item)["code"] == "A6"
    assert review_action(item)["number"] == claim_response["preAuthRef"]
    detail = next(e for e in item["extension"] if e["url"].endswith("extension-itemAuthorizedDetail"))
    assert {"url": "quantity", "valueQuantity": {"value": 1}} in detail["extension"]
    period = next(e for e in item["extension"] if e["url"].endswith("extension-itemPreAuthPeriod"))["valuePeriod"]
    from datetime import date
    assert (date.fromisoformat(period["end"]) - date.fromisoformat(period["start"])).days == 29


def test_rules_match_by_member_id(payer):
    services.set_rule(member_id="12345678901", action="deny", reason_code="0L")
    services.set_rule(member_id="someone-else", action="approve", priority=1)

    claim_response = claim_response_of(payer.submit(pas_fixture("conformant_pas_bundle_v110.json")).json())

    assert review_action(claim_response["item"][0])["code"] == "A3"


def test_items_decided_apart_make_a_partial_answer(payer):
    services.set_rule(code="64483", action="deny", reason_code="0U")
    request = with_service(with_service(pas_fixture("conformant_pas_bundle_v110_multiple_items.json"), "64483"),
                           "64490", item=1)

    claim_response = claim_response_of(payer.submit(request).json())

    assert [review_action(i)["code"] for i in claim_response["item"]] == ["A3", "A1"]
    assert claim_response["disposition"] == "Certified in part"
    assert claim_response["preAuthRef"]
