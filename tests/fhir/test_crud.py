"""Create, read, update and delete of single resources through the FHIR API."""

import copy

import pytest

from pracops.records.models import Coverage, Encounter, Patient, Procedure, ServiceRequest
from tests.factories import (
    MRN_SYSTEM,
    CoverageFactory,
    EncounterFactory,
    OrganizationFactory,
    PatientFactory,
    ProcedureFactory,
    ServiceRequestFactory,
)

pytestmark = pytest.mark.django_db


def outcome_codes(response) -> list[str]:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    return [issue["code"] for issue in body["issue"]]


# --- create --------------------------------------------------------------------------


def test_create_answers_201_with_location_etag_and_a_server_assigned_id(api):
    sent = PatientFactory.build(id="chosen-by-the-client")

    response = api.post("/fhir/Patient", sent)

    assert response.status_code == 201
    body = response.json()
    assert body["id"] and body["id"] != "chosen-by-the-client"
    assert body["meta"]["versionId"] == "1"
    assert response["ETag"] == 'W/"1"'
    assert response["Location"] == f"http://testserver/fhir/Patient/{body['id']}/_history/1"
    assert response["Content-Type"].startswith("application/fhir+json")
    assert Patient.objects.filter(fhir_id=body["id"]).exists()
    assert not Patient.objects.filter(fhir_id="chosen-by-the-client").exists()


def test_two_creates_get_two_different_ids(api):
    first = api.create(PatientFactory.build())
    second = api.create(PatientFactory.build())

    assert first["id"] != second["id"]
    assert Patient.objects.count() == 2


# --- read ----------------------------------------------------------------------------


def test_read_returns_the_stored_resource_with_its_version(api):
    created = api.create(PatientFactory.build(family="Castellanos", given="Ines"))

    response = api.get(f"/fhir/Patient/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created
    assert response.json()["name"][0]["family"] == "Castellanos"
    assert response["ETag"] == 'W/"1"'


def test_read_of_an_unknown_id_is_404_operation_outcome(api):
    PatientFactory()

    response = api.get("/fhir/Patient/no-such-patient")

    assert response.status_code == 404
    assert outcome_codes(response) == ["not-found"]
    assert "Patient/no-such-patient" in response.json()["issue"][0]["diagnostics"]


def test_read_with_the_current_etag_in_if_none_match_is_304_without_a_body(api):
    patient = PatientFactory()

    response = api.get(f"/fhir/Patient/{patient['id']}", **{"If-None-Match": 'W/"1"'})

    assert response.status_code == 304
    assert response.content == b""


def test_read_with_an_old_etag_in_if_none_match_returns_the_resource(api):
    patient = PatientFactory()
    api.put(f"/fhir/Patient/{patient['id']}", {**patient, "gender": "other"})

    response = api.get(f"/fhir/Patient/{patient['id']}", **{"If-None-Match": 'W/"1"'})

    assert response.status_code == 200
    assert response.json()["meta"]["versionId"] == "2"


# --- update --------------------------------------------------------------------------


def test_update_increments_the_version_and_stores_the_change(api):
    patient = PatientFactory(family="Brown")
    changed = copy.deepcopy(patient)
    changed["name"][0]["family"] = "Brown-Whitaker"

    response = api.put(f"/fhir/Patient/{patient['id']}", changed)

    assert response.status_code == 200
    assert response.json()["meta"]["versionId"] == "2"
    assert response["ETag"] == 'W/"2"'
    assert api.get(f"/fhir/Patient/{patient['id']}").json()["name"][0]["family"] == "Brown-Whitaker"
    assert Patient.objects.get(fhir_id=patient["id"]).family == "Brown-Whitaker"


def test_update_with_a_stale_if_match_is_412_and_changes_nothing(api):
    patient = PatientFactory(family="Brown")
    changed = {**patient, "gender": "other"}
    del changed["meta"]

    response = api.put(f"/fhir/Patient/{patient['id']}", changed, **{"If-Match": 'W/"7"'})

    assert response.status_code == 412
    assert outcome_codes(response) == ["conflict"]
    stored = Patient.objects.get(fhir_id=patient["id"])
    assert (stored.version_id, stored.gender) == (1, patient["gender"])


def test_update_with_the_current_if_match_succeeds(api):
    patient = PatientFactory()

    response = api.put(f"/fhir/Patient/{patient['id']}", {**patient, "gender": "other"},
                       **{"If-Match": 'W/"1"'})

    assert response.status_code == 200
    assert response.json()["meta"]["versionId"] == "2"


def test_meta_version_id_in_the_body_is_ignored_as_the_spec_requires(api):
    patient = PatientFactory()
    api.put(f"/fhir/Patient/{patient['id']}", {**patient, "gender": "other"})  # now at version 2

    # A client such as fhirpy sends back the meta it read: "1" here. Only If-Match guards a version.
    response = api.put(f"/fhir/Patient/{patient['id']}", {**patient, "gender": "unknown"})

    assert response.status_code == 200
    assert response.json()["meta"]["versionId"] == "3"
    assert Patient.objects.get(fhir_id=patient["id"]).gender == "unknown"


def test_put_to_a_new_id_creates_the_resource_there(api):
    sent = PatientFactory.build(id="ehr-patient-42")

    response = api.put("/fhir/Patient/ehr-patient-42", sent)

    assert response.status_code == 201
    assert response.json()["id"] == "ehr-patient-42"
    assert response.json()["meta"]["versionId"] == "1"
    assert api.get("/fhir/Patient/ehr-patient-42").status_code == 200


def test_put_to_a_new_id_ignores_the_meta_version_id_another_server_gave_it(api):
    sent = {**PatientFactory.build(id="copied-42"), "meta": {"versionId": "7", "lastUpdated": "2016-05-16T00:55:52Z"}}

    response = api.put("/fhir/Patient/copied-42", sent)

    assert response.status_code == 201
    assert response.json()["meta"]["versionId"] == "1"


def test_put_with_if_match_to_a_new_id_is_412(api):
    response = api.put("/fhir/Patient/not-there-yet", PatientFactory.build(id="not-there-yet"),
                       **{"If-Match": 'W/"1"'})

    assert response.status_code == 412
    assert not Patient.objects.filter(fhir_id="not-there-yet").exists()


def test_put_whose_body_id_differs_from_the_url_is_400(api):
    patient = PatientFactory()

    response = api.put(f"/fhir/Patient/{patient['id']}", {**patient, "id": "someone-else"})

    assert response.status_code == 400
    assert Patient.objects.get(fhir_id=patient["id"]).version_id == 1


# --- delete --------------------------------------------------------------------------


def test_delete_answers_204_and_the_resource_is_gone(api):
    patient = PatientFactory()

    response = api.delete(f"/fhir/Patient/{patient['id']}")

    assert response.status_code == 204
    assert api.get(f"/fhir/Patient/{patient['id']}").status_code == 410
    assert not Patient.objects.filter(fhir_id=patient["id"]).exists()


def test_deleting_a_patient_an_encounter_refers_to_is_409_and_deletes_nothing(api):
    patient = PatientFactory()
    encounter = EncounterFactory(patient=patient)

    response = api.delete(f"/fhir/Patient/{patient['id']}")

    assert response.status_code == 409
    assert outcome_codes(response) == ["conflict"]
    assert f"Encounter/{encounter['id']}" in response.json()["issue"][0]["diagnostics"]
    assert Patient.objects.filter(fhir_id=patient["id"]).exists()
    assert Encounter.objects.filter(fhir_id=encounter["id"]).exists()


# --- round trip ----------------------------------------------------------------------

RACE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"


def test_elements_the_practice_does_not_use_read_back_exactly_as_sent(api):
    sent = PatientFactory.build()
    sent["extension"] = [{
        "url": RACE,
        "extension": [
            {"url": "ombCategory", "valueCoding": {"system": "urn:oid:2.16.840.1.113883.6.238",
                                                   "code": "2106-3", "display": "White"}},
            {"url": "text", "valueString": "White"},
        ],
    }]
    sent["_birthDate"] = {"extension": [{
        "url": "http://hl7.org/fhir/StructureDefinition/patient-birthTime", "valueDateTime": "1970-01-01T04:12:00Z",
    }]}
    sent["name"][0]["extension"] = [{"url": "http://example.org/fhir/name-pronunciation", "valueString": "kas-TEL"}]
    sent["telecom"] = [{"system": "phone", "value": "+1 602 555 0134", "use": "mobile", "rank": 1}]
    sent["address"] = [{"line": ["4410 E Camelback Rd", "Suite 200"], "city": "Phoenix", "state": "AZ",
                        "postalCode": "85018", "country": "US"}]
    sent["communication"] = [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "es"}]},
                              "preferred": True}]
    sent["meta"] = {"tag": [{"system": "http://ehr.example.org/tags", "code": "vip"}]}

    created = api.create(sent)
    read = api.get(f"/fhir/Patient/{created['id']}").json()

    for element in ("extension", "_birthDate", "name", "telecom", "address", "communication", "identifier"):
        assert read[element] == sent[element], element
    assert read["meta"]["tag"] == sent["meta"]["tag"]


def test_patient_columns_come_from_the_resource(api):
    created = api.create(PatientFactory.build(mrn="MRN-0042-Z", family="Nakamura", given="Kenji",
                                              birthDate="1961-07-30", gender="male"))

    stored = Patient.objects.get(fhir_id=created["id"])

    assert stored.mrn == "MRN-0042-Z"
    assert (stored.family, stored.given) == ("Nakamura", "Kenji")
    assert stored.birth_date.isoformat() == "1961-07-30"
    assert stored.gender == "male"
    assert list(stored.identifiers.values_list("system", "value")) == [(MRN_SYSTEM, "MRN-0042-Z")]


@pytest.mark.parametrize(
    ("laterality", "levels", "expected_levels"),
    [("left", "L4-5", ["L4-L5"]), ("right", "L5-S1", ["L5-S1"]), ("bilateral", "L3, L4", ["L3", "L4"])],
)
def test_procedure_laterality_and_spinal_levels_come_from_body_site(api, laterality, levels, expected_levels):
    patient = PatientFactory()

    created = api.create(ProcedureFactory.build(patient=patient, laterality=laterality, levels=levels))

    stored = Procedure.objects.get(fhir_id=created["id"])
    assert stored.laterality == laterality
    assert stored.spinal_levels == expected_levels
    assert stored.code == "64483"
    assert stored.patient.fhir_id == patient["id"]


def test_service_request_laterality_and_spinal_levels_come_from_body_site(api):
    created = api.create(ServiceRequestFactory.build(patient=PatientFactory(), laterality="right",
                                                     levels="L4-L5"))

    stored = ServiceRequest.objects.get(fhir_id=created["id"])
    assert (stored.laterality, stored.spinal_levels) == ("right", ["L4-L5"])
    assert (stored.code, stored.intent) == ("64493", "order")


def test_coverage_columns_come_from_the_resource(api):
    patient = PatientFactory()
    payer = OrganizationFactory(payer=True, name="Acme Health Plan")

    created = api.create(CoverageFactory.build(patient=patient, payer=payer, member_id="ZGP123456789",
                                               plan="PPO-GOLD", group="GRP-4410"))

    stored = Coverage.objects.select_related("payor", "beneficiary").get(fhir_id=created["id"])
    assert stored.member_id == "ZGP123456789"
    assert (stored.plan, stored.group) == ("PPO-GOLD", "GRP-4410")
    assert stored.payor.fhir_id == payer["id"]
    assert stored.payor.kind == "pay"
    assert stored.beneficiary.fhir_id == patient["id"]
    assert created["payor"] == [{"reference": f"Organization/{payer['id']}"}]


def test_the_location_of_a_new_version_can_be_read_and_stays_readable_after_an_update(api):
    created = api.post("/fhir/Patient", PatientFactory.build())
    location = created["Location"].split("testserver", 1)[-1]

    assert api.get(location).status_code == 200
    changed = {**created.json(), "name": [{"family": "Renamed", "given": ["Ann"]}]}
    assert api.put(location.rsplit("/_history", 1)[0], changed).status_code == 200
    old = api.get(location)
    assert old.status_code == 200
    assert old.json() == created.json()
    assert old["ETag"] == 'W/"1"'


def test_an_unknown_path_under_fhir_is_an_operation_outcome(api):
    response = api.get("/fhir/Patient/x/y/z")

    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"
