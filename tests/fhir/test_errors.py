"""Requests the FHIR API refuses: each answered with an OperationOutcome and the right status."""

import json

import pytest

from pracops.records.models import Condition, Encounter, Patient, Practitioner
from tests.factories import ConditionFactory, EncounterFactory, PatientFactory, PractitionerFactory

pytestmark = pytest.mark.django_db

SUPPORTED = ["Organization", "Practitioner", "Patient", "Coverage", "Encounter", "Condition", "Procedure",
             "ServiceRequest", "Observation", "DocumentReference", "Claim", "ClaimResponse"]


def outcome(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"] and all(issue["severity"] == "error" for issue in body["issue"])
    return body


def diagnostics(body: dict) -> str:
    return " ".join(issue["diagnostics"] for issue in body["issue"])


def test_malformed_json_is_400(api):
    body = outcome(api.post("/fhir/Patient", '{"resourceType": "Patient", "gender": '), 400)

    assert body["issue"][0]["code"] == "structure"
    assert Patient.objects.count() == 0


@pytest.mark.parametrize("payload", ['["a", "list"]', '{"gender": "female"}', '"Patient"'])
def test_json_that_is_not_a_resource_is_400(api, payload):
    outcome(api.post("/fhir/Patient", payload), 400)


def test_a_resource_posted_to_another_type_is_400(api):
    body = outcome(api.post("/fhir/Patient", PractitionerFactory.build()), 400)

    assert "Practitioner" in diagnostics(body)
    assert Patient.objects.count() == Practitioner.objects.count() == 0


def test_a_resource_put_at_another_type_is_400(api):
    patient = PatientFactory()

    outcome(api.put(f"/fhir/Practitioner/{patient['id']}", {**patient}), 400)

    assert Practitioner.objects.count() == 0


@pytest.mark.parametrize("request_line", [("get", "/fhir/CarePlan"), ("get", "/fhir/CarePlan/123"),
                                          ("post", "/fhir/CarePlan"), ("delete", "/fhir/Medication/1")])
def test_an_unsupported_type_in_the_url_is_404_listing_the_supported_types(api, request_line):
    method, path = request_line
    response = api.post(path, {"resourceType": "CarePlan"}) if method == "post" else getattr(api, method)(path)

    text = diagnostics(outcome(response, 404))

    assert path.split("/")[2] in text
    for resource_type in SUPPORTED:
        assert resource_type in text


@pytest.mark.parametrize(("element", "value"), [("birthDate", "x"), ("gender", "sometimes"),
                                                 ("active", "maybe"), ("birthDate", "1970-13-45")])
def test_an_invalid_value_is_400_naming_the_element(api, element, value):
    body = outcome(api.post("/fhir/Patient", PatientFactory.build(**{element: value})), 400)

    assert f"Patient.{element}" in diagnostics(body)
    assert Patient.objects.count() == 0


def test_an_unknown_element_is_400(api):
    outcome(api.post("/fhir/Patient", {**PatientFactory.build(), "favouriteColour": "teal"}), 400)

    assert Patient.objects.count() == 0


def test_a_reference_to_an_unknown_patient_is_422(api):
    body = outcome(api.post("/fhir/Encounter", EncounterFactory.build(patient="Patient/nope")), 422)

    assert "Patient/nope" in diagnostics(body)
    assert Encounter.objects.count() == 0


def test_an_encounter_without_a_subject_is_422(api):
    encounter = EncounterFactory.build(patient="Patient/x")
    del encounter["subject"]

    outcome(api.post("/fhir/Encounter", encounter), 422)


def test_an_npi_failing_the_luhn_check_is_422(api):
    practitioner = PractitionerFactory.build(npi="1234567890")  # 1234567893 would be valid

    body = outcome(api.post("/fhir/Practitioner", practitioner), 422)

    assert "NPI" in diagnostics(body)
    assert Practitioner.objects.count() == 0


def test_an_npi_passing_the_luhn_check_is_accepted(api):
    response = api.post("/fhir/Practitioner", PractitionerFactory.build(npi="1234567893"))

    assert response.status_code == 201
    assert Practitioner.objects.get().npi == "1234567893"


@pytest.mark.parametrize("code", ["724.2", "UU1.1", "M5"])
def test_a_malformed_icd10cm_code_is_422(api, code):
    condition = ConditionFactory.build(patient=PatientFactory(), icd10=code)

    body = outcome(api.post("/fhir/Condition", condition), 422)

    assert code in diagnostics(body)
    assert Condition.objects.count() == 0


def test_a_body_over_the_configured_size_is_413(api, settings):
    settings.FHIR_MAX_BODY_BYTES = 256
    patient = PatientFactory.build()
    patient["address"] = [{"text": "x" * 300}]

    outcome(api.post("/fhir/Patient", patient), 413)

    assert Patient.objects.count() == 0


def test_a_body_under_the_configured_size_is_accepted(api, settings):
    patient = PatientFactory.build()
    settings.FHIR_MAX_BODY_BYTES = len(json.dumps(patient)) + 10

    assert api.post("/fhir/Patient", patient).status_code == 201


def test_a_bundle_over_the_configured_size_is_413(api, settings):
    settings.FHIR_MAX_BODY_BYTES = 256
    entries = [{"resource": PatientFactory.build(), "request": {"method": "POST", "url": "Patient"}}
               for _ in range(3)]

    outcome(api.post("/fhir", {"resourceType": "Bundle", "type": "transaction", "entry": entries}), 413)

    assert Patient.objects.count() == 0


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/fhir+xml",
                                          "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_json_is_415(api, content_type):
    outcome(api.post("/fhir/Patient", json.dumps(PatientFactory.build()), content_type=content_type), 415)

    assert Patient.objects.count() == 0


@pytest.mark.parametrize("content_type", ["application/fhir+json", "application/json",
                                          "application/fhir+json; charset=utf-8"])
def test_json_content_types_are_accepted(api, content_type):
    response = api.post("/fhir/Patient", json.dumps(PatientFactory.build()), content_type=content_type)

    assert response.status_code == 201


def test_an_unsupported_method_is_405(api):
    outcome(api.client.delete("/fhir/Patient", headers=api.headers), 405)
    outcome(api.client.patch("/fhir/Patient", "[]", content_type="application/json-patch+json",
                             headers=api.headers), 405)
