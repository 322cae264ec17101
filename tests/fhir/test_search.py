"""FHIR search: the parameters each type supports, paging, and the cost of a page."""

from datetime import datetime, timezone

import pytest

from pracops.fhir.mapping import CPT, ICD10CM, LOINC
from pracops.records.models import Patient
from tests.factories import (
    MRN_SYSTEM,
    ConditionFactory,
    CoverageFactory,
    DocumentReferenceFactory,
    EncounterFactory,
    ObservationFactory,
    OrganizationFactory,
    PatientFactory,
    PractitionerFactory,
    ProcedureFactory,
    ServiceRequestFactory,
)

pytestmark = pytest.mark.django_db


def ids(bundle: dict) -> set[str]:
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset"
    return {entry["resource"]["id"] for entry in bundle.get("entry", [])}


def next_link(bundle: dict) -> str | None:
    return next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)


# --- Patient -------------------------------------------------------------------------


@pytest.fixture
def patients():
    """Three patients born on well-separated days."""
    return {
        "ada": PatientFactory(mrn="MRN-ADA-1", family="Lovelace", given="Ada", birthDate="1960-01-15"),
        "grace": PatientFactory(mrn="MRN-GRACE-2", family="Hopper", given="Grace", birthDate="1970-06-15"),
        "alan": PatientFactory(mrn="MRN-ALAN-3", family="Turing", given="Alan", birthDate="1980-12-31"),
    }


@pytest.mark.parametrize("token", [f"{MRN_SYSTEM}|MRN-GRACE-2", "MRN-GRACE-2"])
def test_patient_by_identifier(api, patients, token):
    assert ids(api.search("Patient", {"identifier": token})) == {patients["grace"]["id"]}


def test_patient_by_identifier_in_another_system_finds_nobody(api, patients):
    assert ids(api.search("Patient", {"identifier": "http://other.example.org/mrn|MRN-GRACE-2"})) == set()


@pytest.mark.parametrize(("name", "who"), [("grace", {"grace"}), ("HOP", {"grace"}), ("a", {"ada", "alan"}),
                                           ("lovelace", {"ada"}), ("ovelace", set())])
def test_patient_by_name_matches_the_start_of_any_name_part(api, patients, name, who):
    assert ids(api.search("Patient", {"name": name})) == {patients[p]["id"] for p in who}


def test_patient_by_family(api, patients):
    assert ids(api.search("Patient", {"family": "turing"})) == {patients["alan"]["id"]}
    assert ids(api.search("Patient", {"family": "Alan"})) == set()


@pytest.mark.parametrize(("value", "who"), [
    ("1970-06-15", {"grace"}),
    ("eq1970-06-15", {"grace"}),
    ("1970", {"grace"}),
    ("ge1970-06-15", {"grace", "alan"}),
    ("gt1970-06-15", {"alan"}),
    ("le1970-06-15", {"ada", "grace"}),
    ("lt1970-06-15", {"ada"}),
    ("1970-06-16", set()),
])
def test_patient_by_birthdate(api, patients, value, who):
    assert ids(api.search("Patient", {"birthdate": value})) == {patients[p]["id"] for p in who}


def test_patient_by_birthdate_range(api, patients):
    bundle = api.search("Patient", [("birthdate", "ge1965"), ("birthdate", "lt1975")])
    assert ids(bundle) == {patients["grace"]["id"]}


def test_patient_by_id(api, patients):
    assert ids(api.search("Patient", {"_id": patients["alan"]["id"]})) == {patients["alan"]["id"]}


def test_search_without_parameters_returns_every_patient_with_the_total(api, patients):
    bundle = api.search("Patient")
    assert ids(bundle) == {p["id"] for p in patients.values()}
    assert bundle["total"] == 3
    assert all(e["fullUrl"] == f"http://testserver/fhir/Patient/{e['resource']['id']}" for e in bundle["entry"])


# --- Encounter -----------------------------------------------------------------------


@pytest.fixture
def encounters():
    patient, other = PatientFactory(), PatientFactory()
    return {
        "patient": patient,
        "march": EncounterFactory(patient=patient, start="2024-03-04T09:00:00Z", end="2024-03-04T09:30:00Z"),
        "april": EncounterFactory(patient=patient, start="2024-04-10T14:00:00Z", end="2024-04-10T14:20:00Z",
                                  status="planned"),
        "others": EncounterFactory(patient=other, start="2024-05-01T08:00:00Z", end="2024-05-01T08:45:00Z"),
    }


@pytest.mark.parametrize("param", ["patient", "subject"])
def test_encounter_by_patient(api, encounters, param):
    patient_id = encounters["patient"]["id"]
    expected = {encounters["march"]["id"], encounters["april"]["id"]}
    assert ids(api.search("Encounter", {param: f"Patient/{patient_id}"})) == expected
    assert ids(api.search("Encounter", {param: patient_id})) == expected


@pytest.mark.parametrize(("value", "which"), [
    ("2024-03-04", {"march"}),
    ("2024-04", {"april"}),
    ("ge2024-04-10", {"april", "others"}),
    ("gt2024-04-10", {"others"}),
    ("le2024-04-10", {"march", "april"}),
    ("lt2024-04-10", {"march"}),
    ("2024-06", set()),
])
def test_encounter_by_date(api, encounters, value, which):
    assert ids(api.search("Encounter", {"date": value})) == {encounters[e]["id"] for e in which}


def test_encounter_by_status(api, encounters):
    assert ids(api.search("Encounter", {"status": "planned"})) == {encounters["april"]["id"]}
    assert ids(api.search("Encounter", {"status": "finished"})) == {encounters["march"]["id"],
                                                                     encounters["others"]["id"]}


# --- Coverage ------------------------------------------------------------------------


def test_coverage_by_beneficiary_and_payor(api):
    patient = PatientFactory()
    acme, zenith = OrganizationFactory(payer=True), OrganizationFactory(payer=True)
    at_acme = CoverageFactory(patient=patient, payer=acme)
    at_zenith = CoverageFactory(patient=patient, payer=zenith)
    someone_elses = CoverageFactory(payer=acme)

    assert ids(api.search("Coverage", {"beneficiary": f"Patient/{patient['id']}"})) == {at_acme["id"], at_zenith["id"]}
    assert ids(api.search("Coverage", {"payor": f"Organization/{acme['id']}"})) == {at_acme["id"], someone_elses["id"]}
    assert ids(api.search("Coverage", [("beneficiary", patient["id"]), ("payor", zenith["id"])])) == {at_zenith["id"]}


# --- clinical records: patient, code and date ------------------------------------------

# factory, (system, the code the factory uses, another code), the date element and its format
CLINICAL = {
    "Condition": (ConditionFactory, ICD10CM, "icd10", "M54.16", "M47.816", "onsetDateTime"),
    "Procedure": (ProcedureFactory, CPT, "cpt", "64483", "64493", "performedDateTime"),
    "ServiceRequest": (ServiceRequestFactory, CPT, "cpt", "64493", "64635", "occurrenceDateTime"),
    "Observation": (ObservationFactory, LOINC, "loinc", "72514-3", "38208-5", "effectiveDateTime"),
    "DocumentReference": (DocumentReferenceFactory, LOINC, "note_type", "28570-0", "11506-3", "date"),
}


@pytest.fixture(params=sorted(CLINICAL))
def clinical(request):
    """For one clinical type: two records of one patient (different codes and days), one of another."""
    resource_type = request.param
    factory, system, code_param, code, other_code, date_element = CLINICAL[resource_type]
    patient, other = PatientFactory(), PatientFactory()
    return {
        "type": resource_type, "system": system, "code": code, "other_code": other_code, "patient": patient,
        "first": factory(patient=patient, **{code_param: code, date_element: "2024-01-20T10:00:00Z"}),
        "second": factory(patient=patient, **{code_param: other_code, date_element: "2024-03-05T10:00:00Z"}),
        "others": factory(patient=other, **{code_param: code, date_element: "2024-03-05T15:00:00Z"}),
    }


def test_clinical_record_by_patient(api, clinical):
    expected = {clinical["first"]["id"], clinical["second"]["id"]}
    assert ids(api.search(clinical["type"], {"patient": f"Patient/{clinical['patient']['id']}"})) == expected
    assert ids(api.search(clinical["type"], {"subject": clinical["patient"]["id"]})) == expected


def test_clinical_record_by_code(api, clinical):
    by_system_and_code = api.search(clinical["type"], {"code": f"{clinical['system']}|{clinical['other_code']}"})
    assert ids(by_system_and_code) == {clinical["second"]["id"]}
    by_code = api.search(clinical["type"], {"code": clinical["code"]})
    assert ids(by_code) == {clinical["first"]["id"], clinical["others"]["id"]}
    wrong_system = api.search(clinical["type"], {"code": f"http://example.org/other|{clinical['code']}"})
    assert ids(wrong_system) == set()


def test_clinical_record_by_date(api, clinical):
    assert ids(api.search(clinical["type"], {"date": "2024-03-05"})) == {clinical["second"]["id"],
                                                                         clinical["others"]["id"]}
    assert ids(api.search(clinical["type"], {"date": "lt2024-02"})) == {clinical["first"]["id"]}


def test_clinical_record_by_patient_code_and_date_together(api, clinical):
    bundle = api.search(clinical["type"], [
        ("patient", clinical["patient"]["id"]), ("code", clinical["code"]), ("date", "ge2024-01-01"),
    ])
    assert ids(bundle) == {clinical["first"]["id"]}


# --- paging, _lastUpdated, errors ----------------------------------------------------------


def test_count_pages_through_every_match_by_following_next_links(api):
    created = {PatientFactory(family="Pager")["id"] for _ in range(7)}
    PatientFactory(family="Elsewhere")

    bundle = api.search("Patient", {"family": "Pager", "_count": 3})
    seen, pages = [], 0
    while True:
        pages += 1
        assert bundle["total"] == 7
        assert len(bundle["entry"]) <= 3
        seen.extend(e["resource"]["id"] for e in bundle["entry"])
        url = next_link(bundle)
        if url is None:
            break
        assert "family=Pager" in url
        response = api.get(url)
        assert response.status_code == 200
        bundle = response.json()

    assert pages == 3
    assert sorted(seen) == sorted(created)  # every match once, none twice


def test_last_page_has_a_previous_link_and_no_next(api):
    for _ in range(3):
        PatientFactory()

    bundle = api.search("Patient", {"_count": 2, "_offset": 2})

    assert len(bundle["entry"]) == 1
    assert next_link(bundle) is None
    assert any(link["relation"] == "previous" for link in bundle["link"])


@pytest.mark.parametrize("total", ["accurate", "none"])
def test_count_zero_answers_without_entries_and_without_a_next_link(api, total):
    for _ in range(2):
        PatientFactory()

    bundle = api.search("Patient", {"_count": 0, "_total": total})

    assert bundle.get("entry", []) == []
    assert bundle.get("total") == (2 if total == "accurate" else None)
    assert next_link(bundle) is None  # a client following it would fetch this page forever


def test_last_updated(api):
    old = PatientFactory()
    new = PatientFactory()
    Patient.objects.filter(fhir_id=old["id"]).update(last_updated=datetime(2020, 5, 1, tzinfo=timezone.utc))

    assert ids(api.search("Patient", {"_lastUpdated": "lt2021-01-01"})) == {old["id"]}
    assert ids(api.search("Patient", {"_lastUpdated": "ge2021-01-01"})) == {new["id"]}
    assert ids(api.search("Patient", {"_lastUpdated": "2020-05"})) == {old["id"]}


def test_an_unknown_parameter_is_ignored_and_left_out_of_the_self_link(api):
    patient = PatientFactory(family="Ignored")

    response = api.get("/fhir/Patient", {"shoe-size": "44", "family": "Ignored"})

    assert response.status_code == 200
    bundle = response.json()
    assert ids(bundle) == {patient["id"]}
    self_link = next(link["url"] for link in bundle["link"] if link["relation"] == "self")
    assert "shoe-size" not in self_link
    assert "family=Ignored" in self_link


def test_an_unknown_parameter_is_400_when_the_client_prefers_strict_handling(api):
    PatientFactory()

    response = api.get("/fhir/Patient", {"shoe-size": "44"}, Prefer="handling=strict")

    assert response.status_code == 400
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert "shoe-size" in body["issue"][0]["diagnostics"]


def test_a_malformed_date_is_400(api):
    response = api.get("/fhir/Patient", {"birthdate": "last-tuesday"})

    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


# --- cost ------------------------------------------------------------------------------


def test_a_search_page_costs_a_fixed_number_of_queries(api, django_assert_max_num_queries):
    """Twenty encounters, each with a patient, practitioner and organization: no query per row."""
    provider, practitioner = OrganizationFactory(), PractitionerFactory()
    for _ in range(20):
        EncounterFactory(
            participant=[{"individual": {"reference": f"Practitioner/{practitioner['id']}"}}],
            serviceProvider={"reference": f"Organization/{provider['id']}"},
        )

    # The token (2), the client's roles, the total, the page, the audit event and its patients.
    with django_assert_max_num_queries(7):
        bundle = api.search("Encounter", {"_count": 20})

    assert len(bundle["entry"]) == 20
    first = bundle["entry"][0]["resource"]
    assert first["subject"]["reference"].startswith("Patient/")
    assert first["participant"][0]["individual"]["reference"] == f"Practitioner/{practitioner['id']}"
    assert first["serviceProvider"]["reference"] == f"Organization/{provider['id']}"


def test_summary_count_gives_the_total_without_entries(api):
    for _ in range(3):
        PatientFactory(family="Countable")

    bundle = api.get("/fhir/Patient?family=Countable&_summary=count").json()

    assert bundle["total"] == 3
    assert "entry" not in bundle
