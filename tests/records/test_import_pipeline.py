"""import_fhir's pipeline: bundles prepared in a child process store exactly what the plain path stores."""

import io
import json
import os
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from pracops.audit.models import AuditEvent
from pracops.fhir.outcome import FhirError
from pracops.records.models import ResourceIdentifier, ResourceVersion
from pracops.records.registry import KINDS, SUPPORTED_TYPES
from pracops.records.services import create_resource, imports

pytestmark = pytest.mark.django_db

NPI = "http://hl7.org/fhir/sid/us-npi"
MRN_SYSTEM = "urn:oid:2.16.840.1.113883.3.7418.1"
CLINIC_NPI, DOCTOR_NPI = "1234567893", "1245319599"  # valid check digits


# --- bundles as an EHR sends them ------------------------------------------------------


def entry(resource: dict) -> dict:
    return {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource,
            "request": {"method": "POST", "url": resource["resourceType"]}}


def ref(resource: dict) -> dict:
    return {"reference": f"urn:uuid:{resource['id']}"}


def patient_bundle(n: int, *, visits: int = 2) -> dict:
    """One patient with visits, a pain score per visit and a diagnosis; the clinic and doctor are shared."""
    clinic = {"resourceType": "Organization", "id": "clinic-1", "name": "Valley Pain Clinic",
              "identifier": [{"system": NPI, "value": CLINIC_NPI}]}
    doctor = {"resourceType": "Practitioner", "id": "doctor-1", "name": [{"family": "Okafor", "given": ["Ada"]}],
              "identifier": [{"system": NPI, "value": DOCTOR_NPI}]}
    patient = {"resourceType": "Patient", "id": f"patient-{n}", "gender": "female", "birthDate": "1970-03-0" + str(n % 9 + 1),
               "name": [{"family": f"Family{n}", "given": ["Pat"]}],
               "identifier": [{"system": MRN_SYSTEM, "value": f"MRN-{n}",
                               "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}}]}
    entries = [entry(clinic), entry(doctor), entry(patient)]
    for v in range(visits):
        day = f"2026-0{v % 9 + 1}-1{n % 10}"
        visit = {"resourceType": "Encounter", "id": f"visit-{n}-{v}", "status": "finished",
                 "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
                 "subject": ref(patient), "serviceProvider": ref(clinic),
                 "participant": [{"individual": ref(doctor)}],
                 "period": {"start": f"{day}T09:00:00-05:00", "end": f"{day}T09:30:00-05:00"}}
        score = {"resourceType": "Observation", "id": f"pain-{n}-{v}", "status": "final",
                 "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]},
                 "subject": ref(patient), "encounter": ref(visit), "effectiveDateTime": f"{day}T09:05:00-05:00",
                 "valueQuantity": {"value": 3 + v, "unit": "{score}"}}
        entries += [entry(visit), entry(score)]
    diagnosis = {"resourceType": "Condition", "id": f"dx-{n}", "subject": ref(patient),
                 "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M54.16"}]},
                 "clinicalStatus": {"coding": [{"code": "active"}]}}
    claim = {"resourceType": "Claim", "id": f"claim-{n}", "status": "active"}  # a type PracOps skips
    entries += [entry(diagnosis), entry(claim)]
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def write_bundles(folder: Path, bundles: dict[str, dict]) -> Path:
    folder.mkdir(exist_ok=True)
    for name, bundle in bundles.items():
        (folder / name).write_text(json.dumps(bundle))
    return folder


def import_fhir(*args) -> dict:
    out = io.StringIO()
    call_command("import_fhir", *map(str, args), "--progress", "never", stdout=out)
    return json.loads(out.getvalue())


# --- what is stored ---------------------------------------------------------------------


def stored_content() -> dict:
    """Everything an import stores, without primary keys and timestamps (they differ run to run)."""
    records = {}
    for resource_type in SUPPORTED_TYPES:
        kind = KINDS[resource_type]
        resources = []
        for record in kind.model.objects.all():
            resource = kind.to_fhir(record)
            resource["meta"].pop("lastUpdated")
            resources.append(resource)
        records[resource_type] = sorted(resources, key=lambda r: r["id"])
    owners = {(kind.model.__name__.lower(), record.pk): f"{name}/{record.fhir_id}"
              for name, kind in KINDS.items() for record in kind.model.objects.all()}
    identifiers = sorted(
        (owners[(i.content_type.model, i.object_id)], i.system, i.value)
        for i in ResourceIdentifier.objects.select_related("content_type")
    )
    audit = sorted(AuditEvent.objects.values_list("action", "resource_type", "resource_id", "patient_id", "source"))
    return {"records": records, "identifiers": identifiers, "audit": audit}


def forget_everything() -> None:
    AuditEvent.objects.all().delete()
    ResourceIdentifier.objects.all().delete()
    ResourceVersion.objects.all().delete()
    for resource_type in reversed(SUPPORTED_TYPES):  # referring records first
        KINDS[resource_type].model.objects.all().delete()


@pytest.fixture
def prepared_in(monkeypatch) -> set[int]:
    """The ids of the processes that prepared bundles (the child is forked after this patch)."""
    pids: set[int] = set()
    prepare = imports.prepare_bundle_file

    def tagged(path):
        prepared = prepare(path)
        prepared.prepared_by = os.getpid()
        return prepared

    def import_prepared(prepared, **kwargs):
        pids.add(prepared.prepared_by)
        return write(prepared, **kwargs)

    write = imports.import_prepared
    monkeypatch.setattr(imports, "prepare_bundle_file", tagged)
    monkeypatch.setattr(imports, "import_prepared", import_prepared)
    return pids


# --- tests ------------------------------------------------------------------------------


def test_the_pipeline_stores_exactly_what_the_plain_path_stores(tmp_path, prepared_in):
    folder = write_bundles(tmp_path / "feed", {f"bundle-{n}.json": patient_bundle(n, visits=n) for n in range(1, 5)})

    plain = import_fhir(folder, "--no-pipeline")
    stored_plainly = stored_content()
    assert prepared_in == {os.getpid()}
    forget_everything()
    prepared_in.clear()

    piped = import_fhir(folder)

    assert prepared_in and os.getpid() not in prepared_in  # prepared by the child
    assert stored_content() == stored_plainly
    assert {k: v for k, v in piped.items() if k not in ("seconds", "resources_per_second")} == \
        {k: v for k, v in plain.items() if k not in ("seconds", "resources_per_second")}
    assert piped["created"] == {"Condition": 4, "Encounter": 10, "Observation": 10, "Organization": 1,
                                "Patient": 4, "Practitioner": 1}
    assert piped["unchanged"] == {"Organization": 3, "Practitioner": 3}  # met again in bundles 2 to 4
    assert piped["skipped"] == {"Claim": 4}


def test_importing_again_through_the_pipeline_changes_nothing(tmp_path):
    folder = write_bundles(tmp_path / "feed", {f"bundle-{n}.json": patient_bundle(n) for n in range(1, 4)})
    import_fhir(folder)
    before = stored_content()

    again = import_fhir(folder)

    assert again["created"] == {} and again["updated"] == {}
    assert sum(again["unchanged"].values()) == again["stored"] == 3 * 8
    assert stored_content() == before  # same versions, same identifiers, nothing more audited


def test_a_changed_resource_is_updated_and_only_it(tmp_path):
    import_fhir(write_bundles(tmp_path / "day-1", {"bundle.json": patient_bundle(1)}))
    changed = patient_bundle(1)
    changed["entry"][2]["resource"]["name"][0]["family"] = "Renamed"

    summary = import_fhir(write_bundles(tmp_path / "day-2", {"bundle.json": changed, "other.json": patient_bundle(2)}))

    assert summary["updated"] == {"Patient": 1}
    patient = KINDS["Patient"].model.objects.get(fhir_id="patient-1")
    assert (patient.family, patient.version_id) == ("Renamed", 2)
    assert list(patient.identifiers.values_list("value", flat=True)) == ["MRN-1"]


def test_an_invalid_bundle_fails_whole_and_the_others_are_imported(tmp_path, capsys):
    invalid = patient_bundle(2)
    invalid["entry"][4]["resource"]["valueQuantity"]["value"] = "three"  # the first pain score
    folder = write_bundles(tmp_path / "feed", {
        "1-good.json": patient_bundle(1), "2-invalid.json": invalid, "4-good.json": patient_bundle(4),
    })
    (folder / "3-not-json.json").write_text('{"resourceType": "Bundle", "entry": [')

    with pytest.raises(CommandError, match="2 of 4 bundles were not imported"):
        call_command("import_fhir", str(folder), "--progress", "never")

    report = json.loads(capsys.readouterr().out)
    assert report["bundles"] == 2
    refused, unreadable = report["failed"]
    assert refused["path"] == str(folder / "2-invalid.json") and refused["status"] == 400
    assert any(issue.startswith("Bundle.entry[4]: Observation.valueQuantity.value") for issue in refused["issues"])
    assert unreadable["path"] == str(folder / "3-not-json.json")
    assert unreadable["error"].startswith("not valid JSON")
    # Nothing of the invalid bundle was kept, not even its valid resources or their audit.
    assert set(KINDS["Patient"].model.objects.values_list("fhir_id", flat=True)) == {"patient-1", "patient-4"}
    assert not AuditEvent.objects.filter(patient_id="patient-2").exists()


def test_if_the_child_dies_this_process_prepares_the_rest(tmp_path, monkeypatch):
    def send_one_then_die(paths, sender):
        sender.send(imports.prepare_bundle_file(paths[0]))
        os._exit(1)

    monkeypatch.setattr(imports, "_prepare_into", send_one_then_die)
    folder = write_bundles(tmp_path / "feed", {f"bundle-{n}.json": patient_bundle(n) for n in range(1, 4)})

    summary = import_fhir(folder)

    assert summary["bundles"] == 3
    assert KINDS["Patient"].model.objects.count() == 3


def test_the_fhir_api_still_validates_what_it_is_sent():
    # The import validates ahead of its unit of work; a unit given unchecked operations must do it itself.
    with pytest.raises(FhirError) as refused:
        create_resource(resource={"resourceType": "Patient", "birthDate": "last spring"})

    assert refused.value.status == 400
    assert "Patient.birthDate" in refused.value.issues[0].diagnostics
    assert KINDS["Patient"].model.objects.count() == 0


def test_a_value_too_long_for_its_column_fails_that_bundle_cleanly(tmp_path, capsys):
    too_long = patient_bundle(2)
    too_long["entry"][3]["resource"]["class"]["code"] = "A" * 40  # valid FHIR; the column holds 32
    folder = write_bundles(tmp_path / "feed", {"1.json": patient_bundle(1), "2.json": too_long, "3.json": patient_bundle(3)})

    with pytest.raises(CommandError, match="1 of 3 bundles were not imported"):
        call_command("import_fhir", str(folder), "--progress", "never")

    [failure] = json.loads(capsys.readouterr().out)["failed"]
    assert failure["path"] == str(folder / "2.json")
    # Refused before the database is asked (SQLite would not enforce the length), naming the element.
    assert failure["status"] == 422
    assert any("Encounter.class.code: 40 characters; at most 32" in issue for issue in failure["issues"])
    assert set(KINDS["Patient"].model.objects.values_list("fhir_id", flat=True)) == {"patient-1", "patient-3"}
