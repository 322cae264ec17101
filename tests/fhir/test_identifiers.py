"""Business identifiers are not unique in FHIR: shared ones are stored, ambiguous matches are 412."""

import uuid

import pytest

from pracops.records.models import Encounter, Patient, ResourceIdentifier
from tests.factories import MRN_SYSTEM, EncounterFactory, PatientFactory

pytestmark = pytest.mark.django_db


def transaction(*entries: dict) -> dict:
    return {"resourceType": "Bundle", "type": "transaction", "entry": list(entries)}


def test_two_patients_may_carry_the_same_identifier(api):
    first = api.create(PatientFactory.build(mrn="SHARED-1"))
    second = api.create(PatientFactory.build(mrn="SHARED-1"))

    found = api.search("Patient", {"identifier": f"{MRN_SYSTEM}|SHARED-1"})

    assert {e["resource"]["id"] for e in found["entry"]} == {first["id"], second["id"]}


def test_one_resource_may_carry_the_same_identifier_twice_and_keeps_both(api):
    sent = PatientFactory.build(mrn="TWICE-1")
    sent["identifier"].append({"system": MRN_SYSTEM, "value": "TWICE-1"})

    created = api.create(sent)

    assert created["identifier"] == sent["identifier"]
    patient = Patient.objects.get(fhir_id=created["id"])
    assert list(patient.identifiers.values_list("system", "value")) == [(MRN_SYSTEM, "TWICE-1")]


def test_updating_to_an_identifier_another_resource_carries_is_stored(api):
    PatientFactory(mrn="TAKEN-1")
    patient = PatientFactory(mrn="OWN-1")
    patient["identifier"][0]["value"] = "TAKEN-1"

    response = api.put(f"/fhir/Patient/{patient['id']}", patient)

    assert response.status_code == 200
    assert ResourceIdentifier.objects.filter(system=MRN_SYSTEM, value="TAKEN-1").count() == 2


@pytest.mark.parametrize("token", [f"{MRN_SYSTEM}|AMBIG-1", "AMBIG-1"], ids=["with-system", "value-only"])
def test_a_conditional_create_that_matches_several_resources_is_412(api, token):
    PatientFactory(mrn="AMBIG-1")
    PatientFactory(mrn="AMBIG-1")

    response = api.post("/fhir/Patient", PatientFactory.build(mrn="AMBIG-1"),
                        **{"If-None-Exist": f"identifier={token}"})

    assert response.status_code == 412
    assert response.json()["issue"][0]["code"] == "multiple-matches"
    assert Patient.objects.count() == 2


def test_a_conditional_create_that_matches_one_resource_answers_200_with_it(api):
    existing = PatientFactory(mrn="ONE-1")

    response = api.post("/fhir/Patient", PatientFactory.build(mrn="ONE-1"),
                        **{"If-None-Exist": "identifier=ONE-1"})  # no system: any system matches

    assert response.status_code == 200
    assert response.json()["id"] == existing["id"]
    assert Patient.objects.count() == 1


def test_an_ambiguous_if_none_exist_in_a_transaction_is_412_and_stores_nothing(api):
    PatientFactory(mrn="AMBIG-2")
    PatientFactory(mrn="AMBIG-2")

    response = api.post("/fhir", transaction({
        "fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": PatientFactory.build(mrn="AMBIG-2"),
        "request": {"method": "POST", "url": "Patient", "ifNoneExist": f"identifier={MRN_SYSTEM}|AMBIG-2"},
    }))

    assert response.status_code == 412
    assert Patient.objects.count() == 2


def test_a_conditional_reference_that_matches_several_resources_is_412(api):
    PatientFactory(mrn="AMBIG-3")
    PatientFactory(mrn="AMBIG-3")
    encounter = EncounterFactory.build(patient=f"Patient?identifier={MRN_SYSTEM}|AMBIG-3")

    response = api.post("/fhir", transaction(
        {"resource": encounter, "request": {"method": "POST", "url": "Encounter"}},
    ))

    assert response.status_code == 412
    assert response.json()["issue"][0]["code"] == "multiple-matches"
    assert Encounter.objects.count() == 0


def test_a_conditional_reference_that_matches_one_resource_is_resolved(api):
    patient = PatientFactory(mrn="ONE-2")
    encounter = EncounterFactory.build(patient=f"Patient?identifier={MRN_SYSTEM}|ONE-2")

    response = api.post("/fhir", transaction(
        {"resource": encounter, "request": {"method": "POST", "url": "Encounter"}},
    ))

    assert response.status_code == 200
    assert Encounter.objects.get().patient.fhir_id == patient["id"]
