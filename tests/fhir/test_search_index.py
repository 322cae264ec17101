"""FHIR search over the search index: every coding, every name, accents, contacts, chains, _has.

The resources are shaped like the official R4 examples (patient-example, condition-example,
observation-example weight, documentreference-example): several codings and names, text.
"""

import pytest
from django.core.management import call_command

from pracops.records.models import SearchString, SearchToken
from tests.factories import (
    ConditionFactory,
    DocumentReferenceFactory,
    EncounterFactory,
    ObservationFactory,
    PatientFactory,
    reference,
)

pytestmark = pytest.mark.django_db

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
UCUM = "http://unitsofmeasure.org"


def ids(bundle: dict) -> set[str]:
    return {entry["resource"]["id"] for entry in bundle.get("entry", [])}


def chalmers(api) -> dict:
    """R4 patient-example: an official, a usual and a maiden name, phone, email and a home address."""
    return api.create({
        "resourceType": "Patient",
        "name": [
            {"use": "official", "family": "Chalmers", "given": ["Peter", "James"]},
            {"use": "usual", "given": ["Jim"]},
            {"use": "maiden", "family": "Windsor", "given": ["Peter", "James"]},
        ],
        "telecom": [
            {"system": "phone", "value": "(03) 5555 6473", "use": "work", "rank": 1},
            {"system": "email", "value": "peter.chalmers@example.org", "use": "home"},
        ],
        "gender": "male",
        "birthDate": "1974-12-25",
        "address": [{"use": "home", "type": "both", "text": "534 Erewhon St PeasantVille, Rainbow, Vic  3999",
                     "line": ["534 Erewhon St"], "city": "PleasantVille", "district": "Rainbow",
                     "state": "Vic", "postalCode": "3999"}],
    })


def goncalves(api) -> dict:
    return api.create({
        "resourceType": "Patient",
        "name": [{"text": "Maria da Conceição Gonçalves", "family": "Gonçalves", "given": ["Maria", "da Conceição"]}],
        "birthDate": "1961-03-02",
    })


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("param", "value"), [
    ("given", "Jim"),  # the usual name, not the first one
    ("family", "Windsor"),  # the maiden name
    ("family", "chalm"),  # starts with, ignoring case
    ("name", "peter"),
    ("name", "windsor"),
    ("family:exact", "Chalmers"),
    ("name:contains", "alme"),
])
def test_a_name_search_looks_in_every_name(api, param, value):
    patient = chalmers(api)
    goncalves(api)

    assert ids(api.search("Patient", {param: value})) == {patient["id"]}


def test_name_searches_ignore_accents_by_default_and_exact_keeps_them(api):
    maria = goncalves(api)
    chalmers(api)

    assert ids(api.search("Patient", {"family": "goncalves"})) == {maria["id"]}
    assert ids(api.search("Patient", {"family": "GONÇALVES"})) == {maria["id"]}
    assert ids(api.search("Patient", {"given": "da conceicao"})) == {maria["id"]}
    assert ids(api.search("Patient", {"family:exact": "Gonçalves"})) == {maria["id"]}
    assert ids(api.search("Patient", {"family:exact": "Goncalves"})) == set()
    assert ids(api.search("Patient", {"family:exact": "gonçalves"})) == set()  # :exact is case-sensitive


def test_name_matches_the_text_of_a_human_name(api):
    maria = goncalves(api)

    assert ids(api.search("Patient", {"name": "maria da conceicao"})) == {maria["id"]}


# --- address, phone, email -------------------------------------------------------------------


@pytest.mark.parametrize(("param", "value"), [
    ("address", "534 erewhon"), ("address", "pleasantville"), ("address-city", "Pleasant"),
    ("address-state", "vic"), ("address-postalcode", "3999"),
    ("phone", "(03) 5555 6473"), ("phone", "work|(03) 5555 6473"),
    ("email", "peter.chalmers@example.org"),
])
def test_patient_by_address_phone_and_email(api, param, value):
    patient = chalmers(api)
    goncalves(api)

    assert ids(api.search("Patient", {param: value})) == {patient["id"]}


def test_an_email_is_not_a_phone(api):
    chalmers(api)

    assert ids(api.search("Patient", {"phone": "peter.chalmers@example.org"})) == set()


# --- tokens over every coding ----------------------------------------------------------------


@pytest.fixture
def burn(api):
    """R4 condition-example shape: SNOMED and ICD-10-CM codings, text, clinical status, category."""
    patient = PatientFactory()
    condition = api.create({
        "resourceType": "Condition",
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                       "code": "active"}]},
        "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                           "code": "confirmed"}]},
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                  "code": "encounter-diagnosis", "display": "Encounter Diagnosis"}]}],
        "code": {"coding": [{"system": SNOMED, "code": "39065001", "display": "Burn of ear"},
                            {"system": ICD10CM, "code": "T20.011A"}], "text": "Burnt Ear"},
        "subject": reference(patient),
        "onsetDateTime": "2012-05-24",
    })
    other = ConditionFactory(clinicalStatus={"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "resolved"}]})
    return {"patient": patient, "burn": condition, "other": other}


@pytest.mark.parametrize("value", ["39065001", f"{SNOMED}|39065001", "T20.011A", f"{ICD10CM}|T20.011A",
                                   f"{SNOMED}|", "39065001,M99.99"])
def test_a_condition_is_found_by_any_of_its_codings(api, burn, value):
    assert ids(api.search("Condition", {"code": value})) == {burn["burn"]["id"]}


def test_a_code_without_a_system_needs_the_bar_before_it(api, burn):
    assert ids(api.search("Condition", {"code": "|39065001"})) == set()
    assert ids(api.search("Condition", {"code": f"{ICD10CM}|39065001"})) == set()


def test_condition_by_clinical_status_category_and_onset_date(api, burn):
    assert ids(api.search("Condition", {"clinical-status": "active"})) == {burn["burn"]["id"]}
    assert ids(api.search("Condition", {"clinical-status": "resolved"})) == {burn["other"]["id"]}
    assert ids(api.search("Condition", {"category": "encounter-diagnosis"})) == {burn["burn"]["id"]}
    assert ids(api.search("Condition", {"verification-status": "confirmed"})) == {burn["burn"]["id"],
                                                                                   burn["other"]["id"]}
    assert ids(api.search("Condition", {"onset-date": "2012-05-24"})) == {burn["burn"]["id"]}


def test_token_not_excludes_every_listed_code(api, burn):
    assert ids(api.search("Condition", {"clinical-status:not": "active"})) == {burn["other"]["id"]}
    assert ids(api.search("Condition", {"clinical-status:not": "active,resolved"})) == set()


def test_observation_by_category_any_coding_and_value_quantity(api):
    patient = PatientFactory()
    weight = api.create({  # R4 observation-example (body weight): LOINC and SNOMED codings, lb_av
        "resourceType": "Observation", "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": "vital-signs"}]}],
        "code": {"coding": [{"system": LOINC, "code": "29463-7", "display": "Body Weight"},
                            {"system": LOINC, "code": "3141-9"},
                            {"system": SNOMED, "code": "27113001", "display": "Body weight"}]},
        "subject": reference(patient), "effectiveDateTime": "2016-03-28",
        "valueQuantity": {"value": 185, "unit": "lbs", "system": UCUM, "code": "[lb_av]"},
    })
    pain = ObservationFactory(patient=patient, score=7)

    assert ids(api.search("Observation", {"code": f"{SNOMED}|27113001"})) == {weight["id"]}
    assert ids(api.search("Observation", {"code": "3141-9"})) == {weight["id"]}
    assert ids(api.search("Observation", {"category": "vital-signs"})) == {weight["id"]}
    assert ids(api.search("Observation", {"category": "survey"})) == {pain["id"]}
    assert ids(api.search("Observation", {"value-quantity": "185"})) == {weight["id"]}
    assert ids(api.search("Observation", {"value-quantity": f"185|{UCUM}|[lb_av]"})) == {weight["id"]}
    assert ids(api.search("Observation", {"value-quantity": "185||lbs"})) == {weight["id"]}
    assert ids(api.search("Observation", {"value-quantity": f"185|{UCUM}|kg"})) == set()
    assert ids(api.search("Observation", {"value-quantity": "ge7"})) == {weight["id"], pain["id"]}
    assert ids(api.search("Observation", {"value-quantity": "lt100"})) == {pain["id"]}
    assert ids(api.search("Observation", {"value-quantity": "7.4"})) == set()  # 7 is outside [7.35, 7.45)


@pytest.mark.parametrize("value", ["heavy", "NaN", "ge1e999999", "1000000000000"])
def test_a_malformed_or_out_of_range_quantity_is_400(api, value):
    response = api.get("/fhir/Observation", {"value-quantity": value})

    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


def test_document_reference_by_category_and_type(api):
    note = DocumentReferenceFactory(category=[{"coding": [{"system": "http://loinc.org", "code": "LP173421-1",
                                                           "display": "Report"}]}])
    DocumentReferenceFactory(note_type="11506-3")

    assert ids(api.search("DocumentReference", {"category": "LP173421-1"})) == {note["id"]}
    assert ids(api.search("DocumentReference", {"type": f"{LOINC}|28570-0"})) == {note["id"]}
    assert ids(api.search("DocumentReference", {"code": "28570-0"})) == {note["id"]}


# --- the index follows the record --------------------------------------------------------------


def test_an_update_rewrites_the_index_and_a_delete_removes_it(api):
    patient = chalmers(api)
    patient["name"] = [{"family": "Smith", "given": ["Peter"]}]

    assert api.put(f"/fhir/Patient/{patient['id']}", patient).status_code == 200
    assert ids(api.search("Patient", {"family": "Chalmers"})) == set()
    assert ids(api.search("Patient", {"family": "Smith"})) == {patient["id"]}

    assert api.delete(f"/fhir/Patient/{patient['id']}").status_code == 204
    assert not SearchString.objects.exists() and not SearchToken.objects.exists()


def test_rebuild_search_index_indexes_records_stored_without_rows(api):
    burn_patient = chalmers(api)
    SearchString.objects.all().delete()
    SearchToken.objects.all().delete()
    assert ids(api.search("Patient", {"given": "Jim"})) == set()

    call_command("rebuild_search_index", stdout=None)

    assert ids(api.search("Patient", {"given": "Jim"})) == {burn_patient["id"]}
    assert ids(api.search("Patient", {"email": "peter.chalmers@example.org"})) == {burn_patient["id"]}


# --- chained and reverse-chained ---------------------------------------------------------------


@pytest.fixture
def visits(api):
    peter, maria = chalmers(api), goncalves(api)
    return {
        "peter": peter, "maria": maria,
        "peters": EncounterFactory(patient=peter), "marias": EncounterFactory(patient=maria),
        "pain": ObservationFactory(patient=maria, score=8),
    }


@pytest.mark.parametrize(("param", "value"), [
    ("patient.name", "goncalves"),
    ("subject:Patient.name", "Gonçalves"),
    ("patient.family:exact", "Gonçalves"),
    ("patient.birthdate", "1961-03-02"),
])
def test_encounters_by_a_chained_patient_parameter(api, visits, param, value):
    assert ids(api.search("Encounter", {param: value})) == {visits["marias"]["id"]}


def test_chained_patient_identifier(api):
    patient = PatientFactory(mrn="MRN-CHAIN-1")
    encounter = EncounterFactory(patient=patient)
    EncounterFactory()

    assert ids(api.search("Encounter", {"patient.identifier": "MRN-CHAIN-1"})) == {encounter["id"]}


def test_has_finds_patients_by_their_observations(api, visits):
    bundle = api.search("Patient", {"_has:Observation:patient:code": "http://loinc.org|72514-3"})

    assert ids(bundle) == {visits["maria"]["id"]}
    assert ids(api.search("Patient", {"_has:Encounter:patient:status": "finished"})) == {
        visits["peter"]["id"], visits["maria"]["id"]}


def test_a_chain_through_a_parameter_that_is_not_a_reference_is_400(api):
    response = api.get("/fhir/Encounter", {"status.name": "x"})

    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


def test_a_registered_parameter_is_indexed_searched_and_advertised(api, anonymous, monkeypatch):
    from dataclasses import replace

    from pracops.records.registry import KINDS
    from pracops.records.search import indexed_token, register_search_params

    kind = KINDS["ServiceRequest"]
    monkeypatch.setitem(KINDS, "ServiceRequest", replace(kind, search_params=dict(kind.search_params)))
    register_search_params("ServiceRequest", [indexed_token("body-site", "bodySite", "Where the procedure goes")])
    from tests.factories import ServiceRequestFactory

    left, right = ServiceRequestFactory(laterality="left"), ServiceRequestFactory(laterality="right")

    assert ids(api.search("ServiceRequest", {"body-site": f"{SNOMED}|7771000"})) == {left["id"]}
    statement = anonymous.get("/fhir/metadata").json()
    resource = next(r for r in statement["rest"][0]["resource"] if r["type"] == "ServiceRequest")
    assert {"name": "body-site", "definition": "http://hl7.org/fhir/SearchParameter/ServiceRequest-body-site",
            "type": "token", "documentation": "Where the procedure goes"} in resource["searchParam"]
    assert right["id"] not in ids(api.search("ServiceRequest", {"body-site": "7771000"}))


def test_token_text_matches_the_concept_text_and_coding_displays(api, burn):
    assert ids(api.search("Condition", {"code:text": "burnt"})) == {burn["burn"]["id"]}  # code.text
    assert ids(api.search("Condition", {"code:text": "Burn of"})) == {burn["burn"]["id"]}  # a display
    assert ids(api.search("Condition", {"category:text": "encounter diag"})) == {burn["burn"]["id"]}
    assert ids(api.search("Condition", {"code:text": "ear"})) == set()  # starts with, as string search
