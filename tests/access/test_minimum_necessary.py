"""Minimum necessary reaches inside resources: contained resources and conditional references.

A note contained in an Encounter is still a note, and whether ``DocumentReference?identifier=...``
matches tells the sender that the note exists: both need the role's grant on that type.
"""

import pytest

from pracops.records.models import Coverage, Encounter
from tests.factories import (
    CoverageFactory, DocumentReferenceFactory, EncounterFactory, OrganizationFactory, PatientFactory,
)

pytestmark = pytest.mark.django_db

NOTE_TEXT = "Procedure note: left L4-L5 transforaminal epidural steroid injection, tolerated well."
NOTE_ID = "urn:oid:2.16.840.1.113883.3.7418.9|NOTE-77"


def encounter_with_a_contained_note(patient) -> dict:
    note = {k: v for k, v in DocumentReferenceFactory.build(patient=patient).items() if k != "subject"}
    return {
        **EncounterFactory.build(patient=patient),
        "contained": [{**note, "id": "note"}],
        "extension": [{"url": "http://example.org/fhir/StructureDefinition/visit-note",
                       "valueReference": {"reference": "#note"}}],
    }


@pytest.fixture
def stored_encounter(api):
    return api.create(encounter_with_a_contained_note(PatientFactory()))


def test_the_contained_note_is_stored_and_shown_to_a_role_that_may_read_notes(api, stored_encounter):
    response = api.get(f"/fhir/Encounter/{stored_encounter['id']}")

    assert response.status_code == 200
    assert response.json()["contained"][0]["resourceType"] == "DocumentReference"


def test_billing_may_not_read_an_encounter_with_a_contained_note(api_as, stored_encounter):
    response = api_as("billing").get(f"/fhir/Encounter/{stored_encounter['id']}")

    assert response.status_code == 403
    assert "DocumentReference" in response.json()["issue"][0]["diagnostics"]
    assert "attachment" not in response.content.decode()


def test_billing_may_not_read_it_as_a_version(api_as, stored_encounter):
    response = api_as("billing").get(f"/fhir/Encounter/{stored_encounter['id']}/_history/1")

    assert response.status_code == 403


def test_billing_may_not_search_its_way_to_a_contained_note(api_as, stored_encounter):
    response = api_as("billing").get("/fhir/Encounter", {"_id": stored_encounter["id"]})

    assert response.status_code == 403
    assert "DocumentReference" in response.json()["issue"][0]["diagnostics"]
    assert "attachment" not in response.content.decode()


def test_billing_may_still_search_encounters_without_contained_notes(api_as):
    EncounterFactory()

    assert api_as("billing").get("/fhir/Encounter").status_code == 200


@pytest.mark.parametrize("via", ["read", "search"])
def test_billing_may_not_reach_a_contained_note_through_a_bundle(api_as, stored_encounter, via):
    url = f"Encounter/{stored_encounter['id']}" if via == "read" else f"Encounter?_id={stored_encounter['id']}"
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [{"request": {"method": "GET", "url": url}}]}

    response = api_as("billing").post("/fhir", bundle)

    assert response.status_code == 200
    [entry] = response.json()["entry"]
    assert entry["response"]["status"] == "403"
    assert "attachment" not in response.content.decode()


def test_a_role_may_not_write_a_resource_containing_a_type_it_may_not_read(api_as):
    patient = PatientFactory()
    coverage = {**CoverageFactory.build(patient=patient, payer=OrganizationFactory(payer=True)),
                "contained": [{**DocumentReferenceFactory.build(patient=patient), "id": "n"}]}

    created = api_as("billing").post("/fhir/Coverage", coverage)
    stored = CoverageFactory(patient=patient)
    updated = api_as("billing").put(f"/fhir/Coverage/{stored['id']}", {**coverage, "id": stored["id"]})

    assert (created.status_code, updated.status_code) == (403, 403)
    assert "DocumentReference" in created.json()["issue"][0]["diagnostics"]
    assert Coverage.objects.get(fhir_id=stored["id"]).version_id == 1
    assert Coverage.objects.count() == 1


def coverage_pointing_at_a_note() -> dict:
    return {**CoverageFactory.build(patient=PatientFactory(), payer=OrganizationFactory(payer=True)), "contract": [{"reference": f"DocumentReference?identifier={NOTE_ID}"}]}


@pytest.mark.parametrize("note_exists", [True, False])
def test_billing_cannot_probe_for_a_note_through_a_conditional_reference(api_as, note_exists):
    if note_exists:
        system, value = NOTE_ID.split("|")
        DocumentReferenceFactory(identifier=[{"system": system, "value": value}])
    before = Coverage.objects.count()

    response = api_as("billing").post("/fhir/Coverage", coverage_pointing_at_a_note())

    # The same answer whether or not the note exists.
    assert response.status_code == 403
    assert "search DocumentReference" in response.json()["issue"][0]["diagnostics"]
    assert Coverage.objects.count() == before


@pytest.mark.parametrize("prefer", ["", "respond-async"])
def test_a_bundle_entry_with_a_conditional_reference_needs_search_of_its_type(api_as, prefer):
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": coverage_pointing_at_a_note(), "request": {"method": "POST", "url": "Coverage"}},
    ]}
    before = Coverage.objects.count()

    response = api_as("billing").post("/fhir", bundle, Prefer=prefer)

    assert response.status_code == 403
    assert "Bundle.entry[0]" in response.json()["issue"][0]["diagnostics"]
    assert Coverage.objects.count() == before


def test_a_bundle_entry_may_contain_what_the_role_may_read(api_as):
    patient = PatientFactory()
    encounter = encounter_with_a_contained_note(patient)
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": encounter, "request": {"method": "POST", "url": "Encounter"}},
    ]}

    assert api_as("clinician").post("/fhir", bundle).status_code == 200
    assert api_as("front_office").post("/fhir", bundle).status_code == 403  # writes no encounters anyway
    assert Encounter.objects.count() == 1


def encounter_with_a_contained_location(patient) -> dict:
    return {
        **EncounterFactory.build(patient=patient),
        "contained": [{"resourceType": "Location", "id": "home", "name": "Patient's home"}],
        "location": [{"location": {"reference": "#home"}}],
    }


def test_the_ehr_may_send_and_read_a_contained_type_no_app_stores(api):
    stored = api.create(encounter_with_a_contained_location(PatientFactory()))

    response = api.get(f"/fhir/Encounter/{stored['id']}")

    assert response.status_code == 200
    assert response.json()["contained"][0]["resourceType"] == "Location"


def test_front_office_and_billing_may_not_read_a_contained_type_no_app_stores(api, api_as):
    stored = api.create(encounter_with_a_contained_location(PatientFactory()))

    for role in ("billing", "front_office"):
        response = api_as(role).get(f"/fhir/Encounter/{stored['id']}")
        assert response.status_code == 403, role
        assert "Location" in response.json()["issue"][0]["diagnostics"]


def test_an_unstored_type_is_still_not_served_on_its_own(api):
    assert api.get("/fhir/Location/home").status_code == 404
