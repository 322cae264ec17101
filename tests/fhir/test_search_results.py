"""FHIR search: periods without an end, _sort, and the definitions /metadata advertises."""

import pytest

from tests.factories import EncounterFactory, ObservationFactory, PatientFactory, ProcedureFactory

pytestmark = pytest.mark.django_db


def ids(bundle: dict) -> set[str]:
    return {entry["resource"]["id"] for entry in bundle.get("entry", [])}


def ordered_ids(bundle: dict) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]


# --- a Period without an end is ongoing ----------------------------------------------------


@pytest.fixture
def stays():
    patient = PatientFactory()
    return {
        # R4 Encounter example shape: an admission whose period has a start and no end yet
        "ongoing": EncounterFactory(patient=patient, status="in-progress",
                                    period={"start": "2020-05-01T08:00:00Z"}),
        "closed": EncounterFactory(patient=patient, start="2020-05-01T08:00:00Z", end="2020-05-02T08:00:00Z"),
    }


@pytest.mark.parametrize(("value", "which"), [
    ("ge2030-01-01", {"ongoing"}),
    ("gt2030", {"ongoing"}),
    ("2030", set()),  # eq: the period must lie within 2030; it runs on past it
    ("eb2030", {"closed"}),
    ("le2020-05-01", {"ongoing", "closed"}),
    ("lt2020-05-01", set()),
    ("ne2020-05-01", {"ongoing", "closed"}),
])
def test_an_encounter_period_without_an_end_is_ongoing(api, stays, value, which):
    assert ids(api.search("Encounter", {"date": value})) == {stays[s]["id"] for s in which}


def test_a_procedure_performed_over_an_open_period_is_ongoing_but_a_moment_is_not(api):
    patient = PatientFactory()
    open_period = ProcedureFactory(patient=patient, performedDateTime=None,
                                   performedPeriod={"start": "2021-01-01T00:00:00Z"})
    ProcedureFactory(patient=patient, performedDateTime="2021-01-01T00:00:00Z")

    assert ids(api.search("Procedure", {"date": "ge2030"})) == {open_period["id"]}


def test_an_observation_at_a_moment_is_not_ongoing(api):
    ObservationFactory(effectiveDateTime="2021-01-01T00:00:00Z")

    assert ids(api.search("Observation", {"date": "ge2030"})) == set()


# --- _sort -----------------------------------------------------------------------------------


def test_sort_by_birthdate_ascending_and_descending(api):
    born = {year: PatientFactory(family="Sorted", birthDate=f"{year}-01-01")["id"] for year in (1980, 1950, 1965)}

    ascending = api.search("Patient", {"family": "Sorted", "_sort": "birthdate"})
    descending = api.search("Patient", {"family": "Sorted", "_sort": "-birthdate"})

    assert ordered_ids(ascending) == [born[1950], born[1965], born[1980]]
    assert ordered_ids(descending) == [born[1980], born[1965], born[1950]]


def test_sort_by_family_then_given(api):
    a = PatientFactory(family="Zeta", given="Amy")["id"]
    b = PatientFactory(family="Alpha", given="Zoe")["id"]
    c = PatientFactory(family="Alpha", given="Ann")["id"]

    assert ordered_ids(api.search("Patient", {"_sort": "family,given"})) == [c, b, a]


def test_sort_by_date_descending_puts_the_latest_encounter_first_across_pages(api):
    patient = PatientFactory()
    days = ["2024-01-05", "2024-03-05", "2024-02-05"]
    made = {day: EncounterFactory(patient=patient, start=f"{day}T09:00:00Z", end=f"{day}T10:00:00Z")["id"]
            for day in days}

    first = api.search("Encounter", {"patient": patient["id"], "_sort": "-date", "_count": 2})
    following = next(link["url"] for link in first["link"] if link["relation"] == "next")
    second = api.get(following).json()

    assert "_sort=-date" in following
    assert ordered_ids(first) + ordered_ids(second) == [made["2024-03-05"], made["2024-02-05"], made["2024-01-05"]]


def test_sort_by_an_unknown_parameter_is_ignored_unless_strict(api):
    PatientFactory()

    assert api.get("/fhir/Patient", {"_sort": "shoe-size"}).status_code == 200
    assert api.get("/fhir/Patient", {"_sort": "shoe-size"}, Prefer="handling=strict").status_code == 400


# --- /metadata -------------------------------------------------------------------------------


@pytest.mark.parametrize(("resource_type", "name", "definition"), [
    ("Patient", "_id", "Resource-id"),
    ("Patient", "_lastUpdated", "Resource-lastUpdated"),
    ("Patient", "identifier", "Patient-identifier"),
    ("Patient", "family", "individual-family"),
    ("Patient", "birthdate", "individual-birthdate"),
    ("Patient", "name", "Patient-name"),
    ("Practitioner", "given", "individual-given"),
    ("Encounter", "patient", "clinical-patient"),
    ("Encounter", "date", "clinical-date"),
    ("Encounter", "subject", "Encounter-subject"),
    ("Condition", "code", "clinical-code"),
    ("Condition", "identifier", "clinical-identifier"),
    ("Condition", "encounter", "Condition-encounter"),
    ("Condition", "onset-date", "Condition-onset-date"),
    ("Observation", "category", "Observation-category"),
    ("DocumentReference", "code", "clinical-type"),
    ("DocumentReference", "type", "clinical-type"),
    ("ServiceRequest", "date", "ServiceRequest-occurrence"),
    ("Coverage", "payor", "Coverage-payor"),
])
def test_metadata_names_the_r4_search_parameter_definitions(anonymous, resource_type, name, definition):
    statement = anonymous.get("/fhir/metadata").json()
    resource = next(r for r in statement["rest"][0]["resource"] if r["type"] == resource_type)
    params = {p["name"]: p["definition"] for p in resource["searchParam"]}

    assert params[name] == f"http://hl7.org/fhir/SearchParameter/{definition}"
