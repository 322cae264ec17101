"""A billing claim's FHIR records: written after each change commits, through the real services
(lifecycle, 277CA and 835 posting), read and searched by the EHR at /fhir/, written once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fhir.resources.R4B import get_fhir_model_class

from billing import services as billing_services
from billing.fhir import resources, selectors, services, tasks
from billing.fhir.models import ClaimProjection, ExplanationOfBenefit
from billing.lifecycle import transition
from billing.models import Claim
from billing.remittance.services import read_x12_file, receive_x12_file
from pracops.audit.models import AuditEvent
from pracops.records.models import Claim as ClaimRecord
from pracops.records.models import ClaimResponse, ResourceVersion
from tests.billing.remittance.helpers import accepted, denied, file_277ca, file_835, paid_in_full, rejected
from tests.billing.remittance.helpers import submitted_claims as _submitted

pytestmark = pytest.mark.django_db
S = Claim.Status


def submitted(capture, count: int = 1) -> list[Claim]:
    with capture(execute=True):
        return _submitted(count)


def post(capture, text: str) -> None:
    with capture(execute=True):
        stored, _ = receive_x12_file(text=text, name="answer", source="test")
        assert read_x12_file(file_id=stored.pk, agent="system:test").status == "posted"


def valid(resource: dict) -> dict:
    """The resource, checked against the R4B model of its type (fhir.resources)."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def one(api, resource_type: str, params: dict) -> dict:
    [entry] = api.search(resource_type, params)["entry"]
    return valid(entry["resource"])


def by_identifier(claim: Claim) -> dict:
    return {"identifier": f"{resources.BILLING_CLAIM_SYSTEM}|{claim.public_id}"}


def test_a_claim_accepted_then_paid_is_read_and_searched_by_the_ehr(api, django_capture_on_commit_callbacks):
    [claim] = submitted(django_capture_on_commit_callbacks)
    fhir_claim = one(api, "Claim", by_identifier(claim))
    assert fhir_claim["use"] == "claim" and fhir_claim["status"] == "active"
    assert fhir_claim["patient"]["reference"] == claim.patient.reference
    assert fhir_claim["insurer"]["reference"] == claim.payer.reference
    assert fhir_claim["total"] == {"value": 950.0, "currency": "USD"}
    [item] = fhir_claim["item"]
    assert item["productOrService"]["coding"] == [{"system": "http://www.ama-assn.org/go/cpt", "code": "64483"}]
    assert item["diagnosisSequence"] == [1] and item["servicedDate"] == "2026-11-01"
    assert {"system": resources.PATIENT_CONTROL_NUMBER_SYSTEM, "value": claim.patient_control_number} \
        in fhir_claim["identifier"]
    assert api.search("ClaimResponse", {"request": fhir_claim["id"]})["total"] == 0  # no answer yet

    post(django_capture_on_commit_callbacks, file_277ca([accepted(claim, "ICN-1")]))
    response = one(api, "ClaimResponse", {"request": f"Claim/{fhir_claim['id']}"})
    assert (response["outcome"], response["use"]) == ("queued", "claim")
    assert {"type": {"text": "Payer claim number"}, "value": "ICN-1"} in response["identifier"]

    post(django_capture_on_commit_callbacks, file_835([paid_in_full(claim)]))
    claim.refresh_from_db()
    assert claim.status == S.PAID
    response = one(api, "ClaimResponse", {"request": fhir_claim["id"]})
    assert (response["outcome"], response["disposition"]) == ("complete", "Paid")
    eob = one(api, "ExplanationOfBenefit", {"claim": fhir_claim["id"], "patient": claim.patient.fhir_id})
    assert eob["outcome"] == "complete" and eob["payment"]["amount"] == {"value": 600.0, "currency": "USD"}
    assert eob["payment"]["identifier"]["system"] == resources.TRACE_NUMBER_SYSTEM
    [eob_item] = eob["item"]
    amounts = {(a["category"]["coding"][0]["code"], a.get("reason", {}).get("text")): a["amount"]["value"]
               for a in eob_item["adjudication"]}
    assert amounts == {("submitted", None): 950.0, ("eligible", None): 600.0, ("benefit", None): 600.0,
                       ("CO", "CO-45"): 350.0}
    assert api.search("ExplanationOfBenefit", {"status": "active", "created": "ge2020-01-01"})["total"] == 1
    assert api.get(f"/fhir/ExplanationOfBenefit/{eob['id']}").status_code == 200


def test_projecting_again_writes_no_new_version(django_capture_on_commit_callbacks):
    [claim] = submitted(django_capture_on_commit_callbacks)
    post(django_capture_on_commit_callbacks, file_835([paid_in_full(claim)]))
    versions = ResourceVersion.objects.count()
    events = AuditEvent.objects.count()

    again = services.project_claims(claim_ids=[claim.pk, claim.pk])

    assert again.claims == 1 and set(again.records) == {"unchanged"} and sum(again.records.values()) == 3
    assert ResourceVersion.objects.count() == versions and AuditEvent.objects.count() == events
    assert (ClaimRecord.objects.filter(use="claim").count(), ClaimResponse.objects.count(),
            ExplanationOfBenefit.objects.count()) == (1, 1, 1)


def test_the_system_writes_are_audited_without_a_user(django_capture_on_commit_callbacks):
    [claim] = submitted(django_capture_on_commit_callbacks)
    [event] = AuditEvent.objects.filter(resource_type="Claim")
    assert (event.action, event.source, event.agent_name, event.patient_id, event.user) == (
        "C", "task", "system:billing-fhir", claim.patient.fhir_id, None)


def test_a_denied_claim_has_an_explanation_of_benefit_with_co_197(api, django_capture_on_commit_callbacks):
    [claim] = submitted(django_capture_on_commit_callbacks)
    post(django_capture_on_commit_callbacks, file_835([denied(claim, "197")]))
    eob = one(api, "ExplanationOfBenefit", {"patient": claim.patient.fhir_id})
    reasons = [a["reason"]["coding"][0] for a in eob["item"][0]["adjudication"] if "reason" in a]
    assert reasons == [{"system": "https://x12.org/codes/claim-adjustment-reason-codes", "code": "197"}]
    assert [a["category"]["coding"][0]["code"] for a in eob["item"][0]["adjudication"] if "reason" in a] == ["CO"]
    assert eob["payment"]["amount"]["value"] == 0 and eob["disposition"] == "Denied (CLP02 4)"
    assert one(api, "ClaimResponse", by_identifier(claim))["disposition"] == "Denied"


def test_a_rejected_claim_answers_with_an_error_and_its_codes(api, django_capture_on_commit_callbacks):
    [claim] = submitted(django_capture_on_commit_callbacks)
    post(django_capture_on_commit_callbacks, file_277ca([rejected(claim)]))
    response = one(api, "ClaimResponse", by_identifier(claim))
    assert response["outcome"] == "error" and response["disposition"].startswith("Rejected: A7:562")


def test_drafts_and_scrubbed_claims_are_not_projected(case_claim, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        transition(case_claim, S.SCRUBBED, agent="system:test")
    assert callbacks == []
    assert services.project_claims(claim_ids=[case_claim.pk]).skipped == 1
    assert not ClaimRecord.objects.exists() and not ClaimProjection.objects.exists()


def test_a_file_moving_many_claims_queues_one_callback(django_capture_on_commit_callbacks):
    claims = submitted(django_capture_on_commit_callbacks, 3)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        stored, _ = receive_x12_file(text=file_277ca([accepted(c, f"ICN-{c.pk}") for c in claims]), name="a",
                                     source="test")
        read_x12_file(file_id=stored.pk, agent="system:test")
    projections = [c for c in callbacks if isinstance(c, tasks._PendingProjection)]
    assert [sorted(c.claim_ids) for c in projections] == [sorted(c.pk for c in claims)]


def test_the_sweep_queues_a_claim_whose_projection_was_lost(settings):
    settings.PENDING_WORK_GRACE_SECONDS = 0
    [claim] = _submitted(1)  # its on-commit task never ran: as if the worker died
    assert selectors.stale_claim_ids() == [claim.pk]

    assert tasks.sweep_stale_projections() == 1  # queued (and run here)

    assert ClaimRecord.objects.filter(use="claim").count() == 1
    assert selectors.stale_claim_ids() == []
    transition(claim, S.ACCEPTED, agent="system:test")
    assert selectors.stale_claim_ids() == [claim.pk]
    assert selectors.stale_claim_ids(older_than_seconds=300) == []  # its own task may still come


def test_a_void_cancels_the_claim_it_voids(api, django_capture_on_commit_callbacks):
    [claim] = submitted(django_capture_on_commit_callbacks)
    post(django_capture_on_commit_callbacks, file_277ca([accepted(claim, "ICN-9")]))
    with django_capture_on_commit_callbacks(execute=True):
        void = billing_services.void_claim(claim=claim, reason="billed in error", agent="system:test")
        transition(void, S.SCRUBBED, agent="system:test")
        transition(void, S.SUBMITTED, agent="system:test")
    original = one(api, "Claim", by_identifier(claim))
    voiding = one(api, "Claim", by_identifier(void))
    assert (original["status"], voiding["status"]) == ("cancelled", "cancelled")
    [related] = voiding["related"]
    assert related["claim"] == {"reference": f"Claim/{original['id']}"}
    assert related["reference"] == {"value": "ICN-9"}


def test_a_claim_under_an_authorization_carries_its_number(api, django_capture_on_commit_callbacks):
    from tests.billing.factories import approval, practice, price_list, visit

    case = practice()
    price_list(None, {"64483": "950.00"})
    approval(case, number="AUTH-77001")
    [claim] = billing_services.create_claims_for_encounter(encounter=visit(case), agent="system:test")
    with django_capture_on_commit_callbacks(execute=True):
        transition(claim, S.SCRUBBED, agent="system:test")
        transition(claim, S.SUBMITTED, agent="system:test")
    [insurance] = one(api, "Claim", by_identifier(claim))["insurance"]
    assert insurance == {"sequence": 1, "focal": True, "coverage": {"reference": claim.coverage.reference},
                         "preAuthRef": ["AUTH-77001"]}


@pytest.fixture
def case_claim(db):
    from tests.billing.factories import practice, price_list, visit

    case = practice()
    price_list(None, {"64483": "950.00"})
    [claim] = billing_services.create_claims_for_encounter(encounter=visit(case), agent="system:test")
    return claim
