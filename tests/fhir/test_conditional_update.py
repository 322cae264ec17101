"""Conditional update, ``PUT Type?criteria``: through the API and in transaction and batch Bundles."""

import pytest

from pracops.audit.models import AuditEvent
from pracops.records.models import Patient, ResourceVersion
from tests.factories import CoverageFactory, MRN_SYSTEM, PatientFactory

pytestmark = pytest.mark.django_db


def by_mrn(mrn: str) -> str:
    return f"/fhir/Patient?identifier={MRN_SYSTEM}|{mrn}"


def test_no_match_creates_the_resource(api):
    response = api.put(by_mrn("MRN-NEW-1"), PatientFactory.build(mrn="MRN-NEW-1"))

    assert response.status_code == 201
    body = response.json()
    assert body["meta"]["versionId"] == "1"
    assert response["Location"].endswith(f"/Patient/{body['id']}/_history/1")
    assert Patient.objects.filter(fhir_id=body["id"], mrn="MRN-NEW-1").exists()


def test_no_match_with_an_id_in_the_body_creates_it_at_that_id(api):
    response = api.put(by_mrn("MRN-NEW-2"), PatientFactory.build(mrn="MRN-NEW-2", id="chosen-id"))

    assert response.status_code == 201
    assert response.json()["id"] == "chosen-id"


def test_no_match_with_the_id_of_a_record_that_does_not_meet_the_criteria_is_409(api):
    other = PatientFactory(mrn="MRN-OTHER")

    response = api.put(by_mrn("MRN-NEW-3"), PatientFactory.build(mrn="MRN-NEW-3", id=other["id"]))

    assert response.status_code == 409
    assert Patient.objects.get().mrn == "MRN-OTHER"


def test_one_match_updates_it(api):
    stored = PatientFactory(mrn="MRN-ONE", family="Before")

    response = api.put(by_mrn("MRN-ONE"), PatientFactory.build(mrn="MRN-ONE", family="After"))

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == stored["id"]
    assert body["meta"]["versionId"] == "2"
    assert Patient.objects.get().family == "After"
    assert ResourceVersion.objects.filter(fhir_id=stored["id"]).count() == 2


def test_one_match_by_id_criteria_with_the_same_body_id_updates_it(api):
    stored = PatientFactory(family="Before")

    response = api.put(f"/fhir/Patient?_id={stored['id']}", {**stored, "name": [{"family": "After"}]})

    assert response.status_code == 200
    assert response.json()["name"] == [{"family": "After"}]


def test_one_match_with_another_id_in_the_body_is_400(api):
    stored = PatientFactory(mrn="MRN-CLASH")

    response = api.put(by_mrn("MRN-CLASH"), PatientFactory.build(mrn="MRN-CLASH", id="someone-else"))

    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
    assert Patient.objects.get().version_id == 1
    assert not Patient.objects.filter(fhir_id="someone-else").exists()
    assert stored["id"] in Patient.objects.values_list("fhir_id", flat=True)


def test_several_matches_is_412(api):
    PatientFactory(family="Twin", gender="female")
    PatientFactory(family="Twin", gender="female")

    response = api.put("/fhir/Patient?family=Twin", PatientFactory.build(family="Twin"))

    assert response.status_code == 412
    assert response.json()["issue"][0]["code"] == "multiple-matches"
    assert Patient.objects.count() == 2


def test_criteria_are_required_and_must_be_known(api):
    assert api.put("/fhir/Patient", PatientFactory.build()).status_code == 400
    assert api.put("/fhir/Patient?_count=1", PatientFactory.build()).status_code == 400
    assert api.put("/fhir/Patient?no-such-param=1", PatientFactory.build()).status_code == 400
    assert Patient.objects.count() == 0


def test_if_match_guards_a_conditional_update(api):
    PatientFactory(mrn="MRN-IFM")

    assert api.put(by_mrn("MRN-IFM"), PatientFactory.build(mrn="MRN-IFM"), **{"If-Match": 'W/"3"'}).status_code == 412
    assert api.put(by_mrn("MRN-IFM"), PatientFactory.build(mrn="MRN-IFM"), **{"If-Match": 'W/"1"'}).status_code == 200


def test_a_conditional_update_needs_the_update_role_and_is_audited(api_as):
    stored = PatientFactory(mrn="MRN-AUD")
    billing, front_office = api_as("billing"), api_as("front_office")

    assert billing.put(by_mrn("MRN-AUD"), PatientFactory.build(mrn="MRN-AUD")).status_code == 403
    AuditEvent.objects.all().delete()
    assert front_office.put(by_mrn("MRN-AUD"), PatientFactory.build(mrn="MRN-AUD")).status_code == 200

    assert list(AuditEvent.objects.values_list("action", "subtype", "resource_id", "patient_id")) == [
        ("U", "update", stored["id"], stored["id"]),
    ]


def test_criteria_may_not_look_into_a_type_the_role_may_not_search(api_as):
    # Whether the update matched would tell billing that the patient has such a note.
    coverage = CoverageFactory()
    criteria = "patient._has:DocumentReference:patient:type=http://loinc.org|11506-3"
    body = {k: v for k, v in coverage.items() if k not in ("id", "meta")}

    response = api_as("billing").put(f"/fhir/Coverage?{criteria}", body)

    assert response.status_code == 403
    assert "DocumentReference" in response.json()["issue"][0]["diagnostics"]


def test_bundle_criteria_may_not_look_into_a_type_the_role_may_not_search(api_as):
    coverage = CoverageFactory()
    body = {k: v for k, v in coverage.items() if k not in ("id", "meta")}
    entry = {"resource": body, "request": {
        "method": "PUT", "url": "Coverage?patient._has:DocumentReference:patient:type=http://loinc.org|11506-3"}}

    response = api_as("billing").post("/fhir", {"resourceType": "Bundle", "type": "transaction", "entry": [entry]})

    assert response.status_code == 403


# --- in Bundles -----------------------------------------------------------------------------


def conditional_put(resource: dict, criteria: str) -> dict:
    return {"resource": resource, "request": {"method": "PUT", "url": f"Patient?{criteria}"}}


def test_a_transaction_updates_or_creates_by_criteria(api):
    stored = PatientFactory(mrn="MRN-TX-1", family="Before")

    response = api.post("/fhir", {"resourceType": "Bundle", "type": "transaction", "entry": [
        conditional_put(PatientFactory.build(mrn="MRN-TX-1", family="After"), f"identifier={MRN_SYSTEM}|MRN-TX-1"),
        conditional_put(PatientFactory.build(mrn="MRN-TX-2"), f"identifier={MRN_SYSTEM}|MRN-TX-2"),
    ]})

    assert response.status_code == 200, response.content
    first, second = response.json()["entry"]
    assert first["response"]["status"] == "200 OK"
    assert first["resource"]["id"] == stored["id"]
    assert first["resource"]["name"][0]["family"] == "After"
    assert second["response"]["status"] == "201 Created"
    assert Patient.objects.count() == 2


def test_a_transaction_with_an_ambiguous_conditional_update_stores_nothing(api):
    PatientFactory(family="Twin")
    PatientFactory(family="Twin")

    response = api.post("/fhir", {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": PatientFactory.build(), "request": {"method": "POST", "url": "Patient"}},
        conditional_put(PatientFactory.build(family="Twin"), "family=Twin"),
    ]})

    assert response.status_code == 412
    assert Patient.objects.count() == 2


def test_a_batch_answers_each_conditional_update_on_its_own(api):
    PatientFactory(family="Twin")
    PatientFactory(family="Twin")

    response = api.post("/fhir", {"resourceType": "Bundle", "type": "batch", "entry": [
        conditional_put(PatientFactory.build(family="Twin"), "family=Twin"),
        conditional_put(PatientFactory.build(mrn="MRN-B-1"), f"identifier={MRN_SYSTEM}|MRN-B-1"),
    ]})

    assert response.status_code == 200
    assert [e["response"]["status"][:3] for e in response.json()["entry"]] == ["412", "201"]
    assert Patient.objects.count() == 3


def test_conditional_delete_in_a_bundle_is_still_refused(api):
    response = api.post("/fhir", {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"request": {"method": "DELETE", "url": "Patient?family=Twin"}},
    ]})

    assert response.status_code == 400
    assert response.json()["issue"][0]["code"] == "not-supported"
