"""ExplanationOfBenefit (and the billing Claim) through /fhir/: who may read them, what a bad
request gets, and /metadata."""

from __future__ import annotations

import pytest

from billing.fhir import services
from billing.fhir.models import ExplanationOfBenefit
from pracops.records.models import Claim as ClaimRecord
from tests.billing.remittance.helpers import file_835, paid_in_full
from tests.billing.remittance.helpers import submitted_claims as _submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(db):
    """A claim paid by an 835, projected: (its FHIR Claim id, its ExplanationOfBenefit id)."""
    from billing.remittance.services import read_x12_file, receive_x12_file

    [claim] = _submitted(1)
    stored, _ = receive_x12_file(text=file_835([paid_in_full(claim)]), name="835", source="test")
    read_x12_file(file_id=stored.pk, agent="system:test")
    services.project_claims(claim_ids=[claim.pk])
    return ClaimRecord.objects.get(use="claim").fhir_id, ExplanationOfBenefit.objects.get().fhir_id


@pytest.mark.parametrize("role, claim_status, eob_status", [
    ("integration", 200, 200), ("billing", 200, 200), ("front_office", 200, 200),
    # Clinicians read claim status (as for prior authorizations), not payments (minimum necessary).
    ("clinician", 200, 403), ("auditor", 403, 403),
])
def test_who_reads_a_claim_and_its_explanation_of_benefit(api_as, paid, role, claim_status, eob_status):
    claim_id, eob_id = paid
    api = api_as(role)
    assert api.get(f"/fhir/Claim/{claim_id}").status_code == claim_status
    assert api.get(f"/fhir/ExplanationOfBenefit/{eob_id}").status_code == eob_status
    assert api.get("/fhir/ExplanationOfBenefit", {"claim": claim_id}).status_code == eob_status


@pytest.mark.parametrize("role", ["integration", "billing", "front_office"])
def test_nobody_writes_an_explanation_of_benefit_through_the_api(api_as, paid, role):
    _, eob_id = paid
    api = api_as(role)
    current = api.get(f"/fhir/ExplanationOfBenefit/{eob_id}").json()
    for response in (api.post("/fhir/ExplanationOfBenefit", {k: v for k, v in current.items() if k != "id"}),
                     api.put(f"/fhir/ExplanationOfBenefit/{eob_id}", current),
                     api.delete(f"/fhir/ExplanationOfBenefit/{eob_id}")):
        assert response.status_code == 403
        assert response.json()["resourceType"] == "OperationOutcome"
    assert api.get(f"/fhir/ExplanationOfBenefit/{eob_id}").json()["meta"]["versionId"] == "1"


@pytest.mark.parametrize("params, headers, status", [
    ({"created": "yesterday"}, {}, 400),
    ({"claim": "Patient/1"}, {}, 400),
    ({"bad": "1"}, {"Prefer": "handling=strict"}, 400),
])
def test_a_bad_search_is_an_operation_outcome(api, paid, params, headers, status):
    response = api.get("/fhir/ExplanationOfBenefit", params, **headers)
    assert response.status_code == status
    assert response.json()["resourceType"] == "OperationOutcome"


def test_an_unknown_id_is_not_found(api, paid):
    response = api.get("/fhir/ExplanationOfBenefit/no-such-id")
    assert response.status_code == 404 and response.json()["resourceType"] == "OperationOutcome"


def test_the_capability_statement_lists_explanation_of_benefit_read_only(anonymous):
    statement = anonymous.get("/fhir/metadata").json()
    [eob] = [r for r in statement["rest"][0]["resource"] if r["type"] == "ExplanationOfBenefit"]
    assert {p["name"] for p in eob["searchParam"]} >= {"patient", "claim", "created", "status", "identifier"}
    assert {i["code"] for i in eob["interaction"]} == {"read", "vread", "search-type", "history-instance",
                                                       "history-type"}
    claim_param = next(p for p in eob["searchParam"] if p["name"] == "claim")
    assert claim_param["definition"] == "http://hl7.org/fhir/SearchParameter/ExplanationOfBenefit-claim"
