"""PATCH Type/id with a JSON Patch (RFC 6902): a new version through the same write path as PUT."""

import json

import pytest

from pracops.audit.models import AuditEvent
from pracops.records.models import Patient, ResourceVersion
from tests.factories import EncounterFactory, PatientFactory

pytestmark = pytest.mark.django_db

JSON_PATCH = "application/json-patch+json"


def patch(api, path: str, operations, content_type: str = JSON_PATCH, **headers):
    body = operations if isinstance(operations, str) else json.dumps(operations)
    return api.client.patch(path, body, content_type=content_type, headers={**api.headers, **headers})


def issue_codes(response) -> list[str]:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    return [issue["code"] for issue in body["issue"]]


def test_a_patch_stores_the_patched_resource_as_the_next_version(api):
    patient = PatientFactory(family="Mbeki", given="Thandi")
    path = f"/fhir/Patient/{patient['id']}"

    response = patch(api, path, [
        {"op": "test", "path": "/name/0/family", "value": "Mbeki"},
        {"op": "replace", "path": "/name/0/family", "value": "Mbeki-Dlamini"},
        {"op": "add", "path": "/telecom", "value": [{"system": "phone", "value": "555-0100"}]},
    ])

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["meta"]["versionId"] == "2"
    assert response["ETag"] == 'W/"2"'
    assert body["name"][0]["family"] == "Mbeki-Dlamini"
    assert body["telecom"] == [{"system": "phone", "value": "555-0100"}]
    assert api.get(path).json() == body
    assert Patient.objects.get(fhir_id=patient["id"]).family == "Mbeki-Dlamini"  # the column follows
    assert api.get(f"{path}/_history/1").json() == patient
    assert api.get(f"{path}/_history/2").json() == body


def test_if_match_guards_a_patch(api):
    patient = PatientFactory()
    path = f"/fhir/Patient/{patient['id']}"
    operations = [{"op": "replace", "path": "/gender", "value": "other"}]

    stale = patch(api, path, operations, **{"If-Match": 'W/"7"'})
    assert stale.status_code == 412
    assert issue_codes(stale) == ["conflict"]
    assert Patient.objects.get(fhir_id=patient["id"]).version_id == 1

    assert patch(api, path, operations, **{"If-Match": 'W/"1"'}).status_code == 200


def test_a_patch_that_does_not_apply_is_422_and_changes_nothing(api):
    patient = PatientFactory(family="Secretname")
    path = f"/fhir/Patient/{patient['id']}"

    for operations in (
        [{"op": "test", "path": "/name/0/family", "value": "Other"}],
        [{"op": "remove", "path": "/deceasedBoolean"}],
        [{"op": "replace", "path": "/contact/0/name", "value": {}}],
    ):
        response = patch(api, path, operations)
        assert response.status_code == 422, operations
        assert issue_codes(response) == ["processing"]
        assert "Secretname" not in response.content.decode()  # the document's values are not echoed

    assert ResourceVersion.objects.filter(fhir_id=patient["id"]).count() == 1


def test_a_patch_may_not_change_the_id_or_resource_type(api):
    patient = PatientFactory()
    path = f"/fhir/Patient/{patient['id']}"

    for operations in ([{"op": "replace", "path": "/id", "value": "another"}],
                       [{"op": "replace", "path": "/resourceType", "value": "Practitioner"}],
                       [{"op": "remove", "path": "/id"}]):
        response = patch(api, path, operations)
        assert response.status_code == 422, operations
        assert issue_codes(response) == ["invariant"]
    assert Patient.objects.get(fhir_id=patient["id"]).version_id == 1


def test_a_patch_that_yields_an_invalid_resource_is_refused(api):
    patient = PatientFactory()
    path = f"/fhir/Patient/{patient['id']}"

    response = patch(api, path, [{"op": "replace", "path": "/birthDate", "value": "not a date"}])

    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
    assert Patient.objects.get(fhir_id=patient["id"]).version_id == 1


def test_a_body_that_is_not_a_json_patch_is_400(api):
    patient = PatientFactory()
    path = f"/fhir/Patient/{patient['id']}"

    for body in ('{"op": "add"}', '[{"op": "frobnicate", "path": "/x"}]', '[{"path": "/x"}]',
                 '[{"op": "add", "path": "no-slash", "value": 1}]', "[{", '"text"'):
        response = patch(api, path, body)
        assert response.status_code == 400, body
        assert response.json()["resourceType"] == "OperationOutcome"


def test_another_content_type_is_415(api):
    patient = PatientFactory()
    path = f"/fhir/Patient/{patient['id']}"

    for content_type in ("application/fhir+json", "application/json", "application/xml"):
        response = patch(api, path, [{"op": "replace", "path": "/gender", "value": "other"}], content_type)
        assert response.status_code == 415, content_type
        assert issue_codes(response) == ["not-supported"]


def test_patching_an_unknown_or_deleted_resource_is_404_or_410(api):
    patient = PatientFactory()
    api.delete(f"/fhir/Patient/{patient['id']}")
    operations = [{"op": "replace", "path": "/gender", "value": "other"}]

    assert patch(api, "/fhir/Patient/nobody", operations).status_code == 404
    assert patch(api, f"/fhir/Patient/{patient['id']}", operations).status_code == 410


def test_a_patch_needs_the_update_role_and_is_audited_as_an_update(api_as):
    patient = PatientFactory()
    encounter = EncounterFactory(patient=patient)
    operations = [{"op": "replace", "path": "/status", "value": "cancelled"}]
    path = f"/fhir/Encounter/{encounter['id']}"

    assert patch(api_as("billing"), path, operations).status_code == 403
    AuditEvent.objects.all().delete()
    assert patch(api_as("clinician"), path, operations).status_code == 200

    assert list(AuditEvent.objects.values_list("action", "subtype", "resource_id", "patient_id", "outcome")) == [
        ("U", "patch", encounter["id"], patient["id"], "0"),
    ]


def test_a_patch_referring_to_an_unknown_record_is_422(api):
    encounter = EncounterFactory()

    response = patch(api, f"/fhir/Encounter/{encounter['id']}",
                     [{"op": "replace", "path": "/subject/reference", "value": "Patient/missing"}])

    assert response.status_code == 422
    assert issue_codes(response) == ["not-found"]
