"""Claim and ClaimResponse: a prior authorization's Da Vinci PAS pair as core records.

The workflow stores them as the system (``store_by_identifier``); the EHR and staff read and
search them over the FHIR API, and no role writes them.
"""

from __future__ import annotations

import copy
import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from pracops.audit.models import AuditEvent
from pracops.fhir.mapping import MAPPERS, MappingError
from pracops.records import models
from pracops.records.services import store_by_identifier, update_resource
from tests.factories import (
    CoverageFactory,
    OrganizationFactory,
    PatientFactory,
    PractitionerFactory,
    ServiceRequestFactory,
    reference,
)

pytestmark = pytest.mark.django_db

PAS_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pas"
REQUEST_ID_SYSTEM = "urn:pracops:prior-authorization"
READERS = ["integration", "front_office", "clinician", "billing"]


def inferno_claim() -> dict:
    return json.loads((PAS_FIXTURES / "pas_claim.json").read_text())


def inferno_claim_response() -> dict:
    bundle = json.loads((PAS_FIXTURES / "valid_pa_response_bundle.json").read_text())
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "ClaimResponse")


def put_at(resource: dict, fhir_id: str) -> None:
    update_resource(resource_type=resource["resourceType"], fhir_id=fhir_id, resource={**resource, "id": fhir_id})


def store_inferno_references() -> None:
    """The records the Inferno Claim and ClaimResponse refer to, at the ids they use."""
    put_at(PatientFactory.build(), "SubscriberExample")
    put_at(OrganizationFactory.build(payer=True), "InsurerExample")
    put_at(OrganizationFactory.build(), "UMOExample")
    put_at(PractitionerFactory.build(), "ReferralPractitionerExample")
    put_at(CoverageFactory.build(patient={"resourceType": "Patient", "id": "SubscriberExample"},
                                 payer={"resourceType": "Organization", "id": "InsurerExample"}), "InsuranceExample")
    put_at(ServiceRequestFactory.build(patient={"resourceType": "Patient", "id": "SubscriberExample"}),
           "ReferralRequestExample")


def pas_claim(*, patient: dict, coverage: dict, insurer: dict, provider: dict, request_id: str = "PA-1",
              created: str = "2026-06-01T09:00:00Z", use: str = "preauthorization") -> dict:
    """A PAS-shaped Claim as the workflow builds it: the prior authorization's id as identifier."""
    return {
        "resourceType": "Claim", "status": "active", "use": use,
        "identifier": [{"system": REQUEST_ID_SYSTEM, "value": request_id}],
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}]},
        "patient": reference(patient), "created": created, "insurer": reference(insurer),
        "provider": reference(provider),
        "priority": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/processpriority", "code": "normal"}]},
        "insurance": [{"sequence": 1, "focal": True, "coverage": reference(coverage)}],
        "item": [{"sequence": 1, "productOrService": {"coding": [{"system": "http://www.ama-assn.org/go/cpt",
                                                                  "code": "64483"}]},
                  "quantity": {"value": 1}}],
        "total": {"value": 1250.5, "currency": "USD"},
    }


def pas_claim_response(*, claim: dict, outcome: str = "complete", auth_number: str = "AUTH-77",
                       request_id: str = "PA-1") -> dict:
    return {
        "resourceType": "ClaimResponse", "status": "active", "use": claim["use"], "outcome": outcome,
        "identifier": [{"system": REQUEST_ID_SYSTEM, "value": request_id}],
        "type": claim["type"], "patient": claim["patient"], "insurer": claim["insurer"],
        "request": {"reference": f"Claim/{claim['id']}"}, "created": "2026-06-02T10:00:00Z",
        "disposition": "Certified in total", "preAuthRef": auth_number,
        "preAuthPeriod": {"start": "2026-06-02", "end": "2026-08-31"},
    }


@pytest.fixture
def pair() -> dict:
    """A stored Claim and ClaimResponse of one patient, written as the workflow writes them."""
    patient = PatientFactory()
    insurer = OrganizationFactory(payer=True)
    coverage = CoverageFactory(patient=patient, payer=insurer)
    provider = PractitionerFactory()
    claim_op, = store_by_identifier(resources=[pas_claim(patient=patient, coverage=coverage, insurer=insurer,
                                                         provider=provider)])
    claim = {"resourceType": "Claim", "id": claim_op.fhir_id, **pas_claim(
        patient=patient, coverage=coverage, insurer=insurer, provider=provider)}
    response_op, = store_by_identifier(resources=[pas_claim_response(claim=claim)])
    return {"patient": patient, "insurer": insurer, "coverage": coverage, "provider": provider,
            "claim": claim_op.fhir_id, "response": response_op.fhir_id}


# --- the mapper ----------------------------------------------------------------------


def test_the_inferno_pas_claim_maps_to_its_columns_and_references():
    mapped = MAPPERS["Claim"].parse(inferno_claim())

    assert mapped.columns == {
        "use": "preauthorization", "status": "active", "type_code": "professional", "priority": "normal",
        "created": datetime(2005, 5, 2, 6, 1, tzinfo=timezone.utc), "total": None,
    }
    # PAS names an Organization as provider: it goes to the organization key, not the practitioner's.
    assert mapped.references == {
        "patient": "Patient/SubscriberExample", "insurer": "Organization/InsurerExample",
        "provider": None, "provider_organization": "Organization/UMOExample",
        "coverage": "Coverage/InsuranceExample",
    }
    assert ("https://prior-auth.davinci.hl7.org/fhir/PATIENT_EVENT_TRACE_NUMBER", "111099") in mapped.identifiers


def test_the_inferno_pas_claim_response_gives_its_authorization_number_and_period_from_the_item():
    mapped = MAPPERS["ClaimResponse"].parse(inferno_claim_response())

    assert mapped.columns["outcome"] == "complete"
    assert mapped.columns["pre_auth_ref"] == "AUTH0001"  # the item's reviewAction number
    assert (mapped.columns["pre_auth_period_start"], mapped.columns["pre_auth_period_end"]) == (
        date(2005, 5, 2), date(2005, 6, 2))
    assert mapped.references["insurer"] == "Organization/InsurerExample"


def test_a_claim_without_a_patient_is_refused_by_the_mapper():
    claim = inferno_claim()
    del claim["patient"]

    with pytest.raises(MappingError, match="Patient"):
        MAPPERS["Claim"].parse(claim)


def test_the_inferno_claim_is_stored_and_reads_back_as_it_was_sent(api_as):
    store_inferno_references()

    op, = store_by_identifier(resources=[inferno_claim()])

    record = models.Claim.objects.get(fhir_id=op.fhir_id)
    assert (record.patient.fhir_id, record.insurer.fhir_id, record.provider_organization.fhir_id,
            record.coverage.fhir_id) == ("SubscriberExample", "InsurerExample", "UMOExample", "InsuranceExample")
    assert record.provider is None
    served = api_as("integration").get(f"/fhir/Claim/{op.fhir_id}").json()
    sent = inferno_claim()
    assert {k: v for k, v in served.items() if k not in ("id", "meta")} == \
        {k: v for k, v in sent.items() if k not in ("id", "meta")}


def test_storing_the_same_request_again_updates_the_one_claim(pair):
    claim = models.Claim.objects.get(fhir_id=pair["claim"])
    body = pas_claim(patient=pair["patient"], coverage=pair["coverage"], insurer=pair["insurer"],
                     provider=pair["provider"])
    body["status"] = "cancelled"

    op, = store_by_identifier(resources=[body])

    assert op.fhir_id == claim.fhir_id
    claim.refresh_from_db()
    assert (claim.status, claim.version_id) == ("cancelled", 2)
    assert models.Claim.objects.count() == 1


def test_a_claim_keeps_its_columns(pair):
    claim = models.Claim.objects.get(fhir_id=pair["claim"])
    response = models.ClaimResponse.objects.get(fhir_id=pair["response"])

    assert (claim.use, claim.status, claim.type_code, claim.priority) == (
        "preauthorization", "active", "professional", "normal")
    assert claim.total == Decimal("1250.50")
    assert (claim.provider.fhir_id, claim.provider_organization) == (pair["provider"]["id"], None)
    assert response.request == claim
    assert (response.pre_auth_ref, response.pre_auth_period_start, response.pre_auth_period_end) == (
        "AUTH-77", date(2026, 6, 2), date(2026, 8, 31))


def test_a_claim_use_outside_its_required_binding_is_refused(pair):
    body = pas_claim(patient=pair["patient"], coverage=pair["coverage"], insurer=pair["insurer"],
                     provider=pair["provider"], request_id="PA-2", use="sometimes")

    with pytest.raises(Exception) as refused:
        store_by_identifier(resources=[body])

    assert getattr(refused.value, "status", None) == 400
    assert models.Claim.objects.count() == 1


# --- the FHIR API: who reads, nobody writes --------------------------------------------


@pytest.mark.parametrize("role", READERS)
def test_each_role_that_works_authorizations_reads_searches_and_vreads_the_pair(api_as, pair, role):
    api = api_as(role)

    claim = api.get(f"/fhir/Claim/{pair['claim']}")
    response = api.get(f"/fhir/ClaimResponse/{pair['response']}")
    found = api.search("ClaimResponse", {"patient": pair["patient"]["id"]})
    version = api.get(f"/fhir/Claim/{pair['claim']}/_history/1")

    assert claim.status_code == response.status_code == version.status_code == 200
    assert claim.json()["use"] == "preauthorization"
    assert response.json()["request"] == {"reference": f"Claim/{pair['claim']}"}
    assert [e["resource"]["id"] for e in found["entry"]] == [pair["response"]]


@pytest.mark.parametrize("path", ["/fhir/Claim", "/fhir/ClaimResponse"])
def test_an_auditor_may_not_read_or_search_the_pair(api_as, pair, path):
    api = api_as("auditor")
    record_id = pair["claim"] if path.endswith("Claim") else pair["response"]

    assert api.get(path).status_code == 403
    assert api.get(f"{path}/{record_id}").status_code == 403


def test_anonymous_callers_are_401(anonymous, pair):
    assert anonymous.get(f"/fhir/Claim/{pair['claim']}").status_code == 401


@pytest.mark.parametrize("role", [*READERS, "auditor"])
def test_no_role_creates_updates_or_deletes_the_pair(api_as, pair, role):
    api = api_as(role)
    body = pas_claim(patient=pair["patient"], coverage=pair["coverage"], insurer=pair["insurer"],
                     provider=pair["provider"], request_id="PA-from-the-ehr")

    assert api.post("/fhir/Claim", body).status_code == 403
    assert api.put(f"/fhir/Claim/{pair['claim']}", {**body, "id": pair["claim"]}).status_code == 403
    assert api.delete(f"/fhir/ClaimResponse/{pair['response']}").status_code == 403
    transaction = {"resourceType": "Bundle", "type": "transaction",
                   "entry": [{"resource": body, "request": {"method": "POST", "url": "Claim"}}]}
    assert api.post("/fhir", transaction).status_code == 403
    assert models.Claim.objects.count() == 1 and models.ClaimResponse.objects.count() == 1
    assert models.Claim.objects.get().version_id == 1


def test_reads_and_searches_are_audited_with_the_patient(api_as, pair):
    api = api_as("front_office")
    mark = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    api.get(f"/fhir/Claim/{pair['claim']}")
    api.search("ClaimResponse", {"outcome": "complete"})

    events = list(AuditEvent.objects.filter(pk__gt=mark).order_by("pk"))
    assert [(e.action, e.resource_type, e.source) for e in events] == [
        ("R", "Claim", "fhir-api"), ("E", "ClaimResponse", "fhir-api")]
    assert events[0].resource_id == pair["claim"]
    assert events[0].patient_id == events[1].patient_id == pair["patient"]["id"]
    assert events[0].agent_name == api.user.username


def test_writes_by_the_workflow_are_audited_as_the_system_by_its_caller(pair):
    # store_by_identifier itself does not audit: its caller does (the workflow records the change
    # with its own agent). What the records keep is a version per write.
    from pracops.records.models import ResourceVersion

    versions = ResourceVersion.objects.filter(resource_type__in=["Claim", "ClaimResponse"])

    assert sorted((v.resource_type, v.patient_id) for v in versions) == [
        ("Claim", pair["patient"]["id"]), ("ClaimResponse", pair["patient"]["id"])]


# --- search ------------------------------------------------------------------------------


def ids(bundle: dict) -> list[str]:
    return sorted(e["resource"]["id"] for e in bundle.get("entry", []))


@pytest.fixture
def two_pairs(pair) -> dict:
    """``pair`` and a second patient's claim for payment from an organization, denied."""
    patient = PatientFactory()
    insurer = OrganizationFactory(payer=True)
    clinic = OrganizationFactory()
    coverage = CoverageFactory(patient=patient, payer=insurer)
    body = pas_claim(patient=patient, coverage=coverage, insurer=insurer, provider=clinic, request_id="BILL-9",
                     created="2026-07-15T12:00:00Z", use="claim")
    claim_op, = store_by_identifier(resources=[body])
    response = pas_claim_response(claim={**body, "id": claim_op.fhir_id}, outcome="error", request_id="BILL-9")
    del response["preAuthRef"], response["preAuthPeriod"]
    response["disposition"] = "Denied: not medically necessary"
    response_op, = store_by_identifier(resources=[response])
    return pair | {"other_claim": claim_op.fhir_id, "other_response": response_op.fhir_id,
                   "other_patient": patient["id"], "clinic": clinic["id"], "other_insurer": insurer["id"]}


@pytest.mark.parametrize(("params", "expected"), [
    ({"use": "preauthorization"}, ["claim"]),
    ({"use": "claim"}, ["other_claim"]),
    ({"status": "active"}, ["claim", "other_claim"]),
    ({"created": "ge2026-07-01"}, ["other_claim"]),
    ({"created": "2026-06-01"}, ["claim"]),
    ({"identifier": f"{REQUEST_ID_SYSTEM}|BILL-9"}, ["other_claim"]),
    ({"priority": "normal"}, ["claim", "other_claim"]),
])
def test_claim_search_parameters(api, two_pairs, params, expected):
    assert ids(api.search("Claim", params)) == sorted(two_pairs[name] for name in expected)


def test_claims_are_found_by_patient_insurer_and_either_kind_of_provider(api, two_pairs):
    assert ids(api.search("Claim", {"patient": two_pairs["other_patient"]})) == [two_pairs["other_claim"]]
    assert ids(api.search("Claim", {"insurer": two_pairs["insurer"]["id"]})) == [two_pairs["claim"]]
    assert ids(api.search("Claim", {"provider": f"Practitioner/{two_pairs['provider']['id']}"})) == [two_pairs["claim"]]
    assert ids(api.search("Claim", {"provider": f"Organization/{two_pairs['clinic']}"})) == [two_pairs["other_claim"]]
    assert ids(api.search("Claim", {"provider": two_pairs["clinic"]})) == [two_pairs["other_claim"]]
    assert ids(api.search("Claim", {"provider:Organization": two_pairs["provider"]["id"]})) == []
    assert api.get("/fhir/Claim", {"provider": "Patient/x"}).status_code == 400


@pytest.mark.parametrize(("params", "expected"), [
    ({"outcome": "complete"}, ["response"]),
    ({"outcome": "error"}, ["other_response"]),
    ({"use": "claim"}, ["other_response"]),
    ({"disposition": "denied"}, ["other_response"]),
    ({"created": "2026-06-02"}, ["response", "other_response"]),
])
def test_claim_response_search_parameters(api, two_pairs, params, expected):
    assert ids(api.search("ClaimResponse", params)) == sorted(two_pairs[name] for name in expected)


def test_claim_responses_are_found_by_the_claim_they_answer_and_include_it(api, two_pairs):
    found = api.search("ClaimResponse", {"request": two_pairs["claim"], "_include": "ClaimResponse:request"})

    assert sorted((e["resource"]["resourceType"], e["resource"]["id"]) for e in found["entry"]) == [
        ("Claim", two_pairs["claim"]), ("ClaimResponse", two_pairs["response"])]
    assert ids(api.search("ClaimResponse", {"request.use": "claim"})) == [two_pairs["other_response"]]
    assert ids(api.search("ClaimResponse", {"insurer": two_pairs["other_insurer"]})) == [two_pairs["other_response"]]


def test_an_ehr_import_skips_claims_it_sends(tmp_path):
    # A Synthea Claim is the EHR's billing record; the Claim table holds PracOps' own pair.
    from pracops.records.services.imports import bundle_operations

    patient = PatientFactory.build()
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:p", "resource": patient}, {"resource": {**copy.deepcopy(inferno_claim())}}]}

    ops, skipped = bundle_operations(bundle)

    assert [op.resource_type for op in ops] == ["Patient"]
    assert skipped == {"Claim": 1}


# --- the admin -------------------------------------------------------------------------


def test_the_admin_shows_the_pair_read_only(client, pair):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_superuser("manager", "m@example.org", "not-used-here-1"))
    claim = models.Claim.objects.get(fhir_id=pair["claim"])

    assert client.get(reverse("admin:records_claim_changelist")).status_code == 200
    page = client.get(reverse("admin:records_claim_change", args=[claim.pk]))
    assert page.status_code == 200
    assert b"preauthorization" in page.content
    assert b'name="_save"' not in page.content
    assert client.get(reverse("admin:records_claim_add")).status_code == 403
    assert client.get(reverse("admin:records_claimresponse_changelist")).status_code == 200
    assert AuditEvent.objects.filter(source="admin", resource_type="Claim", patient_id=pair["patient"]["id"],
                                     action="R").exists()
