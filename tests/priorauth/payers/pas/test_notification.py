"""Reading rest-hook notifications: which requests a payer's notification is about."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from priorauth.payers.pas import NotificationError, read_notification

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "pas"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def notification(kind: str = "event-notification", *events: list[dict], extra: list[dict] = ()) -> dict:
    parameters = [{"name": "subscription", "valueReference": {"reference": "https://payer.example/fhir/Subscription/s1"}},
                  {"name": "type", "valueCode": kind}]
    parameters += [{"name": "notification-event", "part": parts} for parts in events]
    return {"resourceType": "Bundle", "type": "history",
            "entry": [{"fullUrl": "urn:uuid:1b4f1a0e-0000-4000-8000-000000000001",
                       "resource": {"resourceType": "Parameters", "parameter": parameters}}, *extra]}


def focus(reference: str) -> list[dict]:
    return [{"name": "event-number", "valueString": "1"}, {"name": "focus", "valueReference": {"reference": reference}}]


def test_the_test_kits_id_only_notification_names_its_focus():
    assert read_notification(fixture("PAS_notification_example_id_only.json")) == [
        "urn:uuid:482fd012-7825-423d-83de-69d09920198b"]


def test_the_test_kits_full_resource_notification_also_names_the_claim_responses_identifiers():
    names = read_notification(fixture("PAS_notification_example_full_resource.json"))
    assert names == ["urn:uuid:482fd012-7825-423d-83de-69d09920198b", "1263291",
                     "482fd012-7825-423d-83de-69d09920198b"]


def test_a_focus_url_names_the_claim_response_and_its_id():
    body = notification("event-notification", focus("https://payer.example/fhir/ClaimResponse/TRK-9/_history/2"))
    assert read_notification(body) == ["https://payer.example/fhir/ClaimResponse/TRK-9/_history/2", "TRK-9"]


def test_a_full_resource_names_the_request_it_answers():
    claim_response = {"resourceType": "ClaimResponse", "id": "TRK-9",
                      "identifier": [{"system": "https://payer.example/tracking", "value": "TRK-9"}],
                      "request": {"identifier": {"system": "https://pracops.org/fhir/sid/prior-authorization-request",
                                                 "value": "req-1"}}}
    body = notification("event-notification", focus("https://payer.example/fhir/ClaimResponse/TRK-9"),
                        extra=[{"fullUrl": "https://payer.example/fhir/ClaimResponse/TRK-9", "resource": claim_response}])
    assert read_notification(body) == ["https://payer.example/fhir/ClaimResponse/TRK-9", "TRK-9", "req-1"]


@pytest.mark.parametrize("kind", ["heartbeat", "handshake"])
def test_heartbeats_and_handshakes_name_nothing(kind):
    assert read_notification(notification(kind)) == []


@pytest.mark.parametrize(("body", "message"), [
    ({"resourceType": "Parameters"}, "is a FHIR Bundle"),
    ({**notification(), "type": "collection"}, "type history"),
    ({"resourceType": "Bundle", "type": "history", "entry": []}, "starts with its SubscriptionStatus"),
    (notification("event-notification"), "names no ClaimResponse"),
    (notification("rumour"), "no notification type"),
])
def test_what_is_not_a_notification_is_refused(body, message):
    with pytest.raises(NotificationError, match=message):
        read_notification(body)


def test_the_test_kits_notification_without_a_focus_is_refused():
    with pytest.raises(NotificationError, match="names no ClaimResponse"):
        read_notification(fixture("PAS_notification_missing_elements.json"))
