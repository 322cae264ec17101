"""Transaction and batch Bundles posted to the base."""

import uuid

import pytest

from pracops.audit.models import AuditEvent
from pracops.records.models import Condition, Encounter, Patient
from pracops.records.registry import KINDS
from pracops.records.signals import records_written
from tests.factories import MRN_SYSTEM, ConditionFactory, EncounterFactory, PatientFactory

pytestmark = pytest.mark.django_db


def urn() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def post_entry(resource: dict, full_url: str | None = None, **request) -> dict:
    entry = {"resource": resource, "request": {"method": "POST", "url": resource["resourceType"], **request}}
    if full_url:
        entry["fullUrl"] = full_url
    return entry


def bundle(kind: str, *entries: dict) -> dict:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def row_counts() -> dict[str, int]:
    return {name: kind.model.objects.count() for name, kind in KINDS.items()}


def test_transaction_resolves_urn_uuid_references_to_stored_ids(api):
    patient_url, encounter_url = urn(), urn()
    condition = ConditionFactory.build(patient=patient_url)
    condition["encounter"] = {"reference": encounter_url}

    response = api.post("/fhir", bundle(
        "transaction",
        post_entry(condition),  # before what it refers to: the server orders the work, not the client
        post_entry(EncounterFactory.build(patient=patient_url), encounter_url),
        post_entry(PatientFactory.build(), patient_url),
    ))

    assert response.status_code == 200
    result = response.json()
    assert result["type"] == "transaction-response"
    assert [e["response"]["status"] for e in result["entry"]] == ["201 Created"] * 3
    condition_id, encounter_id, patient_id = (e["resource"]["id"] for e in result["entry"])
    read = api.get(f"/fhir/Condition/{condition_id}").json()
    assert read["subject"]["reference"] == f"Patient/{patient_id}"
    assert read["encounter"]["reference"] == f"Encounter/{encounter_id}"
    assert api.get(f"/fhir/Encounter/{encounter_id}").json()["subject"]["reference"] == f"Patient/{patient_id}"
    stored = Condition.objects.select_related("patient", "encounter").get(fhir_id=condition_id)
    assert (stored.patient.fhir_id, stored.encounter.fhir_id) == (patient_id, encounter_id)


def test_transaction_response_entries_carry_location_and_etag(api):
    response = api.post("/fhir", bundle("transaction", post_entry(PatientFactory.build())))

    entry = response.json()["entry"][0]
    patient_id = entry["resource"]["id"]
    assert entry["response"]["location"] == f"Patient/{patient_id}/_history/1"
    assert entry["response"]["etag"] == 'W/"1"'
    assert entry["fullUrl"] == f"http://testserver/fhir/Patient/{patient_id}"


def test_conditional_create_with_if_none_exist_does_not_duplicate(api):
    def send():
        patient_url = urn()
        return api.post("/fhir", bundle(
            "transaction",
            post_entry(PatientFactory.build(mrn="MRN-COND-77"), patient_url,
                       ifNoneExist=f"identifier={MRN_SYSTEM}|MRN-COND-77"),
            post_entry(EncounterFactory.build(patient=patient_url)),
        ))

    first, second = send(), send()

    assert first.status_code == second.status_code == 200
    assert first.json()["entry"][0]["response"]["status"] == "201 Created"
    assert second.json()["entry"][0]["response"]["status"] == "200 OK"
    patient_id = first.json()["entry"][0]["resource"]["id"]
    assert second.json()["entry"][0]["resource"]["id"] == patient_id
    assert Patient.objects.count() == 1
    # The second encounter refers to the patient the condition matched.
    assert set(Encounter.objects.values_list("patient__fhir_id", flat=True)) == {patient_id}
    assert Encounter.objects.count() == 2


def test_conditional_create_on_the_type_endpoint_answers_200_with_the_existing_resource(api):
    existing = PatientFactory(mrn="MRN-IF-NONE")

    response = api.post("/fhir/Patient", PatientFactory.build(mrn="MRN-IF-NONE"),
                        **{"If-None-Exist": f"identifier={MRN_SYSTEM}|MRN-IF-NONE"})

    assert response.status_code == 200
    assert response.json()["id"] == existing["id"]
    assert Patient.objects.count() == 1


def test_a_failing_entry_rolls_back_the_whole_transaction(api):
    PatientFactory()  # something stored already, which must stay as it is
    before = row_counts()
    patient_url = urn()

    response = api.post("/fhir", bundle(
        "transaction",
        post_entry(PatientFactory.build(), patient_url),
        post_entry(EncounterFactory.build(patient=patient_url)),
        post_entry(ConditionFactory.build(patient="Patient/nobody-has-this-id")),
    ))

    assert response.status_code == 422
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert "Bundle.entry[2]" in body["issue"][0]["diagnostics"]
    assert row_counts() == before


def test_an_invalid_entry_rolls_back_the_whole_transaction(api):
    before = row_counts()

    response = api.post("/fhir", bundle(
        "transaction",
        post_entry(PatientFactory.build()),
        post_entry(PatientFactory.build(birthDate="not-a-date")),
    ))

    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
    assert row_counts() == before


def test_batch_entries_succeed_or_fail_on_their_own(api):
    response = api.post("/fhir", bundle(
        "batch",
        post_entry(PatientFactory.build(mrn="MRN-BATCH-1")),
        post_entry(PatientFactory.build(mrn="MRN-BATCH-2", birthDate="x")),
        post_entry(EncounterFactory.build(patient="Patient/nope")),
        post_entry(PatientFactory.build(mrn="MRN-BATCH-3")),
    ))

    assert response.status_code == 200
    result = response.json()
    assert result["type"] == "batch-response"
    statuses = [e["response"]["status"] for e in result["entry"]]
    assert statuses == ["201 Created", "400", "422", "201 Created"]
    for failed in result["entry"][1:3]:
        assert failed["response"]["outcome"]["resourceType"] == "OperationOutcome"
        assert "resource" not in failed
    assert sorted(Patient.objects.values_list("mrn", flat=True)) == ["MRN-BATCH-1", "MRN-BATCH-3"]
    assert Encounter.objects.count() == 0


def test_an_unsupported_type_in_a_transaction_is_400_listing_the_supported_types(api):
    care_plan = {"resourceType": "CarePlan", "status": "active", "intent": "plan", "subject": {"reference": "Patient/x"}}

    response = api.post("/fhir", bundle("transaction", post_entry(PatientFactory.build()), post_entry(care_plan)))

    assert response.status_code == 400
    diagnostics = response.json()["issue"][0]["diagnostics"]
    assert "CarePlan" in diagnostics
    for supported in ("Patient", "Encounter", "Coverage", "ServiceRequest", "DocumentReference"):
        assert supported in diagnostics
    assert Patient.objects.count() == 0


def test_a_bundle_that_is_neither_transaction_nor_batch_is_400(api):
    response = api.post("/fhir", bundle("collection", post_entry(PatientFactory.build())))

    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
    assert Patient.objects.count() == 0


def test_a_transaction_may_read_update_and_delete(api):
    kept, doomed = PatientFactory(), PatientFactory()
    changed = {**kept, "gender": "other"}

    response = api.post("/fhir", bundle(
        "transaction",
        {"resource": changed, "request": {"method": "PUT", "url": f"Patient/{kept['id']}"}},
        {"request": {"method": "DELETE", "url": f"Patient/{doomed['id']}"}},
        {"request": {"method": "GET", "url": f"Patient?_id={kept['id']}"}},
    ))

    assert response.status_code == 200
    put, delete, search = response.json()["entry"]
    assert put["response"]["status"] == "200 OK" and put["resource"]["meta"]["versionId"] == "2"
    assert delete["response"]["status"] == "204 No Content"
    assert search["resource"]["entry"][0]["resource"]["gender"] == "other"
    assert list(Patient.objects.values_list("fhir_id", flat=True)) == [kept["id"]]


def test_absolute_references_to_this_server_are_stored_as_local_references(api):
    patient = api.create(PatientFactory.build())
    encounter = EncounterFactory.build(patient=f"http://testserver/fhir/Patient/{patient['id']}")

    response = api.post("/fhir/Encounter", encounter)

    assert response.status_code == 201
    assert response.json()["subject"]["reference"] == f"Patient/{patient['id']}"


def test_a_required_reference_to_another_server_is_422_and_names_the_form_to_use(api):
    encounter = EncounterFactory.build(patient="https://other-ehr.example.org/fhir/Patient/123")

    response = api.post("/fhir/Encounter", encounter)

    assert response.status_code == 422
    assert "Patient/<id>" in response.json()["issue"][0]["diagnostics"]
    assert Encounter.objects.count() == 0


@pytest.fixture
def failing_receiver():
    """A receiver of records_written that fails for a Patient named Boom, as a broken listener would."""

    def fail(sender, changes, **kwargs):
        pks = [pk for resource_type, _, pk, _ in changes if resource_type == "Patient"]
        if Patient.objects.filter(pk__in=pks, given="Boom").exists():
            raise RuntimeError("a listener failed")

    records_written.connect(fail)
    yield
    records_written.disconnect(fail)


def test_an_exception_in_a_batch_entry_is_that_entrys_error_and_the_others_are_committed_and_audited(
    api, failing_receiver,
):
    response = api.post("/fhir", bundle(
        "batch",
        post_entry(PatientFactory.build(mrn="MRN-EXC-1")),
        post_entry(PatientFactory.build(mrn="MRN-EXC-2", given="Boom")),
        post_entry(PatientFactory.build(mrn="MRN-EXC-3")),
    ))

    assert response.status_code == 200
    first, failed, third = response.json()["entry"]
    assert (first["response"]["status"], third["response"]["status"]) == ("201 Created", "201 Created")
    assert failed["response"]["status"] == "500"
    assert failed["response"]["outcome"]["issue"][0]["code"] == "exception"
    assert "listener" not in str(failed)  # the exception's text is not the client's to read
    assert sorted(Patient.objects.values_list("mrn", flat=True)) == ["MRN-EXC-1", "MRN-EXC-3"]
    created = {first["resource"]["id"], third["resource"]["id"]}
    audited = AuditEvent.objects.filter(resource_type="Patient")
    assert set(audited.filter(action="C", outcome="0").values_list("resource_id", flat=True)) == created
    assert list(audited.exclude(outcome="0").values_list("action", "outcome")) == [("C", "8")]


def test_batch_entries_are_audited_as_they_commit(api, monkeypatch):
    # If auditing the bundle as a whole fails after the entries committed, their audit records stay.
    from pracops.fhir import views

    def fail(*args, **kwargs):
        raise RuntimeError("the audit database is away")

    monkeypatch.setattr(views, "record_bundle", fail)

    response = api.post("/fhir", bundle("batch", post_entry(PatientFactory.build(mrn="MRN-AUD-1"))))

    assert response.status_code == 500  # the FHIR API's last resort: an OperationOutcome, no details

    patient = Patient.objects.get(mrn="MRN-AUD-1")
    assert AuditEvent.objects.filter(action="C", resource_id=patient.fhir_id).count() == 1
