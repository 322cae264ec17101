"""The PAS request and inquiry Bundles, built from plain dicts and checked as FHIR R4."""

from __future__ import annotations

import base64
from collections import Counter
from datetime import datetime, timezone

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from priorauth.payers.base import RequestedItem
from priorauth.payers.pas.bundle import (
    INQUIRY_SYSTEM,
    REQUEST_SYSTEM,
    IncompleteRequest,
    full_url,
    inquiry_bundle,
    request_bundle,
)
from tests.priorauth.payers.conftest import REQUEST_ID, make_request, resources

SD = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition"
PDF = b"%PDF-1.7\n% a packet\n"


def entries_by_type(bundle: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for entry in bundle["entry"]:
        found.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return found


def references(node) -> list[str]:
    if isinstance(node, dict):
        own = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return own + [r for value in node.values() for r in references(value)]
    if isinstance(node, list):
        return [r for value in node for r in references(value)]
    return []


def extension(element: dict, url: str) -> dict:
    return next(e for e in element.get("extension", []) if e["url"] == url)


@pytest.fixture
def bundle() -> dict:
    return request_bundle(make_request(packet_pdf=PDF))


def test_every_resource_and_the_bundle_are_valid_fhir_r4(bundle):
    Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def test_the_bundle_is_a_pas_collection_with_an_identifier_and_a_timestamp(bundle):
    assert bundle["type"] == "collection"
    assert bundle["meta"]["profile"] == [f"{SD}/profile-pas-request-bundle"]
    assert bundle["identifier"] == {"system": REQUEST_SYSTEM, "value": REQUEST_ID}
    assert bundle["timestamp"] == "2026-12-01T15:30:00+00:00"


def test_the_claim_comes_first_as_a_preauthorization(bundle):
    claim = bundle["entry"][0]["resource"]
    assert claim["resourceType"] == "Claim" and claim["meta"]["profile"] == [f"{SD}/profile-claim"]
    assert (claim["use"], claim["status"]) == ("preauthorization", "active")
    assert claim["type"]["coding"][0]["code"] == "professional"
    assert claim["identifier"] == [{"system": REQUEST_SYSTEM, "value": REQUEST_ID}]
    assert claim["priority"]["coding"][0]["code"] == "normal"
    assert extension(claim, f"{SD}/extension-levelOfServiceCode")["valueCodeableConcept"]["coding"][0]["code"] == "E"
    assert [d["diagnosisCodeableConcept"]["coding"][0] for d in claim["diagnosis"]] == [
        {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M54.16"},
        {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M51.26"},
    ]
    assert claim["insurance"] == [{"sequence": 1, "focal": True, "coverage": {"reference": full_url("Coverage", "cov-1")}}]


def test_an_expedited_request_is_stat_and_urgent():
    claim = request_bundle(make_request(urgency="expedited"))["entry"][0]["resource"]
    assert claim["priority"]["coding"][0]["code"] == "stat"
    assert extension(claim, f"{SD}/extension-levelOfServiceCode")["valueCodeableConcept"]["coding"][0]["code"] == "U"


def test_each_requested_item_carries_its_cpt_units_date_and_pas_extensions(bundle):
    first, second = bundle["entry"][0]["resource"]["item"]
    assert first["productOrService"]["coding"] == [{"system": "http://www.ama-assn.org/go/cpt", "code": "64483"}]
    assert (first["sequence"], first["quantity"], first["servicedDate"]) == (1, {"value": 1}, "2026-12-14")
    assert (second["productOrService"]["coding"][0]["code"], second["quantity"]) == ("64484", {"value": 2})
    assert "servicedDate" not in second  # not scheduled yet: nothing invented
    for item in (first, second):
        assert extension(item, f"{SD}/extension-certificationType")["valueCodeableConcept"]["coding"][0]["code"] == "I"
        assert extension(item, f"{SD}/extension-serviceItemRequestType")["valueCodeableConcept"]["coding"][0]["code"] == "HS"
        assert extension(item, f"{SD}/extension-requestedService")["valueReference"] == {
            "reference": full_url("ServiceRequest", "sr-1")}
        assert item["category"]["coding"][0]["system"] == "https://codesystem.x12.org/005010/1365"
        assert item["locationCodeableConcept"]["coding"][0]["code"] == "11"
        assert item["diagnosisSequence"] == [1, 2]


def test_every_reference_resolves_to_exactly_one_entry_and_every_record_is_sent_once(bundle):
    full_urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(full_urls) == len(set(full_urls)) and all(url.startswith("urn:uuid:") for url in full_urls)
    for entry in bundle["entry"]:
        for reference in references(entry["resource"]):
            assert reference in full_urls, f"{entry['resource']['resourceType']} points outside the Bundle"
    kinds = Counter(entry["resource"]["resourceType"] for entry in bundle["entry"])
    assert kinds == {"Claim": 1, "Patient": 1, "Organization": 2, "Coverage": 1, "ServiceRequest": 1,
                     "Practitioner": 2, "PractitionerRole": 2, "Condition": 1, "DocumentReference": 1}
    # Everything but the Claim is referenced by something: nothing travels that nothing points at.
    referenced = {r for entry in bundle["entry"] for r in references(entry["resource"])}
    assert set(full_urls) - referenced == {bundle["entry"][0]["fullUrl"]}


def test_records_go_as_served_less_the_servers_bookkeeping(bundle):
    found = entries_by_type(bundle)
    patient = found["Patient"][0]
    assert "meta" not in patient and patient["name"] == resources()["patient"]["name"]
    service_request = found["ServiceRequest"][0]
    # A record PracOps does not send is left out, not left dangling; the ones it sends are rewritten.
    assert "encounter" not in service_request
    assert service_request["insurance"] == [{"reference": full_url("Coverage", "cov-1")}]
    assert service_request["reasonReference"] == [{"reference": full_url("Condition", "cond-1")}]
    assert found["Coverage"][0]["payor"] == [{"reference": full_url("Organization", "org-acme")}]


def test_the_requesting_organization_is_the_provider_and_practitioners_serve_as_roles(bundle):
    claim, found = bundle["entry"][0]["resource"], entries_by_type(bundle)
    assert claim["provider"] == {"reference": full_url("Organization", "org-practice")}
    roles = {role["practitioner"]["reference"]: role for role in found["PractitionerRole"]}
    assert set(roles) == {full_url("Practitioner", "prac-1"), full_url("Practitioner", "prac-2")}
    assert all(role["organization"] == claim["provider"] for role in roles.values())
    members = [(m["role"]["coding"][0]["code"], m["extension"][0]["valueBoolean"]) for m in claim["careTeam"]]
    assert members == [("DK", True), ("SJ", True)]


def test_without_an_organization_the_requesting_practitioners_role_is_the_provider():
    bundle = request_bundle(make_request(facility=None))
    claim, found = bundle["entry"][0]["resource"], entries_by_type(bundle)
    role_urls = {e["fullUrl"]: e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "PractitionerRole"}
    assert role_urls[claim["provider"]["reference"]]["practitioner"] == {"reference": full_url("Practitioner", "prac-1")}
    assert len(found["Organization"]) == 1  # only the payer


def test_one_practitioner_ordering_and_performing_is_one_role_in_two_care_team_places():
    r = resources()
    bundle = request_bundle(make_request(performer=r["doctor"]))
    claim, found = bundle["entry"][0]["resource"], entries_by_type(bundle)
    assert len(found["PractitionerRole"]) == 1 and len(found["Practitioner"]) == 1
    assert [m["provider"] for m in claim["careTeam"]] == [claim["careTeam"][0]["provider"]] * 2


def test_the_packet_travels_as_a_document_reference_with_the_pdf_inline(bundle):
    claim, found = bundle["entry"][0]["resource"], entries_by_type(bundle)
    document = found["DocumentReference"][0]
    attachment = document["content"][0]["attachment"]
    assert attachment["contentType"] == "application/pdf" and "url" not in attachment
    assert base64.b64decode(attachment["data"]) == PDF
    assert document["subject"] == {"reference": full_url("Patient", "pat-1")}
    [info] = claim["supportingInfo"]
    assert info["category"]["coding"][0]["code"] == "additionalInformation"
    by_url = {e["resource"]["id"]: e["fullUrl"] for e in bundle["entry"]}
    assert info["valueReference"] == {"reference": by_url[document["id"]]}
    details = {part["url"] for part in extension(info, f"{SD}/extension-documentInformation")["extension"]}
    assert {"reportTypeCode", "transmissionMethod"} <= details


def test_without_a_packet_there_is_no_supporting_document():
    bundle = request_bundle(make_request())
    assert "supportingInfo" not in bundle["entry"][0]["resource"]
    assert "DocumentReference" not in entries_by_type(bundle)


def test_the_same_request_builds_the_same_bundle(bundle):
    assert request_bundle(make_request(packet_pdf=PDF)) == bundle


def test_the_conditions_codes_stand_in_when_no_diagnosis_codes_are_given():
    claim = request_bundle(make_request(diagnoses=[]))["entry"][0]["resource"]
    assert [d["diagnosisCodeableConcept"]["coding"][0]["code"] for d in claim["diagnosis"]] == ["M54.16"]


@pytest.mark.parametrize(("changes", "what"), [
    ({"diagnoses": [], "conditions": []}, "diagnosis"),
    ({"facility": None, "requester": None}, "requesting provider"),
    ({"items": [RequestedItem(sequence=1, cpt="64483", units=0, service_date=None)]}, "units"),
])
def test_what_every_request_must_carry_is_named_when_missing(changes, what):
    with pytest.raises(IncompleteRequest, match=what) as caught:
        request_bundle(make_request(**changes))
    assert "Quillfeather" not in str(caught.value)


def test_the_inquiry_asks_by_example_with_the_payers_reference():
    at = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)
    bundle = inquiry_bundle(make_request(packet_pdf=PDF), payer_reference="TRK-77", at=at)
    Bundle.model_validate(bundle)
    claim = bundle["entry"][0]["resource"]
    assert bundle["meta"]["profile"] == [f"{SD}/profile-pas-inquiry-request-bundle"]
    assert bundle["identifier"]["system"] == INQUIRY_SYSTEM and bundle["identifier"]["value"] != REQUEST_ID
    assert bundle["timestamp"] == at.isoformat()
    assert claim["meta"]["profile"] == [f"{SD}/profile-claim-inquiry"]
    assert claim["identifier"] == [{"system": REQUEST_SYSTEM, "value": REQUEST_ID}]
    assert extension(claim, f"{SD}/extension-administrationReferenceNumber")["valueString"] == "TRK-77"
    assert "DocumentReference" not in entries_by_type(bundle)  # an inquiry does not send the packet again
    later = inquiry_bundle(make_request(), payer_reference="TRK-77", at=at.replace(hour=10))
    assert later["identifier"]["value"] != bundle["identifier"]["value"]
