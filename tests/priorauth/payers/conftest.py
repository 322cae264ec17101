"""A SubmissionRequest as the workflow builds one, from plain FHIR dicts."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from priorauth.payers.base import RequestedItem, SubmissionRequest

REQUEST_ID = "5f0c2a4e-8d1b-4c3a-9e7f-2b6d4a1c0e91"
MEMBER_ID = "AHP-ZQX-90210"  # a sentinel: it must never reach a message or a log line
NPI = "http://hl7.org/fhir/sid/us-npi"


def resources() -> dict[str, dict]:
    patient = {
        "resourceType": "Patient", "id": "pat-1", "meta": {"versionId": "3", "lastUpdated": "2026-11-02T10:00:00Z"},
        "identifier": [{"system": "urn:oid:2.16.840.1.113883.3.7418.1", "value": "MRN-1001"}],
        "name": [{"family": "Quillfeather", "given": ["Maria"]}], "gender": "female", "birthDate": "1961-04-12",
    }
    payer = {
        "resourceType": "Organization", "id": "org-acme", "meta": {"versionId": "1"}, "active": True,
        "identifier": [{"system": "urn:oid:2.16.840.1.113883.3.7418.2", "value": "ACME"}],
        "name": "Acme Health Plan",
    }
    practice = {
        "resourceType": "Organization", "id": "org-practice", "active": True,
        "identifier": [{"system": NPI, "value": "1234567893"}], "name": "Riverside Spine & Pain",
        "telecom": [{"system": "phone", "value": "555-0100"}],
    }
    coverage = {
        "resourceType": "Coverage", "id": "cov-1", "meta": {"versionId": "2"}, "status": "active",
        "subscriberId": MEMBER_ID, "beneficiary": {"reference": "Patient/pat-1"},
        "payor": [{"reference": "Organization/org-acme"}],
        "class": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/coverage-class",
                                         "code": "group"}]}, "value": "GRP-1001"}],
    }
    doctor = {
        "resourceType": "Practitioner", "id": "prac-1", "active": True,
        "identifier": [{"system": NPI, "value": "1497758544"}], "name": [{"family": "Okafor", "given": ["Ada"]}],
    }
    surgeon = {
        "resourceType": "Practitioner", "id": "prac-2", "active": True,
        "identifier": [{"system": NPI, "value": "1316942311"}], "name": [{"family": "Lindqvist", "given": ["Per"]}],
    }
    condition = {
        "resourceType": "Condition", "id": "cond-1", "subject": {"reference": "Patient/pat-1"},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M54.16"}]},
    }
    service_request = {
        "resourceType": "ServiceRequest", "id": "sr-1", "meta": {"versionId": "5"}, "status": "active",
        "intent": "order",
        "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "64483"}]},
        "subject": {"reference": "Patient/pat-1"}, "requester": {"reference": "Practitioner/prac-1"},
        "performer": [{"reference": "Practitioner/prac-2"}],
        "reasonReference": [{"reference": "Condition/cond-1"}],
        # Records PracOps holds but does not send: the builder must not leave them dangling.
        "encounter": {"reference": "Encounter/enc-9"},
        "insurance": [{"reference": "Coverage/cov-1"}],
    }
    return {"patient": patient, "payer": payer, "practice": practice, "coverage": coverage, "doctor": doctor,
            "surgeon": surgeon, "condition": condition, "service_request": service_request}


def make_request(**changes) -> SubmissionRequest:
    r = resources()
    values = dict(
        request_id=REQUEST_ID, patient=r["patient"], coverage=r["coverage"], payer=r["payer"],
        requester=r["doctor"], performer=r["surgeon"], facility=r["practice"],
        service_request=r["service_request"], conditions=[r["condition"]], diagnoses=["M54.16", "M51.26"],
        items=[RequestedItem(sequence=1, cpt="64483", units=1, service_date=date(2026, 12, 14)),
               RequestedItem(sequence=2, cpt="64484", units=2, service_date=None)],
        urgency="standard", packet_pdf=None, packet_title="Lumbar transforaminal ESI",
        created=datetime(2026, 12, 1, 15, 30, tzinfo=timezone.utc),
    )
    values.update(changes)
    return SubmissionRequest(**values)


@pytest.fixture
def submission() -> SubmissionRequest:
    return make_request()
