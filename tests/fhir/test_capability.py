"""GET /fhir/metadata: the CapabilityStatement says what the server does, and does what it says."""

import pytest
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

pytestmark = pytest.mark.django_db

SUPPORTED = {"Organization", "Practitioner", "Patient", "Coverage", "Encounter", "Condition", "Procedure",
             "ServiceRequest", "Observation", "DocumentReference", "Claim", "ClaimResponse",
             "ExplanationOfBenefit"}

# A prior authorization's or a billing claim's Claim/ClaimResponse, and a claim payment's
# ExplanationOfBenefit (billing.fhir): PracOps writes them, no role does.
WRITTEN_BY_SYSTEM = {"Claim", "ClaimResponse", "ExplanationOfBenefit"}

# A value of each search parameter type that any type's parameter accepts.
SAMPLE_VALUE = {"string": "a", "token": "x", "date": "ge2024-01-01", "reference": "some-id", "quantity": "ge5"}


@pytest.fixture
def capability(anonymous) -> dict:
    response = anonymous.get("/fhir/metadata")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    return response.json()


def test_metadata_is_a_valid_r4_capability_statement(capability):
    statement = CapabilityStatement.model_validate(capability)

    assert statement.fhirVersion == "4.0.1"
    assert statement.kind == "instance"
    assert "application/fhir+json" in statement.format
    assert capability["implementation"]["url"] == "http://testserver/fhir"


def test_metadata_lists_every_supported_type_with_its_interactions(capability):
    resources = {r["type"]: r for r in capability["rest"][0]["resource"]}

    assert set(resources) == SUPPORTED
    for resource_type, resource in resources.items():
        expected = {"read", "search-type"} | (set() if resource_type in WRITTEN_BY_SYSTEM else {"create", "update", "delete"})
        assert {i["code"] for i in resource["interaction"]} >= expected
    assert {i["code"] for i in capability["rest"][0]["interaction"]} == {"transaction", "batch"}


def test_metadata_advertises_version_history_patch_and_conditional_update(capability):
    for resource in capability["rest"][0]["resource"]:
        if resource["type"] in WRITTEN_BY_SYSTEM:
            continue
        assert {i["code"] for i in resource["interaction"]} >= {"vread", "history-instance", "history-type", "patch"}
        assert resource["versioning"] in ("versioned", "versioned-update")
        assert resource["readHistory"] is True
        assert resource["conditionalUpdate"] is True


def test_metadata_advertises_the_types_no_role_writes_as_read_only(capability):
    resources = {r["type"]: r for r in capability["rest"][0]["resource"]}

    for resource_type in WRITTEN_BY_SYSTEM:
        assert {i["code"] for i in resources[resource_type]["interaction"]} == {
            "read", "vread", "search-type", "history-instance", "history-type"}
        assert resources[resource_type]["conditionalUpdate"] is False
        assert resources[resource_type]["updateCreate"] is False


@pytest.mark.parametrize(("resource_type", "params"), [
    ("Patient", {"_id", "_lastUpdated", "identifier", "name", "family", "birthdate"}),
    ("Encounter", {"patient", "date", "status"}),
    ("Coverage", {"beneficiary", "payor"}),
    ("Condition", {"patient", "code", "date"}),
    ("Procedure", {"patient", "code", "date"}),
    ("ServiceRequest", {"patient", "code", "date"}),
    ("Observation", {"patient", "code", "date"}),
    ("DocumentReference", {"patient", "code", "date"}),
    ("Claim", {"patient", "use", "status", "created", "identifier", "insurer", "provider"}),
    ("ClaimResponse", {"patient", "use", "status", "created", "identifier", "insurer", "outcome", "request"}),
    ("ExplanationOfBenefit", {"patient", "claim", "created", "status", "identifier", "outcome", "coverage"}),
])
def test_metadata_lists_the_search_parameters_of_each_type(capability, resource_type, params):
    resource = next(r for r in capability["rest"][0]["resource"] if r["type"] == resource_type)

    assert params <= {p["name"] for p in resource["searchParam"]}


def test_every_advertised_search_parameter_is_accepted(capability, api):
    for resource in capability["rest"][0]["resource"]:
        for param in resource["searchParam"]:
            response = api.get(f"/fhir/{resource['type']}", {param["name"]: SAMPLE_VALUE[param["type"]]})
            assert response.status_code == 200, (resource["type"], param["name"], response.content)


def test_metadata_needs_no_token_but_names_the_security(capability):
    security = capability["rest"][0]["security"]

    assert security["service"][0]["coding"][0]["code"] == "OAuth"
    assert "Bearer" in security["description"]
