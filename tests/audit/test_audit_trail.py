"""The audit trail: every access to patient data through the API or the admin is recorded."""

import base64
import json
from io import StringIO

import pytest
from django.core.management import call_command
from fhir.resources.R4B.auditevent import AuditEvent as FhirAuditEvent

from pracops.audit.models import AuditEvent
from pracops.audit.selectors import audit_events
from tests.factories import DocumentReferenceFactory, EncounterFactory, PatientFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


def events_since(mark: int):
    return AuditEvent.objects.filter(pk__gt=mark).order_by("pk")


def last_pk() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@pytest.fixture
def encounter():
    return EncounterFactory()


def _read(api, encounter):
    return api.get(f"/fhir/Encounter/{encounter['id']}")


def _search(api, encounter):
    return api.get("/fhir/Encounter", {"patient": encounter["subject"]["reference"]})


def _create(api, encounter):
    return api.post("/fhir/Encounter", EncounterFactory.build(patient=encounter["subject"]["reference"]))


def _update(api, encounter):
    return api.put(f"/fhir/Encounter/{encounter['id']}", {**encounter, "status": "cancelled"})


def _delete(api, encounter):
    return api.delete(f"/fhir/Encounter/{encounter['id']}")


@pytest.mark.parametrize(("interaction", "action", "subtype", "status"), [
    (_read, "R", "read", 200),
    (_search, "E", "search", 200),
    (_create, "C", "create", 201),
    (_update, "U", "update", 200),
    (_delete, "D", "delete", 204),
])
def test_each_interaction_writes_one_audit_event(api, encounter, interaction, action, subtype, status):
    mark = last_pk()

    response = interaction(api, encounter)

    assert response.status_code == status
    [event] = events_since(mark)
    patient_id = encounter["subject"]["reference"].split("/")[1]
    resource_id = response.json()["id"] if action == "C" else ("" if action == "E" else encounter["id"])
    assert (event.action, event.subtype, event.source) == (action, subtype, "fhir-api")
    assert event.user == api.user and event.agent_name == api.user.username
    assert event.agent_roles == "integration"
    assert (event.resource_type, event.resource_id, event.patient_id) == ("Encounter", resource_id, patient_id)
    assert event.outcome == AuditEvent.Outcome.SUCCESS
    assert event.remote_addr == "127.0.0.1"


def test_a_search_records_its_query_and_what_it_returned(api, encounter):
    mark = last_pk()

    _search(api, encounter)

    [event] = events_since(mark)
    assert event.query == f"patient={encounter['subject']['reference'].replace('/', '%2F')}"
    assert event.entities == [f"Encounter/{encounter['id']}"]


def test_a_refused_request_is_audited_as_a_failure(api_as):
    note = DocumentReferenceFactory()
    billing = api_as("billing")
    mark = last_pk()

    assert billing.get(f"/fhir/DocumentReference/{note['id']}").status_code == 403

    [event] = events_since(mark)
    assert event.user == billing.user
    assert (event.action, event.resource_type, event.resource_id) == ("R", "DocumentReference", note["id"])
    assert event.outcome == AuditEvent.Outcome.MINOR_FAILURE
    assert event.outcome_detail == "HTTP 403"


def test_a_read_of_an_unknown_id_is_audited_as_a_failure(api):
    mark = last_pk()

    assert api.get("/fhir/Patient/does-not-exist").status_code == 404

    [event] = events_since(mark)
    assert (event.action, event.resource_type, event.resource_id) == ("R", "Patient", "does-not-exist")
    assert (event.outcome, event.outcome_detail) == ("4", "HTTP 404")


def test_a_refused_create_is_audited_as_a_failure(api_as):
    clinician = api_as("clinician")
    mark = last_pk()

    assert clinician.post("/fhir/Patient", PatientFactory.build()).status_code == 403

    [event] = events_since(mark)
    assert (event.action, event.resource_type, event.outcome) == ("C", "Patient", "4")


def test_each_entry_of_a_transaction_is_audited(api):
    patient = PatientFactory()
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": EncounterFactory.build(patient=patient), "request": {"method": "POST", "url": "Encounter"}},
        {"request": {"method": "GET", "url": f"Patient/{patient['id']}"}},
    ]}
    mark = last_pk()

    response = api.post("/fhir", bundle)

    encounter_id = response.json()["entry"][0]["resource"]["id"]
    got = [(e.action, e.resource_type, e.resource_id, e.patient_id) for e in events_since(mark)]
    assert got == [("C", "Encounter", encounter_id, patient["id"]), ("R", "Patient", patient["id"], patient["id"]),
                   ("E", "Bundle", "", "")]
    assert all(e.user == api.user for e in events_since(mark))


SECRET = "She confided that her brother Tobias sells counterfeit turquoise in Flagstaff"


def test_no_audit_field_holds_a_notes_text(api):
    patient = PatientFactory()
    note = api.create(DocumentReferenceFactory.build(patient=patient, text=SECRET))
    api.get(f"/fhir/DocumentReference/{note['id']}")
    api.get("/fhir/DocumentReference", {"patient": patient["id"]})
    api.put(f"/fhir/DocumentReference/{note['id']}", {**note, "status": "superseded"})
    api.post("/fhir/DocumentReference", {**DocumentReferenceFactory.build(patient=patient, text=SECRET),
                                         "status": "not-a-status"})  # refused: the body is not echoed
    api.delete(f"/fhir/DocumentReference/{note['id']}")

    encoded = base64.b64encode(SECRET.encode()).decode()
    events = list(AuditEvent.objects.all())
    assert len(events) >= 6
    for event in events:
        columns = [str(getattr(event, f.attname)) for f in AuditEvent._meta.concrete_fields]
        as_fhir = str(event.as_fhir())
        for text in (*columns, as_fhir):
            assert "Tobias" not in text and "turquoise" not in text
            assert encoded[:40] not in text


def test_audit_events_validate_as_fhir_audit_events(api_as, encounter):
    api = api_as("integration")
    _read(api, encounter)
    _search(api, encounter)
    _create(api, encounter)
    api.get("/fhir/Patient/nobody")
    api_as("billing").get("/fhir/DocumentReference")

    events = list(AuditEvent.objects.all())
    assert len(events) == 5
    for event in events:
        resource = event.as_fhir()
        FhirAuditEvent.model_validate(resource)
        assert resource["agent"][0]["who"]["display"] == event.agent_name
    search = next(e.as_fhir() for e in events if e.subtype == "search" and e.resource_type == "Encounter")
    query = next(entity["query"] for entity in search["entity"] if "query" in entity)
    assert base64.b64decode(query).decode().startswith("patient=")


def test_the_auditor_lists_events_by_patient_as_json_and_fhir(api_as, encounter):
    patient_id = encounter["subject"]["reference"].split("/")[1]
    _read(api_as("integration"), encounter)
    PatientFactory()  # somebody else's record, unread

    body = api_as("auditor").get("/api/audit-events/", {"patient": patient_id}).json()

    assert body["count"] == 1
    [event] = body["results"]
    assert (event["resource_type"], event["resource_id"], event["patient_id"]) == ("Encounter", encounter["id"],
                                                                                    patient_id)
    assert event["fhir"]["resourceType"] == "AuditEvent"
    # Reading the trail is itself audited.
    assert AuditEvent.objects.filter(resource_type="AuditEvent", source="rest-api").count() == 1


# --- the admin -----------------------------------------------------------------------------


@pytest.fixture
def staff(client):
    user = StaffUserFactory()
    client.force_login(user)
    return user


def test_searching_patients_in_the_admin_is_audited(client, staff):
    patient = PatientFactory(mrn="MRN-ADMIN-9")
    PatientFactory(mrn="MRN-OTHER-1")
    mark = last_pk()

    response = client.get("/admin/records/patient/", {"q": "MRN-ADMIN-9"})

    assert response.status_code == 200
    [event] = events_since(mark)
    assert (event.source, event.action, event.resource_type) == ("admin", "E", "Patient")
    assert event.user == staff
    assert event.query == "q=MRN-ADMIN-9"
    assert event.entities == [f"Patient/{patient['id']}"]


def test_opening_a_patient_in_the_admin_is_audited(client, staff):
    from pracops.records.models import Patient

    patient = PatientFactory()
    pk = Patient.objects.get(fhir_id=patient["id"]).pk
    mark = last_pk()

    response = client.get(f"/admin/records/patient/{pk}/change/")

    assert response.status_code == 200
    [event] = events_since(mark)
    assert (event.source, event.action, event.resource_type) == ("admin", "R", "Patient")
    assert (event.resource_id, event.patient_id) == (patient["id"], patient["id"])
    assert event.user == staff
    assert FhirAuditEvent.model_validate(event.as_fhir()).type.code == "110110"


def test_opening_an_encounter_in_the_admin_names_its_patient(client, staff, encounter):
    from pracops.records.models import Encounter

    pk = Encounter.objects.get(fhir_id=encounter["id"]).pk
    mark = last_pk()

    client.get(f"/admin/records/encounter/{pk}/change/")

    [event] = events_since(mark)
    assert (event.resource_id, event.patient_id) == (encounter["id"], encounter["subject"]["reference"][8:])


def test_the_admins_audit_trail_pages_audit_their_own_reading(client, staff, encounter):
    read_event = AuditEvent.objects.create(action="R", subtype="read", source="fhir-api", resource_type="Patient",
                                            resource_id="p-1", patient_id="p-1")
    mark = last_pk()

    listed = client.get("/admin/audit/auditevent/", {"patient_id": "p-1"})
    opened = client.get(f"/admin/audit/auditevent/{read_event.pk}/change/")

    assert (listed.status_code, opened.status_code) == (200, 200)
    got = [(e.source, e.action, e.resource_type, e.resource_id, e.query, e.user) for e in events_since(mark)]
    assert got == [("admin", "E", "AuditEvent", "", "patient_id=p-1", staff),
                   ("admin", "R", "AuditEvent", str(read_event.pk), "", staff)]


# --- searches that show several patients ------------------------------------------------------


def test_an_admin_list_of_several_patients_records_is_found_by_each_patient(client, staff):
    first, second = PatientFactory(), PatientFactory()
    for patient in (first, second):
        EncounterFactory(patient=patient)
    mark = last_pk()

    assert client.get("/admin/records/encounter/").status_code == 200

    [event] = events_since(mark)
    for patient in (first, second):
        assert list(audit_events(patient_id=patient["id"])) == [event]


def test_a_search_returning_several_patients_is_found_by_each_patient(api_as):
    first, second, unread = PatientFactory(), PatientFactory(), PatientFactory()
    for patient in (first, second):
        EncounterFactory(patient=patient)
    EncounterFactory(patient=unread, start="2020-01-01T09:00:00Z", end="2020-01-01T09:30:00Z")
    api_as("integration").get("/fhir/Encounter", {"date": "ge2024-01-01"})
    auditor = api_as("auditor")

    def searches_of(patient: dict) -> list[dict]:
        body = auditor.get("/api/audit-events/", {"patient": patient["id"], "resource_type": "Encounter"}).json()
        return body["results"]

    for patient in (first, second):
        [event] = searches_of(patient)
        assert event["action"] == "E"
        assert sorted(event["patients"]) == sorted([first["id"], second["id"]])
        references = {e["what"]["reference"] for e in event["fhir"]["entity"] if "what" in e}
        assert f"Patient/{patient['id']}" in references
        FhirAuditEvent.model_validate(event["fhir"])
    assert searches_of(unread) == []


def test_a_patient_search_returning_several_patients_is_found_by_each(api):
    first, second = PatientFactory(family="Quintanilla"), PatientFactory(family="Quintanilla")
    mark = last_pk()

    api.get("/fhir/Patient", {"family": "Quintanilla"})

    [event] = events_since(mark)
    for patient in (first, second):
        assert list(audit_events(patient_id=patient["id"])) == [event]


def test_a_search_in_a_bundle_is_found_by_each_patient(api):
    first, second = PatientFactory(), PatientFactory()
    for patient in (first, second):
        EncounterFactory(patient=patient)
    bundle = {"resourceType": "Bundle", "type": "batch",
              "entry": [{"request": {"method": "GET", "url": "Encounter?date=ge2024-01-01"}}]}
    mark = last_pk()

    assert api.post("/fhir", bundle).status_code == 200

    for patient in (first, second):
        found = [(e.resource_type, e.action) for e in audit_events(patient_id=patient["id"]).filter(pk__gt=mark)]
        assert found == [("Encounter", "E")]


def test_a_search_of_one_patient_keeps_the_patient_on_the_event(api, encounter):
    mark = last_pk()

    _search(api, encounter)

    [event] = events_since(mark)
    assert event.patient_id == encounter["subject"]["reference"].split("/")[1]
    assert not event.patients.exists()


# --- writes nobody requested over the network --------------------------------------------------


def test_import_fhir_writes_carry_a_system_agent(tmp_path):
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": {**PatientFactory.build(), "id": "imp-1"}}]}
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    mark = last_pk()

    call_command("import_fhir", str(path), "--progress", "never", "--no-pipeline", stdout=StringIO())

    [event] = events_since(mark)
    assert (event.action, event.resource_id, event.source) == ("C", "imp-1", "command")
    assert (event.user, event.agent_name) == (None, "system:import_fhir")
    resource = event.as_fhir()
    FhirAuditEvent.model_validate(resource)
    agent = resource["agent"][0]
    assert (agent["requestor"], agent["who"]["display"], agent["type"]["coding"][0]["code"]) == (
        False, "system:import_fhir", "110150")


def test_load_demo_writes_carry_a_system_agent():
    call_command("load_demo", "--quiet-logins", stdout=StringIO())

    agents = set(AuditEvent.objects.values_list("agent_name", flat=True))
    assert agents == {"system:load_demo"}


def test_a_user_requested_event_names_the_user_as_requestor(api, encounter):
    _read(api, encounter)

    agent = AuditEvent.objects.get(action="R").as_fhir()["agent"][0]
    assert agent["requestor"] is True and "type" not in agent
