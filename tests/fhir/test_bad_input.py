"""Input the database or Python cannot hold is refused where it enters, with a 4xx that names it.

Most of these were server errors on PostgreSQL only (it refuses NUL bytes in text, values
longer than a varchar, OFFSETs past 64 bits, timestamps before the year 1 in UTC); they run
on both databases.
"""

import json

import pytest

from pracops.audit.models import AuditEvent
from pracops.records.models import Encounter, Patient
from tests.factories import ApiClientFactory, EncounterFactory, PatientFactory
from tests.fhir.test_errors import diagnostics, outcome

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["9999-12-31", "gt9999-12-31", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00",
                                   "2024-02-30"])
def test_a_search_date_past_the_calendar_is_400_naming_the_parameter(api, value):
    body = outcome(api.get("/fhir/Encounter", {"date": value}), 400)

    assert "date=" in diagnostics(body) and "between the years 1 and 9999" in diagnostics(body)


@pytest.mark.parametrize("value", ["ap0001", "ap9998-12-31", "lt0001-01-01", "le9998"])
def test_a_search_date_near_the_ends_of_the_calendar_is_answered(api, value):
    EncounterFactory()

    api.search("Encounter", {"date": value})


def test_a_nul_byte_in_a_search_value_is_400(api):
    body = outcome(api.get("/fhir/Patient", {"family": "Ada\x00"}), 400)

    assert "family" in diagnostics(body) and "NUL" in diagnostics(body)


@pytest.mark.parametrize("value", ["99999999999999999999999", str(2 ** 63)])
def test_an_offset_past_64_bits_is_400(api, value):
    body = outcome(api.get("/fhir/Patient", {"_offset": value}), 400)

    assert "_offset" in diagnostics(body)


def test_a_count_past_64_bits_is_cut_to_the_largest_page(api):
    PatientFactory()

    bundle = api.search("Patient", {"_count": "9" * 30})

    assert len(bundle["entry"]) == 1


@pytest.mark.parametrize("fhir_id", ["nul\x00id", "x" * 65, "a b"])
def test_an_id_no_record_can_have_is_404_and_audited(api, fhir_id):
    from urllib.parse import quote

    outcome(api.get(f"/fhir/Patient/{quote(fhir_id, safe='')}"), 404)
    outcome(api.get(f"/fhir/Patient/{quote(fhir_id, safe='')}/_history/1"), 404)

    event = AuditEvent.objects.filter(resource_type="Patient").first()
    assert event.outcome == "4" and "\x00" not in event.resource_id and len(event.resource_id) <= 64


def test_a_nul_byte_in_a_body_is_400_naming_the_element(api):
    patient = PatientFactory.build()
    patient["name"][0]["family"] = "Lovelace\x00"

    body = outcome(api.post("/fhir/Patient", json.dumps(patient)), 400)

    assert body["issue"][0]["expression"] == ["Patient.name[0].family"]
    assert Patient.objects.count() == 0


def test_a_value_longer_than_its_column_is_422_naming_the_element(api):
    patient = PatientFactory.build()
    patient["name"][0]["family"] = "L" * 256

    body = outcome(api.post("/fhir/Patient", patient), 422)

    assert "Patient.name[0].family: 256 characters; at most 255" in diagnostics(body)
    assert Patient.objects.count() == 0


def test_a_time_before_the_year_1_in_utc_is_422(api):
    encounter = EncounterFactory.build(patient=PatientFactory(), start="0001-01-01T00:00:00+14:00",
                                       end="0001-01-02T00:00:00+14:00")

    body = outcome(api.post("/fhir/Encounter", encounter), 422)

    assert "Encounter.period.start" in diagnostics(body)
    assert Encounter.objects.count() == 0


@pytest.mark.parametrize("meta", [[], "v1", 3, {"versionId": {"x": 1}}, {"versionId": [1]}])
def test_meta_of_the_wrong_type_is_400(api, meta):
    patient = PatientFactory()

    outcome(api.put(f"/fhir/Patient/{patient['id']}", {**patient, "meta": meta}), 400)


@pytest.mark.parametrize("entry", [
    {"request": "POST Patient"},
    {"request": ["POST"]},
    {"request": {"method": ["POST"], "url": "Patient"}},
    {"request": {"method": "POST", "url": {"x": 1}}},
    {"request": {"method": "PUT", "url": "Patient/1", "ifMatch": 3}},
    {"request": {"method": "POST", "url": "Patient", "ifNoneExist": {"identifier": "x"}}},
    {"request": {"method": "POST"}, "resource": ["Patient"]},
    {"request": {"method": "POST"}, "resource": {"resourceType": ["Patient"]}},
    {"fullUrl": 7, "request": {"method": "POST", "url": "Patient"}, "resource": {"resourceType": "Patient"}},
])
@pytest.mark.parametrize("kind", ["transaction", "batch"])
def test_a_bundle_entry_of_the_wrong_type_is_400(api, entry, kind):
    body = outcome(api.post("/fhir", {"resourceType": "Bundle", "type": kind, "entry": [entry]}), 400)

    assert "Bundle.entry[0]" in diagnostics(body)


@pytest.mark.parametrize("entries", [{"request": {}}, 7, "entry"])
def test_bundle_entries_that_are_not_a_list_are_400(api, entries):
    outcome(api.post("/fhir", {"resourceType": "Bundle", "type": "transaction", "entry": entries}), 400)


@pytest.fixture
def auditor(client):
    token = ApiClientFactory(role="auditor").authorization
    return lambda params: client.get("/api/audit-events/", params, headers={"Authorization": token})


@pytest.mark.parametrize("params", [
    {"since": "2024-02-30T00:00:00Z"}, {"until": "0001-01-01T00:00:00+14:00"}, {"since": "yesterday"},
    {"offset": str(2 ** 64)}, {"offset": "-1"}, {"limit": "x"}, {"patient": "p\x00"},
])
def test_bad_audit_trail_parameters_are_400_naming_them(auditor, params):
    response = auditor(params)

    assert response.status_code == 400, response.content
    assert set(params) <= set(response.json()["error"]["detail"])


@pytest.mark.parametrize("limit", [str(2 ** 64), "9" * 5000])
def test_a_huge_limit_on_the_audit_trail_is_cut_to_the_largest_page(auditor, limit):
    response = auditor({"limit": limit, "since": "2024-01-01T00:00:00"})

    assert response.status_code == 200, response.content


def test_an_unexpected_failure_in_the_fhir_api_is_a_500_operation_outcome_without_details(api, monkeypatch):
    from pracops.records import selectors

    def broken(*args, **kwargs):
        raise RuntimeError("secret detail Ada Lovelace")

    monkeypatch.setattr(selectors, "read_resource", broken)

    response = api.get("/fhir/Patient/abc")

    body = outcome(response, 500)
    assert body["issue"][0]["code"] == "exception"
    assert "Ada" not in response.content.decode() and "RuntimeError" not in response.content.decode()
    assert AuditEvent.objects.filter(resource_type="Patient", outcome="8").exists()


def test_an_unexpected_failure_in_the_rest_api_is_a_json_500(auditor, monkeypatch):
    from pracops.audit import api as audit_api

    def broken(**kwargs):
        raise RuntimeError("secret detail Ada Lovelace")

    monkeypatch.setattr(audit_api, "audit_events", broken)

    response = auditor({})

    assert response.status_code == 500
    assert response.json() == {"error": {"status": 500, "code": "server_error", "detail": "internal server error"}}


@pytest.mark.parametrize("fhir_id", ["nul\x00id", "x" * 65])
def test_deleting_an_id_no_record_can_have_is_400(api, fhir_id):
    from urllib.parse import quote

    body = outcome(api.delete(f"/fhir/Patient/{quote(fhir_id, safe='')}"), 400)

    assert "is not a valid id" in diagnostics(body)


def test_patching_an_id_no_record_can_have_is_404(api):
    response = api.client.patch("/fhir/Patient/nul%00id", b"[]", content_type="application/json-patch+json",
                                headers=api.headers)

    outcome(response, 404)


@pytest.mark.parametrize("query", ["", "?_since=2026-02-30T00:00:00Z", f"?_offset={2 ** 64}"])
def test_the_history_of_an_id_no_record_can_have_is_404(api, query):
    outcome(api.get(f"/fhir/Patient/nul%00id/_history{query}"), 404)


@pytest.mark.parametrize("params", [{"_since": "2026-02-30T00:00:00Z"}, {"_since": "0001-01-01T00:00:00+14:00"},
                                    {"_offset": str(2 ** 64)}])
def test_bad_history_parameters_are_400(api, params):
    PatientFactory()

    outcome(api.get("/fhir/Patient/_history", params), 400)


def test_a_path_with_a_newline_is_a_404_operation_outcome(api):
    outcome(api.get("/fhir/Patient%C2%BA/a%0A"), 404)
