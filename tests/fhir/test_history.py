"""Version history: vread, ``_history`` Bundles, 410 Gone for deleted resources, and every write path keeping versions."""

import io
import json
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from pracops.audit.models import AuditEvent
from pracops.records.models import Patient, ResourceVersion
from pracops.records.registry import KINDS
from pracops.records.services.admin_edits import save_record
from tests.factories import (
    MRN_SYSTEM,
    ClaimFactory,
    ClaimResponseFactory,
    ConditionFactory,
    CoverageFactory,
    DocumentReferenceFactory,
    EncounterFactory,
    ExplanationOfBenefitFactory,
    ObservationFactory,
    OrganizationFactory,
    PatientFactory,
    PractitionerFactory,
    ProcedureFactory,
    ServiceRequestFactory,
)

pytestmark = pytest.mark.django_db

SYNTHEA = Path(__file__).resolve().parent.parent / "fixtures" / "synthea"


def renamed(resource: dict, family: str) -> dict:
    return {**resource, "name": [{"family": family, "given": ["Ann"]}]}


def history(api, path: str, **params) -> dict:
    response = api.get(f"{path}/_history", params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["resourceType"] == "Bundle" and body["type"] == "history"
    return body


def versions_kept(resource_type: str, fhir_id: str) -> list[int]:
    return list(ResourceVersion.objects.filter(resource_type=resource_type, fhir_id=fhir_id)
                .order_by("version_id").values_list("version_id", flat=True))


# --- vread ----------------------------------------------------------------------------


def test_every_version_reads_back_as_it_was_served(api):
    first = api.create(PatientFactory.build(family="Okafor"))
    path = f"/fhir/Patient/{first['id']}"
    second = api.put(path, renamed(first, "Okafor-Reyes")).json()
    third = api.put(path, renamed(second, "Reyes")).json()

    for version, served in ((1, first), (2, second), (3, third)):
        response = api.get(f"{path}/_history/{version}")
        assert response.status_code == 200
        assert response.json() == served
        assert response["ETag"] == f'W/"{version}"'
    assert api.get(path).json() == third


def test_a_version_never_written_is_404(api):
    patient = api.create(PatientFactory.build())

    for version in ("2", "0", "latest"):
        response = api.get(f"/fhir/Patient/{patient['id']}/_history/{version}")
        assert response.status_code == 404
        assert response.json()["resourceType"] == "OperationOutcome"
    assert api.get("/fhir/Patient/nobody/_history/1").status_code == 404


def test_the_kept_version_of_every_type_is_the_resource_a_read_answers(api):
    patient = PatientFactory()
    practitioner = PractitionerFactory()
    encounter = EncounterFactory(patient=patient)
    stored = [patient, practitioner, OrganizationFactory(), CoverageFactory(patient=patient), encounter,
              ConditionFactory(patient=patient), ProcedureFactory(patient=patient), ServiceRequestFactory(patient=patient),
              ObservationFactory(patient=patient), DocumentReferenceFactory(patient=patient)]
    stored += [claim := ClaimFactory(patient=patient), ClaimResponseFactory(claim=claim),
               ExplanationOfBenefitFactory(claim=ClaimFactory(patient=patient, use="claim"))]
    assert {r["resourceType"] for r in stored} == set(KINDS)

    for resource in stored:
        path = f"/fhir/{resource['resourceType']}/{resource['id']}"
        assert api.get(f"{path}/_history/1").json() == api.get(path).json()


# --- delete: 410 Gone ---------------------------------------------------------------------


def test_a_deleted_resource_reads_as_410_and_is_no_longer_found(api):
    patient = api.create(PatientFactory.build(mrn="MRN-GONE-1"))
    path = f"/fhir/Patient/{patient['id']}"

    assert api.delete(path).status_code == 204

    read = api.get(path)
    assert read.status_code == 410
    assert read.json()["resourceType"] == "OperationOutcome"
    assert read.json()["issue"][0]["code"] == "deleted"
    assert api.search("Patient", {"_id": patient["id"]})["total"] == 0
    assert api.search("Patient", {"identifier": f"{MRN_SYSTEM}|MRN-GONE-1"})["total"] == 0
    assert api.get(f"{path}/_history/2").status_code == 410  # the deletion itself
    assert api.get(f"{path}/_history/1").json() == patient  # what was deleted stays readable
    assert api.get("/fhir/Patient/never-stored").status_code == 404


def test_history_shows_the_deletion_without_a_resource(api):
    patient = api.create(PatientFactory.build())
    path = f"/fhir/Patient/{patient['id']}"
    api.delete(path)

    entries = history(api, path)["entry"]

    assert [e["request"] for e in entries] == [
        {"method": "DELETE", "url": f"Patient/{patient['id']}"},
        {"method": "POST", "url": "Patient"},
    ]
    assert "resource" not in entries[0]
    assert entries[0]["response"]["etag"] == 'W/"2"'
    assert entries[1]["resource"] == patient


def test_deleting_again_keeps_no_second_deletion(api):
    patient = api.create(PatientFactory.build())
    path = f"/fhir/Patient/{patient['id']}"

    assert api.delete(path).status_code == 204
    assert api.delete(path).status_code == 204

    assert versions_kept("Patient", patient["id"]) == [1, 2]


def test_a_put_at_a_deleted_id_creates_the_version_after_the_deletion(api):
    sent = PatientFactory.build(id="re-admitted", family="Lindqvist")
    path = "/fhir/Patient/re-admitted"
    assert api.put(path, sent).status_code == 201
    api.delete(path)

    response = api.put(path, renamed(sent, "Lindqvist-Berg"))

    assert response.status_code == 201
    assert response.json()["meta"]["versionId"] == "3"
    assert response["ETag"] == 'W/"3"'
    assert api.get(path).json() == response.json()
    assert [e["request"]["method"] for e in history(api, path)["entry"]] == ["POST", "DELETE", "POST"]
    assert api.get(f"{path}/_history/3").json() == response.json()
    assert api.get(f"{path}/_history/1").json()["name"][0]["family"] == "Lindqvist"


# --- _history Bundles ---------------------------------------------------------------------


def test_instance_history_is_newest_first_with_request_and_response(api):
    first = api.create(PatientFactory.build())
    path = f"/fhir/Patient/{first['id']}"
    second = api.put(path, renamed(first, "Second")).json()

    bundle = history(api, path)

    assert bundle["total"] == 2
    assert [e["resource"] for e in bundle["entry"]] == [second, first]
    assert [e["request"] for e in bundle["entry"]] == [
        {"method": "PUT", "url": f"Patient/{first['id']}"}, {"method": "POST", "url": "Patient"},
    ]
    assert [e["response"]["status"] for e in bundle["entry"]] == ["200 OK", "201 Created"]
    assert bundle["entry"][0]["response"]["location"] == f"Patient/{first['id']}/_history/2"
    assert bundle["entry"][0]["response"]["lastModified"] == second["meta"]["lastUpdated"]
    assert bundle["entry"][0]["fullUrl"] == f"http://testserver{path}"


def test_instance_history_is_paged_with_count(api):
    resource = api.create(PatientFactory.build())
    path = f"/fhir/Patient/{resource['id']}"
    for n in range(4):
        resource = api.put(path, renamed(resource, f"Name{n}")).json()

    first_page = history(api, path, _count=2)
    assert first_page["total"] == 5
    assert [e["response"]["etag"] for e in first_page["entry"]] == ['W/"5"', 'W/"4"']
    pages = [first_page]
    while next_link := [link["url"] for link in pages[-1]["link"] if link["relation"] == "next"]:
        pages.append(api.get(next_link[0]).json())

    assert [e["response"]["etag"] for page in pages for e in page["entry"]] == [f'W/"{v}"' for v in (5, 4, 3, 2, 1)]
    assert len(pages) == 3


def test_history_of_an_unknown_resource_is_404(api):
    assert api.get("/fhir/Patient/nobody/_history").status_code == 404
    assert api.get("/fhir/Unknown/x/_history").status_code == 404


def test_type_history_lists_the_versions_of_every_record_of_the_type(api):
    one = api.create(PatientFactory.build())
    two = api.create(PatientFactory.build())
    api.put(f"/fhir/Patient/{one['id']}", renamed(one, "Changed"))
    api.create(PractitionerFactory.build())

    bundle = history(api, "/fhir/Patient")

    assert bundle["total"] == 3
    assert [(e["resource"]["id"], e["response"]["etag"]) for e in bundle["entry"]] == [
        (one["id"], 'W/"2"'), (two["id"], 'W/"1"'), (one["id"], 'W/"1"'),
    ]
    since = history(api, "/fhir/Patient", _since=two["meta"]["lastUpdated"])
    assert [(e["resource"]["id"], e["response"]["etag"]) for e in since["entry"]] == [
        (one["id"], 'W/"2"'), (two["id"], 'W/"1"'),
    ]
    assert api.get("/fhir/Patient/_history", {"_since": "yesterday"}).status_code == 400
    assert api.get("/fhir/Patient/_history", {"name": "x"}).status_code == 400


# --- every write path keeps versions ----------------------------------------------------------


def bundle_of(kind: str, *entries: dict) -> dict:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def test_a_transaction_bundle_keeps_a_version_of_each_resource_it_writes(api):
    stored = api.create(PatientFactory.build())
    patient_url = "urn:uuid:6c2a1d2e-8a43-4c4e-9c1e-2f1f3c0f7a10"
    response = api.post("/fhir", bundle_of(
        "transaction",
        {"fullUrl": patient_url, "resource": PatientFactory.build(), "request": {"method": "POST", "url": "Patient"}},
        {"resource": EncounterFactory.build(patient=patient_url), "request": {"method": "POST", "url": "Encounter"}},
        {"resource": renamed(stored, "Bundled"), "request": {"method": "PUT", "url": f"Patient/{stored['id']}"}},
    ))

    assert response.status_code == 200
    for entry in response.json()["entry"]:
        location = entry["response"]["location"]
        assert api.get(f"/fhir/{location}").json() == entry["resource"]
    assert versions_kept("Patient", stored["id"]) == [1, 2]


def test_a_batch_keeps_versions_of_the_entries_that_succeed_only(api):
    response = api.post("/fhir", bundle_of(
        "batch",
        {"resource": PatientFactory.build(), "request": {"method": "POST", "url": "Patient"}},
        {"resource": EncounterFactory.build(patient="Patient/missing"), "request": {"method": "POST", "url": "Encounter"}},
    ))

    assert [e["response"]["status"][:3] for e in response.json()["entry"]] == ["201", "422"]
    assert ResourceVersion.objects.filter(resource_type="Patient").count() == 1
    assert not ResourceVersion.objects.filter(resource_type="Encounter").exists()


def test_a_failed_transaction_keeps_no_version(api):
    stored = api.create(PatientFactory.build())
    response = api.post("/fhir", bundle_of(
        "transaction",
        {"resource": renamed(stored, "Never"), "request": {"method": "PUT", "url": f"Patient/{stored['id']}"}},
        {"resource": EncounterFactory.build(patient="Patient/missing"), "request": {"method": "POST", "url": "Encounter"}},
    ))

    assert response.status_code == 422
    assert versions_kept("Patient", stored["id"]) == [1]


def import_fhir(*paths) -> dict:
    out = io.StringIO()
    call_command("import_fhir", *map(str, paths), "--progress", "never", stdout=out)
    return json.loads(out.getvalue())


def test_the_ehr_import_keeps_versions_and_an_unchanged_reimport_adds_none(tmp_path):
    bundle_file = SYNTHEA / "930901-bundle.json"
    import_fhir(bundle_file)
    kept = ResourceVersion.objects.count()

    assert kept == sum(kind.model.objects.count() for kind in KINDS.values())
    for kind in KINDS.values():
        for record in kind.model.objects.all():
            version = ResourceVersion.objects.get(resource_type=kind.resource_type, fhir_id=record.fhir_id)
            assert version.resource == kind.to_fhir(record)

    import_fhir(bundle_file)
    assert ResourceVersion.objects.count() == kept

    bundle = json.loads(bundle_file.read_text())
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    patient["gender"] = "female" if patient.get("gender") == "male" else "male"
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(bundle))
    summary = import_fhir(changed)

    assert summary["updated"] == {"Patient": 1}
    assert versions_kept("Patient", patient["id"]) == [1, 2]
    first, second = ResourceVersion.objects.filter(fhir_id=patient["id"]).order_by("version_id")
    assert (first.resource["gender"], second.resource["gender"]) != (patient["gender"],) * 2
    assert second.resource["gender"] == patient["gender"]


def test_an_admin_edit_keeps_a_version():
    stored = PatientFactory(family="Admin")
    record = Patient.objects.get(fhir_id=stored["id"])
    record.family = "Edited"

    save_record(record, is_new=False, expected_version=1)

    assert versions_kept("Patient", stored["id"]) == [1, 2]
    kept = ResourceVersion.objects.get(fhir_id=stored["id"], version_id=2)
    assert kept.resource["name"][0]["family"] == "Edited"


# --- audit and roles ----------------------------------------------------------------------


def test_vread_and_history_are_audited_as_reads_with_the_patient(api):
    patient = api.create(PatientFactory.build())
    encounter = api.create(EncounterFactory.build(patient=patient))
    api.delete(f"/fhir/Encounter/{encounter['id']}")
    AuditEvent.objects.all().delete()

    api.get(f"/fhir/Encounter/{encounter['id']}/_history/1")
    api.get(f"/fhir/Encounter/{encounter['id']}/_history")

    events = list(AuditEvent.objects.order_by("pk").values_list("action", "subtype", "resource_id", "patient_id", "outcome"))
    assert events == [
        ("R", "vread", encounter["id"], patient["id"], "0"),
        ("R", "history-instance", encounter["id"], patient["id"], "0"),
    ]


def test_history_needs_the_role_to_read_the_type(api_as):
    patient = PatientFactory()
    auditor = api_as("auditor")

    assert auditor.get(f"/fhir/Patient/{patient['id']}/_history").status_code == 403
    assert auditor.get(f"/fhir/Patient/{patient['id']}/_history/1").status_code == 403
    assert auditor.get("/fhir/Patient/_history").status_code == 403
    assert Client().get(f"/fhir/Patient/{patient['id']}/_history").status_code == 401


# --- concurrent updates ---------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrent transactions need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_updates_keep_exactly_the_versions_they_answered(api_as):
    api = api_as("integration")
    created = api.create(PatientFactory.build())
    path = f"/fhir/Patient/{created['id']}"
    answers: list = []
    start = threading.Barrier(6)

    def update(n: int) -> None:
        writer = api_as("integration")
        start.wait()
        try:
            response = writer.put(path, renamed(created, f"Writer{n}"))
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=update, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert {status for status, _ in answers} <= {200, 409}
    served = {int(body["meta"]["versionId"]): body for status, body in answers if status == 200}
    kept = {v.version_id: v.resource for v in ResourceVersion.objects.filter(fhir_id=created["id"])}
    assert sorted(kept) == list(range(1, len(kept) + 1))  # no version lost or written twice
    assert {version: kept[version] for version in served} == served
    assert api.get(path).json() == kept[max(kept)]


def test_a_record_stored_before_versions_were_kept_reads_its_current_version_as_history(api):
    patient = PatientFactory()
    ResourceVersion.objects.all().delete()  # as a database migrated from before version history has it
    path = f"/fhir/Patient/{patient['id']}"

    assert api.get(f"{path}/_history/1").json() == patient
    assert [e["resource"] for e in history(api, path)["entry"]] == [patient]


def test_reimporting_a_deleted_record_continues_its_history(api):
    bundle_file = SYNTHEA / "930901-bundle.json"
    import_fhir(bundle_file)
    observation = ResourceVersion.objects.filter(resource_type="Observation").order_by("pk").first()
    path = f"/fhir/Observation/{observation.fhir_id}"
    assert api.delete(path).status_code == 204

    summary = import_fhir(bundle_file)

    assert summary["created"] == {"Observation": 1}
    assert versions_kept("Observation", observation.fhir_id) == [1, 2, 3]
    assert api.get(path).json()["meta"]["versionId"] == "3"
    assert api.get(f"{path}/_history/3").json() == api.get(path).json()


def test_an_admin_delete_keeps_the_deletion_and_reads_as_gone(api, client):
    from django.contrib.auth.models import User
    from django.urls import reverse

    stored = PatientFactory()
    other = PatientFactory()
    client.force_login(User.objects.create_superuser("office-manager", "m@example.org", "not-used-here-1"))
    record = Patient.objects.get(fhir_id=stored["id"])

    response = client.post(reverse("admin:records_patient_delete", args=[record.pk]), {"post": "yes"})
    assert response.status_code == 302
    listing = reverse("admin:records_patient_changelist")
    client.post(listing, {"action": "delete_selected", "_selected_action": [Patient.objects.get(fhir_id=other["id"]).pk],
                          "post": "yes"})

    for patient in (stored, other):
        assert api.get(f"/fhir/Patient/{patient['id']}").status_code == 410
        assert versions_kept("Patient", patient["id"]) == [1, 2]
    assert AuditEvent.objects.filter(action="D", resource_id=stored["id"], source="admin").count() == 1
    assert AuditEvent.objects.filter(action="D", resource_id=other["id"], source="admin").count() == 1
