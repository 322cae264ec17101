"""Who may call the APIs, and what each role may do (pracops/access/roles.py)."""

import pytest
from django.core.management import CommandError, ManagementUtility, call_command

from pracops.access.roles import ROLES
from pracops.records.models import DocumentReference, Encounter, Patient
from tests.factories import DocumentReferenceFactory, EncounterFactory, PatientFactory

pytestmark = pytest.mark.django_db

TYPES = ["Organization", "Practitioner", "Patient", "Coverage", "Encounter", "Condition", "Procedure",
         "ServiceRequest", "Observation", "DocumentReference", "Claim", "ClaimResponse"]


# --- authentication ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/fhir/Patient", "/fhir/Patient/some-id", "/api/me/", "/api/audit-events/"])
def test_a_request_without_a_token_is_401(anonymous, path):
    assert anonymous.get(path).status_code == 401


@pytest.mark.parametrize("path", ["/fhir/Patient", "/api/me/"])
def test_a_request_with_a_bad_token_is_401(anonymous, path):
    response = anonymous.get(path, Authorization="Bearer " + "0" * 64)

    assert response.status_code == 401


def test_fhir_401_is_an_operation_outcome_with_a_bearer_challenge(anonymous):
    response = anonymous.get("/fhir/Patient", Authorization="Bearer not-a-token")

    assert response.status_code == 401
    assert response.json()["resourceType"] == "OperationOutcome"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_write_without_a_token_stores_nothing(anonymous):
    response = anonymous.post("/fhir/Patient", PatientFactory.build())

    assert response.status_code == 401
    assert Patient.objects.count() == 0


def test_a_bundle_without_a_token_is_401(anonymous):
    bundle = {"resourceType": "Bundle", "type": "transaction",
              "entry": [{"resource": PatientFactory.build(), "request": {"method": "POST", "url": "Patient"}}]}

    assert anonymous.post("/fhir", bundle).status_code == 401
    assert Patient.objects.count() == 0


def test_metadata_is_public(anonymous):
    assert anonymous.get("/fhir/metadata").status_code == 200


def test_a_revoked_token_is_401(api):
    from pracops.access.services import revoke_api_client

    assert api.get("/fhir/Patient").status_code == 200
    revoke_api_client(name=api.user.username)

    assert api.get("/fhir/Patient").status_code == 401


# --- the role table --------------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(ROLES))
def test_search_is_allowed_exactly_where_the_role_table_says(api_as, role):
    client = api_as(role)

    statuses = {t: client.get(f"/fhir/{t}").status_code for t in TYPES}

    assert statuses == {t: 200 if "search" in ROLES[role].get(t, ()) else 403 for t in TYPES}


def test_billing_may_not_read_notes(api_as):
    note = DocumentReferenceFactory()
    billing = api_as("billing")

    search = billing.get("/fhir/DocumentReference")
    read = billing.get(f"/fhir/DocumentReference/{note['id']}")

    assert (search.status_code, read.status_code) == (403, 403)
    assert read.json()["resourceType"] == "OperationOutcome"
    assert "Procedure note" not in read.content.decode()
    assert billing.get("/fhir/Encounter").status_code == 200  # what a claim needs


def test_clinician_may_not_create_a_patient_but_front_office_may(api_as):
    refused = api_as("clinician").post("/fhir/Patient", PatientFactory.build())
    accepted = api_as("front_office").post("/fhir/Patient", PatientFactory.build())

    assert refused.status_code == 403
    assert refused.json()["issue"][0]["code"] == "forbidden"
    assert accepted.status_code == 201
    assert Patient.objects.count() == 1


def test_clinician_may_write_clinical_records_but_not_delete_them(api_as):
    clinician = api_as("clinician")
    created = clinician.post("/fhir/Encounter", EncounterFactory.build(patient=PatientFactory()))
    assert created.status_code == 201

    refused = clinician.delete(f"/fhir/Encounter/{created.json()['id']}")

    assert refused.status_code == 403
    assert Encounter.objects.count() == 1


def test_front_office_may_not_write_notes(api_as):
    response = api_as("front_office").post("/fhir/DocumentReference",
                                           DocumentReferenceFactory.build(patient=PatientFactory()))

    assert response.status_code == 403
    assert DocumentReference.objects.count() == 0


def test_a_transaction_with_one_forbidden_entry_is_refused_whole(api_as):
    patient = PatientFactory()
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": EncounterFactory.build(patient=patient), "request": {"method": "POST", "url": "Encounter"}},
        {"resource": PatientFactory.build(), "request": {"method": "POST", "url": "Patient"}},
    ]}

    response = api_as("clinician").post("/fhir", bundle)

    assert response.status_code == 403
    assert (Patient.objects.count(), Encounter.objects.count()) == (1, 0)


def test_the_auditor_reads_the_audit_trail_and_nobody_else_does(api_as):
    assert api_as("auditor").get("/api/audit-events/").status_code == 200
    for role in ("integration", "clinician", "front_office", "billing"):
        assert api_as(role).get("/api/audit-events/").status_code == 403, role


def test_the_auditor_reads_no_patient_data(api_as):
    patient = PatientFactory()

    assert api_as("auditor").get(f"/fhir/Patient/{patient['id']}").status_code == 403


def test_me_names_the_client_and_its_role(api_as):
    client = api_as("billing")

    body = client.get("/api/me/").json()

    assert body["username"] == client.user.username
    assert body["roles"] == ["billing"]
    assert "DocumentReference" not in body["grants"]["billing"]


# --- create_api_client -------------------------------------------------------------------


def test_create_api_client_prints_a_token_that_works(anonymous, capsys):
    call_command("create_api_client", "athena-ehr", "--role", "clinician")
    token = capsys.readouterr().out.strip()

    me = anonymous.get("/api/me/", Authorization=f"Bearer {token}")
    search = anonymous.get("/fhir/Patient", Authorization=f"Bearer {token}")
    create = anonymous.post("/fhir/Patient", PatientFactory.build(), Authorization=f"Bearer {token}")

    assert me.status_code == 200
    assert (me.json()["username"], me.json()["roles"]) == ("athena-ehr", ["clinician"])
    assert search.status_code == 200
    assert create.status_code == 403  # a clinician's token, not a superuser's


def test_create_api_client_with_an_unknown_role_exits_non_zero_with_a_message(capsys):
    argv = ["manage.py", "create_api_client", "some-ehr", "--role", "janitor"]
    with pytest.raises(SystemExit) as exited:  # as from the command line
        ManagementUtility(argv).fetch_command("create_api_client").run_from_argv(argv)

    assert exited.value.code != 0
    err = capsys.readouterr().err
    assert "janitor" in err
    assert "clinician" in err  # the roles there are


def test_create_api_client_without_a_role_is_refused():
    with pytest.raises(CommandError, match="--role"):
        call_command("create_api_client", "some-ehr")
