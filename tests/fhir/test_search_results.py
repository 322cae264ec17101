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
    ("Patient", "address-city", "individual-address-city"),
    ("Patient", "phone", "individual-phone"),
    ("Patient", "email", "individual-email"),
    ("Condition", "clinical-status", "Condition-clinical-status"),
    ("Condition", "category", "Condition-category"),
    ("Condition", "status", "Condition-verification-status"),
    ("Observation", "value-quantity", "Observation-value-quantity"),
    ("DocumentReference", "category", "DocumentReference-category"),
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


# --- _include and _revinclude ------------------------------------------------------------------


def entries(bundle: dict, mode: str) -> set[str]:
    return {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle.get("entry", [])
            if e["search"]["mode"] == mode}


@pytest.fixture
def chart():
    patient, other = PatientFactory(), PatientFactory()
    return {
        "patient": patient, "other": other,
        "visits": [EncounterFactory(patient=patient, start=f"2024-0{m}-01T09:00:00Z", end=f"2024-0{m}-01T10:00:00Z")
                   for m in (1, 2)],
        "others_visit": EncounterFactory(patient=other),
        "pain": ObservationFactory(patient=patient),
    }


def test_include_adds_each_referenced_patient_once(api, chart):
    bundle = api.search("Encounter", {"patient": chart["patient"]["id"], "_include": "Encounter:patient"})

    assert entries(bundle, "match") == {f"Encounter/{v['id']}" for v in chart["visits"]}
    assert entries(bundle, "include") == {f"Patient/{chart['patient']['id']}"}
    assert len(bundle["entry"]) == 3
    assert bundle["total"] == 2  # included resources are not counted


@pytest.mark.parametrize("include", ["Encounter:subject:Patient", "*"])
def test_include_by_subject_with_its_target_or_everything(api, chart, include):
    bundle = api.search("Encounter", {"_id": chart["others_visit"]["id"], "_include": include})

    assert f"Patient/{chart['other']['id']}" in entries(bundle, "include")


def test_include_the_payor_of_a_coverage(api):
    from tests.factories import CoverageFactory, OrganizationFactory

    payer = OrganizationFactory(payer=True)
    coverage = CoverageFactory(payer=payer)

    bundle = api.search("Coverage", {"_id": coverage["id"], "_include": "Coverage:payor"})

    assert entries(bundle, "include") == {f"Organization/{payer['id']}"}


def test_revinclude_adds_the_patients_encounters(api, chart):
    bundle = api.search("Patient", {"_id": chart["patient"]["id"], "_revinclude": "Encounter:patient"})

    assert entries(bundle, "match") == {f"Patient/{chart['patient']['id']}"}
    assert entries(bundle, "include") == {f"Encounter/{v['id']}" for v in chart["visits"]}
    self_link = next(link["url"] for link in bundle["link"] if link["relation"] == "self")
    assert "_revinclude=Encounter%3Apatient" in self_link


def test_included_resources_are_audited(api, chart):
    from pracops.audit.models import AuditEvent

    api.search("Patient", {"_id": chart["patient"]["id"], "_revinclude": "Observation:patient"})

    event = AuditEvent.objects.filter(action="E", resource_type="Patient").latest("pk")
    assert f"Observation/{chart['pain']['id']}" in event.entities
    assert f"Patient/{chart['patient']['id']}" in event.entities


def test_a_role_that_may_not_read_a_type_does_not_get_it_included(api_as, chart):
    billing = api_as("billing")  # billing reads patients and encounters, not observations

    bundle = billing.search("Patient", {"_id": chart["patient"]["id"],
                                        "_revinclude": "Observation:patient,Encounter:patient"})

    assert entries(bundle, "include") == {f"Encounter/{v['id']}" for v in chart["visits"]}
    outcome = next(e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "outcome")
    assert "Observation" in outcome["issue"][0]["diagnostics"]


def test_a_role_may_not_search_through_a_type_it_may_not_search(api_as, chart):
    billing = api_as("billing")

    response = billing.get("/fhir/Patient", {"_has:Observation:patient:code": "72514-3"})

    assert response.status_code == 403
    assert response.json()["resourceType"] == "OperationOutcome"


def test_an_include_that_is_not_a_reference_of_the_type_is_ignored_unless_strict(api, chart):
    assert entries(api.search("Encounter", {"_include": "Patient:organization"}), "include") == set()
    response = api.get("/fhir/Encounter", {"_include": "Encounter:status"}, Prefer="handling=strict")
    assert response.status_code == 400


# --- _summary and _elements ---------------------------------------------------------------------

SUBSETTED = {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "SUBSETTED"}


def is_subsetted(resource: dict) -> bool:
    return any(tag.get("system") == SUBSETTED["system"] and tag.get("code") == SUBSETTED["code"]
               for tag in resource["meta"].get("tag", []))


def test_summary_true_keeps_summary_and_mandatory_elements_and_tags_the_resource(api):
    from fhir.resources.R4B.encounter import Encounter

    EncounterFactory(text={"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">visit</div>'},
                     hospitalization={"admitSource": {"text": "referral"}})

    resource = api.search("Encounter", {"_summary": "true"})["entry"][0]["resource"]

    assert "text" not in resource and "hospitalization" not in resource  # not summary elements
    assert {"status", "class", "subject", "type"} <= set(resource)
    assert is_subsetted(resource)
    Encounter.model_validate(resource)  # still a valid resource


def test_summary_text_and_data(api):
    EncounterFactory(text={"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">visit</div>'})

    text = api.search("Encounter", {"_summary": "text"})["entry"][0]["resource"]
    data = api.search("Encounter", {"_summary": "data"})["entry"][0]["resource"]

    assert set(text) == {"resourceType", "id", "meta", "text", "status", "class"}
    assert "text" not in data and "period" in data
    assert is_subsetted(text) and is_subsetted(data)


def test_summary_false_returns_the_whole_resource_untagged(api):
    EncounterFactory()

    resource = api.search("Encounter", {"_summary": "false"})["entry"][0]["resource"]

    assert "period" in resource and not is_subsetted(resource)


def test_elements_returns_the_asked_and_the_mandatory_elements(api):
    from fhir.resources.R4B.observation import Observation

    ObservationFactory()

    resource = api.search("Observation", {"_elements": "valueQuantity,subject"})["entry"][0]["resource"]

    assert set(resource) == {"resourceType", "id", "meta", "status", "code", "valueQuantity", "subject"}
    assert is_subsetted(resource)
    Observation.model_validate(resource)


def test_an_unknown_summary_mode_is_400(api):
    response = api.get("/fhir/Patient", {"_summary": "brief"})

    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


def test_an_include_costs_one_query_however_many_matches(api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(10):
        EncounterFactory()

    with CaptureQueriesContext(connection) as plain:
        api.search("Encounter", {"_count": 10})
    with CaptureQueriesContext(connection) as included:
        bundle = api.search("Encounter", {"_count": 10, "_include": "Encounter:patient"})

    assert len(entries(bundle, "include")) == 10
    assert len(included.captured_queries) == len(plain.captured_queries) + 1
