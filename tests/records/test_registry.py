"""Resource types are declared once, in the registry; an app that registers one is served everywhere.

``tests/records/accounts_app`` registers a minimal Account from its ``AppConfig.ready()``, as a
domain app would: these tests install it and check the API, bundles, search, validation, roles, the admin
permissions and /metadata all take it up.
"""

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client, override_settings

from pracops.access.roles import ROLES, allowed
from pracops.fhir.mapping import MAPPERS, Ref, ResourceMapper
from pracops.records import models
from pracops.records.registry import (
    KINDS,
    SUPPORTED_TYPES,
    RegistrationError,
    ResourceKind,
    register_resource_type,
    unregister_resource_type,
)
from tests.conftest import FhirApi
from tests.factories import ApiClientFactory, PatientFactory, reference

ACCOUNTS_APP = "tests.records.accounts_app"


@pytest.fixture
def accounts_app(transactional_db):
    """The test app installed (its ready() registers Account) and its table migrated."""
    with override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, ACCOUNTS_APP]):
        call_command("migrate", "accounts_test", verbosity=0)
        try:
            yield
        finally:
            call_command("migrate", "accounts_test", "zero", verbosity=0)
            unregister_resource_type("Account")


def account(patient: dict, status: str = "active") -> dict:
    return {"resourceType": "Account", "status": status, "subject": [reference(patient)],
            "name": "Self-pay balance", "servicePeriod": {"start": "2026-06-02"}}


def api_as(role: str) -> FhirApi:
    return FhirApi(Client(), ApiClientFactory(role=role))


def test_the_core_types_are_registered_in_the_order_they_are_written():
    assert SUPPORTED_TYPES == ["Organization", "Practitioner", "Patient", "Coverage", "Encounter", "Condition",
                               "Procedure", "ServiceRequest", "Observation", "DocumentReference", "Claim",
                               "ClaimResponse",
                               # then the types apps register, after those they refer to (billing.fhir)
                               "ExplanationOfBenefit"]
    assert all(KINDS[t].search_params and KINDS[t].groups for t in SUPPORTED_TYPES)


def test_a_type_is_not_served_until_an_app_registers_it(db):
    response = api_as("integration").get("/fhir/Account")

    assert response.status_code == 404
    assert "Account" not in [r["type"] for r in Client().get("/fhir/metadata").json()["rest"][0]["resource"]]


def test_a_registered_type_is_created_read_and_searched_through_the_api(accounts_app):
    api = api_as("integration")
    patient = api.create(PatientFactory.build())

    created = api.create(account(patient))

    assert api.get(f"/fhir/Account/{created['id']}").json()["subject"] == [{"reference": f"Patient/{patient['id']}"}]
    found = api.search("Account", {"patient": patient["id"], "status": "active"})
    assert [e["resource"]["id"] for e in found["entry"]] == [created["id"]]


def test_a_registered_type_is_written_after_the_types_it_refers_to_in_a_transaction(accounts_app):
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": account({"resourceType": "Patient", "id": "x"}) | {"subject": [{"reference": "urn:uuid:pat-1"}]},
         "request": {"method": "POST", "url": "Account"}},
        {"fullUrl": "urn:uuid:pat-1", "resource": PatientFactory.build(), "request": {"method": "POST", "url": "Patient"}},
    ]}

    response = api_as("integration").post("/fhir", bundle)

    assert response.status_code == 200, response.content
    assert [e["response"]["status"] for e in response.json()["entry"]] == ["201 Created", "201 Created"]


def test_a_registered_type_has_its_required_codes_validated(accounts_app):
    api = api_as("integration")
    patient = api.create(PatientFactory.build())

    response = api.post("/fhir/Account", account(patient, status="sometimes"))

    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["Account.status"]


def test_roles_grant_a_registered_type_by_its_groups(accounts_app):
    patient = api_as("integration").create(PatientFactory.build())

    assert ROLES["integration"]["Account"] == frozenset({"read", "search", "create", "update", "delete"})
    assert "Account" not in ROLES["clinician"]
    assert api_as("clinician").post("/fhir/Account", account(patient)).status_code == 403
    integration = ApiClientFactory(role="integration").user
    assert allowed(integration, "create", "Account")
    perms = set(Group.objects.get(name="integration").permissions.values_list("codename", flat=True))
    assert {"view_account", "add_account", "change_account", "delete_account"} <= perms


def test_metadata_lists_a_registered_type_with_its_search_parameters(accounts_app):
    resources = {r["type"]: r for r in Client().get("/fhir/metadata").json()["rest"][0]["resource"]}

    assert {p["name"] for p in resources["Account"]["searchParam"]} >= {"_id", "identifier", "patient", "status"}


def test_a_type_must_register_after_the_types_it_refers_to():
    class OrphanMapper(ResourceMapper):
        resource_type = "Orphan"
        references = {"thing": Ref(("NotRegistered",), lambda r: None, lambda r, v: None, required=True)}

    with pytest.raises(RegistrationError, match="NotRegistered"):
        register_resource_type(ResourceKind("Orphan", models.Observation, OrphanMapper()))
    assert "Orphan" not in KINDS and "Orphan" not in SUPPORTED_TYPES


def test_a_type_cannot_be_registered_twice_with_another_model():
    with pytest.raises(RegistrationError, match="already registered"):
        register_resource_type(ResourceKind("Patient", models.Practitioner, MAPPERS["Patient"]))
    assert KINDS["Patient"].model is models.Patient
