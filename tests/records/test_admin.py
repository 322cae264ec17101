"""The records in the Django admin: finding, reading and editing them, who may, and the audit trail."""

from __future__ import annotations

from io import StringIO
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.forms import MultiWidget
from django.test import Client
from django.urls import reverse

from pracops.access.roles import ensure_roles
from pracops.access.services import create_api_client
from pracops.audit.models import AuditEvent
from pracops.fhir.mapping import CPT, NPI, V2_0203
from pracops.records.demo import demo_fhir_id
from pracops.records import models
from pracops.records.registry import KINDS
from pracops.records.services import create_resource, store_by_identifier, update_resource

pytestmark = pytest.mark.django_db

MRN_SYSTEM = "urn:oid:2.16.840.1.113883.3.7418.1"  # the demo practice's MRNs
EHR_ID_SYSTEM = "urn:oid:2.16.840.1.113883.3.7418.77"
BIRTH_TIME = "http://hl7.org/fhir/StructureDefinition/patient-birthTime"


@pytest.fixture
def demo():
    call_command("load_demo", "--quiet-logins", stdout=StringIO())


@pytest.fixture
def superuser():
    return User.objects.create_superuser("office-manager", "manager@example.org", "not-used-here-1")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def staff_client(client):
    """``staff_client("billing")``: the test client signed in as staff in that role."""

    def sign_in(role: str):
        ensure_roles()
        user = User.objects.create_user(f"{role}-staff", password="not-used-here-1", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        client.force_login(user)
        return client

    return sign_in


def changelist(model: type, **params) -> str:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def change_page(record) -> str:
    return reverse(f"admin:{record._meta.app_label}_{record._meta.model_name}_change", args=[record.pk])


def listed(response) -> list:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def demo_patient(family: str = "Alvarez") -> models.Patient:
    return models.Patient.objects.get(family=family)


def store_patient_from_ehr() -> models.Patient:
    """A patient as an EHR sends one: an extra identifier and elements the columns do not hold."""
    op = create_resource(resource={
        "resourceType": "Patient",
        "extension": [{"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex",
                       "valueCode": "F"}],
        "identifier": [
            {"type": {"coding": [{"system": V2_0203, "code": "MR"}]}, "system": MRN_SYSTEM, "value": "RIP-4242"},
            {"system": EHR_ID_SYSTEM, "value": "EHR-55501"},
        ],
        "name": [{"use": "official", "family": "Lindqvist", "given": ["Ingrid"]},
                 {"use": "maiden", "family": "Berg"}],
        "telecom": [{"system": "phone", "value": "555-0142", "use": "home"}],
        "gender": "female",
        "birthDate": "1958-02-14",
        "_birthDate": {"extension": [{"url": BIRTH_TIME, "valueDateTime": "1958-02-14T04:10:00-06:00"}]},
        "address": [{"line": ["8 Mill Lane"], "city": "Springfield", "state": "IL"}],
    })
    return models.Patient.objects.get(fhir_id=op.fhir_id)


def form_data(response) -> dict:
    """What the browser would post back for an admin change form left as it was shown."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    for form in forms:
        for field in form:
            widget, value = field.field.widget, field.value()
            if isinstance(widget, MultiWidget):  # a date and a time, posted as name_0 and name_1
                parts = value if isinstance(value, list) else widget.decompress(value)
                data.update({field.html_name + suffix: part
                             for suffix, part in zip(widget.widgets_names, parts) if part is not None})
            elif value is not None and value is not False:  # an unticked checkbox is not posted
                data[field.html_name] = "on" if value is True else value
    return data


# --- finding records ------------------------------------------------------------------


def test_patient_search_by_name(demo, admin_client):
    found = listed(admin_client.get(changelist(models.Patient, q="okafor")))

    assert [p.family for p in found] == ["Okafor"]


def test_patient_search_by_given_and_family_name(demo, admin_client):
    found = listed(admin_client.get(changelist(models.Patient, q="robert chen")))

    assert [p.family for p in found] == ["Chen"]


def test_patient_search_by_mrn(demo, admin_client):
    found = listed(admin_client.get(changelist(models.Patient, q="RIP-1003")))

    assert [p.family for p in found] == ["Novak"]


def test_patient_search_by_another_identifier_value(demo, admin_client):
    store_patient_from_ehr()

    found = listed(admin_client.get(changelist(models.Patient, q="EHR-55501")))

    assert [p.family for p in found] == ["Lindqvist"]


def test_patient_search_with_no_match_lists_nobody(demo, admin_client):
    assert listed(admin_client.get(changelist(models.Patient, q="Nobody-By-This-Name"))) == []


def test_coverage_search_by_member_id(demo, admin_client):
    found = listed(admin_client.get(changelist(models.Coverage, q="1EG4TE5MK72")))

    assert [(c.beneficiary.family, c.payor.name) for c in found] == [("Chen", "Medicare Part B (Jurisdiction J)")]


def test_practitioner_search_by_npi(demo, admin_client):
    found = listed(admin_client.get(changelist(models.Practitioner, q="1234567893")))

    assert [(p.family, p.given) for p in found] == [("Patel", "Anika")]


# --- reading a patient's chart ---------------------------------------------------------


def test_patient_page_shows_coverages_encounters_orders_and_notes(demo, admin_client):
    response = admin_client.get(change_page(demo_patient("Alvarez")))

    assert response.status_code == 200
    inlines = {inline.formset.model: inline for inline in response.context["inline_admin_formsets"]}
    assert {models.Coverage, models.Encounter, models.ServiceRequest, models.DocumentReference} <= set(inlines)
    coverages = [form.instance for form in inlines[models.Coverage].formset.forms]
    orders = [form.instance for form in inlines[models.ServiceRequest].formset.forms]
    notes = [form.instance for form in inlines[models.DocumentReference].formset.forms]
    encounters = [form.instance for form in inlines[models.Encounter].formset.forms]
    assert [(c.member_id, c.plan, c.group) for c in coverages] == [("AHP123456789", "PPO Gold", "GRP-1001")]
    assert [(o.code, o.laterality, o.spinal_levels) for o in orders] == [("64483", "left", ["L4-L5"])]
    # The consult note, and the prior authorization packet built for her order (a PDF).
    assert sorted((n.code_display, bool(n.text)) for n in notes) == [
        ("Administrative note", False), ("Consult note", True)]
    assert [e.type_display for e in encounters] == ["New patient pain consultation"]
    page = response.content.decode()
    for shown in ("AHP123456789", "PPO Gold", "New patient pain consultation", "64483",
                  "Transforaminal epidural steroid injection", "Consult note", "Orders", "Notes"):
        assert shown in page
    # Only this patient's chart: nothing of Robert Chen's.
    assert "1EG4TE5MK72" not in page and "64493" not in page


# --- editing -------------------------------------------------------------------------


def test_editing_a_patients_family_name_writes_a_new_fhir_version_and_keeps_the_rest(admin_client):
    patient = store_patient_from_ehr()
    before = KINDS["Patient"].to_fhir(patient)
    shown = admin_client.get(change_page(patient))
    data = form_data(shown)
    data["family"] = "Lindqvist-Berg"

    response = admin_client.post(change_page(patient), data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    patient.refresh_from_db()
    assert (patient.family, patient.version_id) == ("Lindqvist-Berg", 2)
    _, token = create_api_client(name="ehr", role="integration")
    read = admin_client.get(f"/fhir/Patient/{patient.fhir_id}", headers={"Authorization": f"Bearer {token}"})
    assert read.status_code == 200
    after = read.json()
    assert after["meta"]["versionId"] == "2"
    assert after["name"] == [{"use": "official", "family": "Lindqvist-Berg", "given": ["Ingrid"]},
                             {"use": "maiden", "family": "Berg"}]
    for element in ("extension", "identifier", "telecom", "gender", "birthDate", "_birthDate", "address"):
        assert after[element] == before[element], element


def test_a_stale_admin_form_does_not_overwrite_a_newer_change(admin_client):
    patient = store_patient_from_ehr()
    data = form_data(admin_client.get(change_page(patient)))  # the editor opens version 1
    newer = {**KINDS["Patient"].to_fhir(patient), "gender": "other"}
    update_resource(resource_type="Patient", fhir_id=patient.fhir_id, resource=newer)  # the EHR writes version 2
    data["family"] = "Stale-Edit"

    response = admin_client.post(change_page(patient), data)

    assert response.status_code == 200
    assert "changed while you were editing" in response.content.decode()
    patient.refresh_from_db()
    assert (patient.version_id, patient.gender) == (2, "other")
    assert patient.family != "Stale-Edit"


def test_a_change_that_loses_the_race_at_save_time_sends_the_editor_back_not_a_500(admin_client, monkeypatch):
    # The form's own check passed; another writer took the row lock first, so the write path
    # refuses at save time (412).
    from pracops.fhir.outcome import FhirError, Issue
    import pracops.records.admin as records_admin

    patient = store_patient_from_ehr()
    data = form_data(admin_client.get(change_page(patient)))
    data["family"] = "Raced-Edit"

    def lost_the_race(*args, **kwargs):
        raise FhirError(412, Issue("conflict", "Patient is at version 2, not 1"))

    monkeypatch.setattr(records_admin, "save_record", lost_the_race)
    response = admin_client.post(change_page(patient), data, follow=True)

    assert response.redirect_chain == [(change_page(patient), 302)]
    assert "Not saved" in response.content.decode()
    patient.refresh_from_db()
    assert (patient.version_id, patient.family) == (1, "Lindqvist")


def test_a_delete_the_write_path_refuses_at_delete_time_sends_the_editor_back_not_a_500(admin_client, monkeypatch):
    # The confirmation page found nothing in the way; a record that refers to the patient was
    # written before the delete ran (409 from the write path).
    from pracops.fhir.outcome import FhirError, Issue
    import pracops.records.admin as records_admin

    patient = store_patient_from_ehr()
    delete_page = reverse("admin:records_patient_delete", args=[patient.pk])

    def referred_to(*args, **kwargs):
        raise FhirError(409, Issue("conflict", "Patient is referred to by Encounter/e1; delete those first"))

    monkeypatch.setattr(records_admin, "delete_records", referred_to)
    response = admin_client.post(delete_page, {"post": "yes"}, follow=True)

    assert response.redirect_chain == [(delete_page, 302)]
    assert "Not deleted" in response.content.decode()
    assert models.Patient.objects.filter(pk=patient.pk).exists()


def test_editing_a_patient_in_the_admin_keeps_it_findable_by_its_identifiers(admin_client):
    patient = store_patient_from_ehr()
    data = form_data(admin_client.get(change_page(patient)))
    data["given"] = "Ingrid Maria"

    assert admin_client.post(change_page(patient), data).status_code == 302

    found = listed(admin_client.get(changelist(models.Patient, q="EHR-55501")))
    assert [(p.family, p.given) for p in found] == [("Lindqvist", "Ingrid Maria")]


def test_an_invalid_npi_typed_into_a_practitioners_form_is_refused_and_nothing_changes(demo, admin_client):
    practitioner = models.Practitioner.objects.get(npi="1234567893")
    before = KINDS["Practitioner"].to_fhir(practitioner)
    data = form_data(admin_client.get(change_page(practitioner)))
    data["npi"] = "1234567890"

    response = admin_client.post(change_page(practitioner), data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "npi" in form.errors
    assert "not a valid NPI" in form.errors["npi"][0]
    practitioner.refresh_from_db()
    assert practitioner.version_id == 1
    assert KINDS["Practitioner"].to_fhir(practitioner) == before
    assert list(practitioner.identifiers.values_list("system", "value")) == [(NPI, "1234567893")]


def test_an_mrn_another_patient_carries_too_is_stored_as_fhir_allows(demo, admin_client):
    chen = demo_patient("Chen")
    data = form_data(admin_client.get(change_page(chen)))
    data["mrn"] = "RIP-1000"  # Maria Alvarez's as well

    response = admin_client.post(change_page(chen), data)

    assert response.status_code == 302
    chen.refresh_from_db()
    assert (chen.mrn, chen.version_id) == ("RIP-1000", 2)
    assert (MRN_SYSTEM, "RIP-1000") in chen.identifiers.values_list("system", "value")
    assert demo_patient("Alvarez").identifiers.filter(system=MRN_SYSTEM, value="RIP-1000").exists()


def test_editing_an_encounters_status_keeps_its_period_as_the_ehr_sent_it(demo, admin_client):
    visit = models.Encounter.objects.get(fhir_id=demo_fhir_id("encounter", "p3"))  # the consult
    before = KINDS["Encounter"].to_fhir(visit)
    data = form_data(admin_client.get(change_page(visit)))
    data["status"] = "cancelled"

    assert admin_client.post(change_page(visit), data).status_code == 302

    visit.refresh_from_db()
    after = KINDS["Encounter"].to_fhir(visit)
    assert after["status"] == "cancelled"
    assert after["period"] == {"start": "2026-11-02T09:00:00-05:00", "end": "2026-11-02T09:45:00-05:00"}
    assert {k: v for k, v in after.items() if k not in ("status", "meta")} == \
        {k: v for k, v in before.items() if k not in ("status", "meta")}


# --- who may ---------------------------------------------------------------------------


def test_front_office_can_view_patients_but_not_the_audit_trail(demo, staff_client):
    client = staff_client("front_office")

    assert len(listed(client.get(changelist(models.Patient)))) == 4
    assert client.get(change_page(demo_patient())).status_code == 200
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 403


def test_billing_cannot_open_notes(demo, staff_client):
    client = staff_client("billing")
    note = models.DocumentReference.objects.first()

    assert client.get(changelist(models.DocumentReference)).status_code == 403
    assert client.get(change_page(note)).status_code == 403
    assert client.get(changelist(models.Coverage)).status_code == 200  # what a claim needs


def test_billing_sees_a_patients_page_without_the_notes(demo, staff_client):
    response = staff_client("billing").get(change_page(demo_patient()))

    assert response.status_code == 200
    shown = {inline.formset.model for inline in response.context["inline_admin_formsets"]}
    assert models.Coverage in shown and models.DocumentReference not in shown
    assert "Consult note" not in response.content.decode()


# --- the audit trail ---------------------------------------------------------------------


def test_listing_patients_in_the_admin_is_audited_with_the_search_and_who_was_shown(demo, admin_client, superuser):
    admin_client.get(changelist(models.Patient, q="okafor"))

    event = AuditEvent.objects.get(source="admin", action="E", subtype="search")  # not the sign-in
    okafor = demo_patient("Okafor")
    assert (event.source, event.action, event.subtype) == ("admin", "E", "search")
    assert (event.user, event.resource_type, event.query) == (superuser, "Patient", "q=okafor")
    assert event.entities == [f"Patient/{okafor.fhir_id}"]


@pytest.mark.parametrize("resource_type", list(KINDS))
def test_every_admin_list_and_open_writes_an_admin_audit_event(demo, admin_client, superuser, resource_type):
    store_procedure(demo_patient())  # the demo practice has orders, not yet procedures
    if not KINDS[resource_type].model.objects.exists():
        store_authorization_pair(demo_patient())  # written by the prior authorization workflow
    if not KINDS[resource_type].model.objects.exists():
        store_explanation_of_benefit(demo_patient())  # written by the billing projection
    record = KINDS[resource_type].model.objects.order_by("pk").first()
    patient = "" if resource_type in ("Organization", "Practitioner") else demo_patient_id_of(record)
    listed = KINDS[resource_type].model.objects.all()
    AuditEvent.objects.all().delete()  # what loading the demo wrote

    assert admin_client.get(changelist(type(record))).status_code == 200
    assert admin_client.get(change_page(record)).status_code == 200

    events = list(AuditEvent.objects.order_by("id").values_list(
        "source", "action", "resource_type", "resource_id", "patient_id", "user"))
    # The list names its patient when it showed only one patient's records (the one procedure).
    one_patient = patient and len({demo_patient_id_of(r) for r in listed}) == 1
    listed_patient = patient if one_patient else ""
    assert events == [
        ("admin", "E", resource_type, "", listed_patient, superuser.pk),
        ("admin", "R", resource_type, record.fhir_id, patient, superuser.pk),
    ]


def store_authorization_pair(patient: models.Patient) -> None:
    """A Claim and its ClaimResponse, as the prior authorization workflow stores them."""
    coverage = patient.coverages.select_related("payor").first()
    claim = {
        "resourceType": "Claim", "status": "active", "use": "preauthorization",
        "identifier": [{"system": "urn:pracops:prior-authorization", "value": "PA-admin-1"}],
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}]},
        "patient": {"reference": patient.reference}, "created": "2026-11-20T10:00:00Z",
        "insurer": {"reference": coverage.payor.reference}, "provider": {"display": "Demo clinic"},
        "priority": {"coding": [{"code": "normal"}]},
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"reference": coverage.reference}}],
    }
    claim_op, = store_by_identifier(resources=[claim])
    store_by_identifier(resources=[{
        "resourceType": "ClaimResponse", "status": "active", "use": "preauthorization", "outcome": "queued",
        "type": claim["type"], "patient": claim["patient"], "insurer": claim["insurer"],
        "created": "2026-11-20T10:01:00Z", "request": {"reference": f"Claim/{claim_op.fhir_id}"},
    }])


def store_explanation_of_benefit(patient: models.Patient) -> None:
    """A claim payment's ExplanationOfBenefit of the patient's stored Claim, as billing.fhir stores it."""
    claim = models.Claim.objects.filter(patient=patient).select_related("insurer", "coverage").first()
    store_by_identifier(resources=[{
        "resourceType": "ExplanationOfBenefit", "status": "active", "use": "claim", "outcome": "complete",
        "identifier": [{"system": "urn:pracops:billing-claim-payment", "value": "835-admin-1"}],
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}]},
        "patient": {"reference": patient.reference}, "created": "2026-12-05T10:00:00Z",
        "insurer": {"reference": claim.insurer.reference}, "provider": {"display": "Demo clinic"},
        "claim": {"reference": claim.reference},
        "insurance": [{"focal": True, "coverage": {"reference": claim.coverage.reference}}],
        "payment": {"date": "2026-12-04", "amount": {"value": 600, "currency": "USD"}},
    }])


def store_procedure(patient: models.Patient) -> models.Procedure:
    op = create_resource(resource={
        "resourceType": "Procedure", "status": "completed",
        "code": {"coding": [{"system": CPT, "code": "64483"}]},
        "subject": {"reference": patient.reference}, "performedDateTime": "2026-11-20T10:15:00Z",
        "bodySite": [{"text": "Left L4-5"}],
    })
    return models.Procedure.objects.get(fhir_id=op.fhir_id)


@pytest.mark.parametrize("page", ["delete", "history"])
def test_opening_a_patients_delete_confirmation_or_history_is_audited_as_a_read(demo, admin_client, page):
    patient = demo_patient()
    AuditEvent.objects.all().delete()

    response = admin_client.get(reverse(f"admin:records_patient_{page}", args=[patient.pk]))

    assert response.status_code == 200 and "Alvarez" in response.content.decode()
    assert list(AuditEvent.objects.values_list("source", "action", "resource_id", "patient_id")) == [
        ("admin", "R", patient.fhir_id, patient.fhir_id)
    ]


def demo_patient_id_of(record) -> str:
    if isinstance(record, models.Patient):
        return record.fhir_id
    return (record.beneficiary if isinstance(record, models.Coverage) else record.patient).fhir_id


def test_an_admin_edit_is_audited_as_an_update(admin_client, superuser):
    patient = store_patient_from_ehr()
    data = form_data(admin_client.get(change_page(patient)))
    data["family"] = "Lindqvist-Berg"

    admin_client.post(change_page(patient), data)

    updates = list(AuditEvent.objects.filter(action="U").values_list("source", "resource_id", "patient_id", "user"))
    assert updates == [("admin", patient.fhir_id, patient.fhir_id, superuser.pk)]


def test_billing_sees_an_encounter_without_the_note_it_contains(demo, staff_client):
    encounter = models.Encounter.objects.first()
    secret = "Contained-note-text-Quokka"
    encounter.resource = {**encounter.resource, "contained": [{
        "resourceType": "DocumentReference", "id": "n1", "status": "current",
        "content": [{"attachment": {"contentType": "text/plain", "title": secret}}],
    }]}
    encounter.save(update_fields=["resource"])

    billing = staff_client("billing").get(change_page(encounter)).content.decode()
    client = Client()
    client.force_login(User.objects.create_superuser("root-2", "r@example.org", "not-used-here-2"))
    superuser = client.get(change_page(encounter)).content.decode()

    assert secret not in billing and "your role may not read" in billing
    assert secret in superuser
