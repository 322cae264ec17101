"""A real FHIR client (fhirpy) against a running server: what an EHR integration does."""

import pytest
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome, ResourceNotFound

from tests.factories import MRN_SYSTEM, ApiClientFactory, PatientFactory

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fhir(live_server) -> SyncFHIRClient:
    token = ApiClientFactory(role="integration").token
    return SyncFHIRClient(url=live_server.url + "/fhir", authorization="Bearer " + token)


def test_create_search_read_and_update_a_patient(fhir):
    patient = fhir.resource("Patient", **PatientFactory.build(mrn="MRN-FHIRPY-1", family="Okonkwo"))
    patient.save()
    assert patient.id and patient["meta"]["versionId"] == "1"

    found = fhir.resources("Patient").search(identifier=f"{MRN_SYSTEM}|MRN-FHIRPY-1").fetch_all()
    assert [p.id for p in found] == [patient.id]

    read = fhir.reference("Patient", patient.id).to_resource()
    assert read["name"][0]["family"] == "Okonkwo"

    read["name"][0]["family"] = "Okonkwo-Adeyemi"
    read.save()
    assert read["meta"]["versionId"] == "2"

    again = fhir.get("Patient", patient.id)
    assert again["name"][0]["family"] == "Okonkwo-Adeyemi"
    assert again["meta"]["versionId"] == "2"
    assert [p.id for p in fhir.resources("Patient").search(family="Okonkwo-Adeyemi").fetch()] == [patient.id]


def test_fetch_all_follows_next_links_across_pages(fhir):
    for _ in range(5):
        fhir.resource("Patient", **PatientFactory.build(family="Paginated")).save()

    everyone = fhir.resources("Patient").search(family="Paginated").limit(2).fetch_all()

    assert len({p.id for p in everyone}) == 5


def test_the_client_sees_errors_as_operation_outcomes(fhir):
    with pytest.raises(ResourceNotFound):
        fhir.get("Patient", "nobody")
    with pytest.raises(OperationOutcome) as refused:
        fhir.resource("Patient", **PatientFactory.build(birthDate="x")).save()
    assert "birthDate" in str(refused.value)
