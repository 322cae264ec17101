"""python manage.py import_fhir: EHR bundles (Synthea) in, a JSON summary out, no duplicates."""

import io
import json
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from pracops.audit.models import AuditEvent
from pracops.records.models import Organization, Patient, Practitioner
from pracops.records.registry import KINDS
from tests.factories import PractitionerFactory

pytestmark = pytest.mark.django_db

SYNTHEA = Path(__file__).resolve().parent.parent / "fixtures" / "synthea"
FIRST, SECOND = SYNTHEA / "930901-bundle.json", SYNTHEA / "1099053-bundle.json"
SHARED_PRACTITIONER = "b9424af3-46e5-36df-ac1a-785330302a86"
SHARED_ORGANIZATION = "f1fbcbfb-fcfa-3bd2-b7f4-df20f1b3c3a4"

# Counted by hand from the two files (the second repeats one Practitioner and one Organization).
STORED = {"Patient": 2, "Organization": 3, "Practitioner": 3, "Encounter": 31, "Condition": 26,
          "Observation": 196, "Procedure": 16}
SKIPPED = {"AllergyIntolerance": 2, "CarePlan": 12, "CareTeam": 12, "Claim": 38, "DiagnosticReport": 14,
           "ExplanationOfBenefit": 31, "Immunization": 15, "MedicationRequest": 7}


def import_fhir(*paths) -> dict:
    """Run the command; its JSON summary."""
    out = io.StringIO()
    call_command("import_fhir", *map(str, paths), "--progress", "never", stdout=out)
    return json.loads(out.getvalue())


def row_counts() -> dict[str, int]:
    return {name: count for name, kind in KINDS.items() if (count := kind.model.objects.count())}


def test_import_stores_each_type_and_counts_what_it_skipped():
    summary = import_fhir(FIRST, SECOND)

    assert row_counts() == STORED
    assert summary["bundles"] == 2
    assert summary["skipped"] == SKIPPED
    stored_per_type = Counter(summary["created"]) + Counter(summary["updated"]) + Counter(summary["unchanged"])
    # The shared Practitioner and Organization are met twice and stored once.
    assert stored_per_type == Counter(STORED) + Counter({"Practitioner": 1, "Organization": 1})
    assert summary["created"] == STORED
    assert summary["stored"] == sum(STORED.values()) + 2
    assert "failed" not in summary


def test_imported_records_keep_the_ehr_ids_and_their_references():
    import_fhir(FIRST)
    bundle = json.loads(FIRST.read_text())
    patient_id = next(e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")

    patient = Patient.objects.get(fhir_id=patient_id)

    assert patient.family and patient.birth_date
    assert KINDS["Encounter"].model.objects.filter(patient=patient).count() == 11
    assert KINDS["Observation"].model.objects.filter(patient=patient, code="72514-3").exists()  # pain scores


def test_shared_practitioners_and_organizations_are_stored_once():
    import_fhir(FIRST)
    import_fhir(SECOND)

    assert Practitioner.objects.filter(fhir_id=SHARED_PRACTITIONER).count() == 1
    assert Organization.objects.filter(fhir_id=SHARED_ORGANIZATION).count() == 1
    practitioner = Practitioner.objects.get(fhir_id=SHARED_PRACTITIONER)
    assert practitioner.version_id == 1  # the second bundle found it unchanged
    patients = set(KINDS["Encounter"].model.objects.filter(practitioner=practitioner)
                   .values_list("patient__fhir_id", flat=True))
    assert len(patients) == 2  # both patients' encounters point at the one row


def test_importing_again_creates_no_duplicates_and_says_unchanged():
    import_fhir(FIRST, SECOND)
    before = row_counts()
    audited = AuditEvent.objects.count()

    summary = import_fhir(FIRST, SECOND)

    assert row_counts() == before
    assert summary["created"] == {} and summary["updated"] == {}
    assert summary["unchanged"] == dict(Counter(STORED) + Counter({"Practitioner": 1, "Organization": 1}))
    assert AuditEvent.objects.count() == audited  # nothing written, nothing to audit


def test_import_audits_every_record_it_wrote():
    import_fhir(FIRST)

    events = AuditEvent.objects.filter(source="command")
    assert events.count() == 1 + 2 + 2 + 11 + 10 + 84 + 7
    bundle = json.loads(FIRST.read_text())
    patient_id = next(e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    assert events.filter(resource_type="Encounter").exclude(patient_id=patient_id).count() == 0


def test_a_file_that_is_not_json_fails_with_a_message_and_stores_nothing(tmp_path, capsys):
    broken = tmp_path / "broken-bundle.json"
    broken.write_bytes(FIRST.read_bytes()[:5000])  # cut off mid-way

    with pytest.raises(CommandError, match="1 of 1 bundles were not imported") as failed:
        call_command("import_fhir", str(broken), "--progress", "never")

    assert failed.value.returncode != 0
    report = json.loads(capsys.readouterr().out)
    assert report["failed"] == [{"path": str(broken), "error": report["failed"][0]["error"]}]
    assert "not valid JSON" in report["failed"][0]["error"]
    assert row_counts() == {}


def test_a_bundle_with_an_invalid_resource_fails_whole_and_stores_nothing(tmp_path, capsys):
    bundle = json.loads(FIRST.read_text())
    index = next(i for i, e in enumerate(bundle["entry"]) if e["resource"]["resourceType"] == "Encounter")
    bundle["entry"][index]["resource"]["period"]["start"] = "yesterday-ish"
    broken = tmp_path / "invalid-encounter.json"
    broken.write_text(json.dumps(bundle))

    with pytest.raises(CommandError) as failed:
        call_command("import_fhir", str(broken), "--progress", "never")

    assert failed.value.returncode != 0
    [failure] = json.loads(capsys.readouterr().out)["failed"]
    assert failure["status"] == 400
    assert any(f"Bundle.entry[{index}]" in issue and "Encounter.period.start" in issue for issue in failure["issues"])
    assert row_counts() == {}
    assert AuditEvent.objects.count() == 0


def test_a_good_bundle_still_imports_beside_a_broken_one(tmp_path, capsys):
    broken = tmp_path / "broken-bundle.json"
    broken.write_text("{not json")

    with pytest.raises(CommandError, match="1 of 2 bundles"):
        call_command("import_fhir", str(FIRST), str(broken), "--progress", "never")

    assert json.loads(capsys.readouterr().out)["bundles"] == 1
    assert Patient.objects.count() == 1


def test_a_missing_path_is_refused_before_anything_is_imported():
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_fhir", str(FIRST), "/nowhere/bundle.json")

    assert row_counts() == {}


def test_an_entry_with_if_none_exist_is_stored_when_nothing_matches(tmp_path):
    practitioner = {
        "resourceType": "Practitioner", "id": "prac-ine-1",
        "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"}],
        "name": [{"family": "Conditional"}],
    }
    entry = {"fullUrl": "urn:uuid:7d1f0c3e-5a4e-4b7e-9f59-3f9a1d2b6c01", "resource": practitioner,
             "request": {"method": "POST", "url": "Practitioner",
                         "ifNoneExist": "identifier=http://hl7.org/fhir/sid/us-npi|1234567893"}}
    path = tmp_path / "conditional.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": [entry]}))

    first = import_fhir(path)
    second = import_fhir(path)

    assert first["created"] == {"Practitioner": 1}
    assert Practitioner.objects.filter(npi="1234567893").count() == 1
    assert second["created"] == {}


def practitioner_bundle(tmp_path, npi: str) -> Path:
    practitioner = {"resourceType": "Practitioner", "id": "ehr-prac-9",
                    "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": npi}],
                    "name": [{"family": "FromTheEhr"}]}
    path = tmp_path / "practitioner.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                "entry": [{"resource": practitioner}]}))
    return path


def test_a_resource_whose_identifier_one_stored_record_carries_updates_that_record(tmp_path):
    stored = PractitionerFactory(npi="1234567893")

    summary = import_fhir(practitioner_bundle(tmp_path, "1234567893"))

    assert (summary["created"], summary["updated"]) == ({}, {"Practitioner": 1})
    assert list(Practitioner.objects.values_list("fhir_id", "family")) == [(stored["id"], "FromTheEhr")]


def test_a_resource_whose_identifier_several_stored_records_carry_is_stored_as_new_with_a_warning(tmp_path):
    PractitionerFactory(npi="1234567893")
    PractitionerFactory(npi="1234567893")

    summary = import_fhir(practitioner_bundle(tmp_path, "1234567893"))

    assert (summary["created"], summary["updated"]) == ({"Practitioner": 1}, {})
    assert list(summary["warnings"]["Practitioner"].values()) == [1]
    assert Practitioner.objects.filter(npi="1234567893").count() == 3
    assert Practitioner.objects.filter(fhir_id="ehr-prac-9", family="FromTheEhr").exists()
