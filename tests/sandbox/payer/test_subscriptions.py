"""Subscription create/read/delete, and the rest-hook notification when a pended request is decided."""

import pytest

from sandbox.payer import services
from sandbox.payer.models import SandboxNotification
from tests.sandbox.payer.conftest import pas_fixture, subscription_for, with_identifier, with_service

GOOD = ["PAS_Subscription_example_v221_good.json", "PAS_Subscription_example_full_resource.json",
        "PAS_Subscription_example_id_only.json"]


@pytest.mark.parametrize("name", GOOD)
def test_a_pas_rest_hook_subscription_is_accepted_active(payer, name):
    response = payer.post("Subscription", pas_fixture(name))

    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "active"
    assert response["Location"].endswith(f"/sandbox/payer/fhir/Subscription/{created['id']}")
    assert payer.get(f"Subscription/{created['id']}").json()["id"] == created["id"]


@pytest.mark.parametrize("name, expected", [
    ("PAS_Subscription_example_bad_topic_and_criteria.json", "Subscription.criteria must be the PAS topic"),
    ("PAS_Subscription_example_bad_topic_and_criteria.json", "org-identifier=<identifier>"),
    ("PAS_Subscription_example_v221_bad.json", "Subscription.channel.type must be 'rest-hook', not 'email'"),
])
def test_a_subscription_outside_the_pas_topic_or_rest_hook_is_refused(payer, name, expected):
    response = payer.post("Subscription", pas_fixture(name))

    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
    assert expected in " ".join(i["diagnostics"] for i in response.json()["issue"])


def test_a_deleted_subscription_is_gone(payer):
    created = payer.post("Subscription", pas_fixture(GOOD[0])).json()

    assert payer.delete(f"Subscription/{created['id']}").status_code == 204
    assert payer.get(f"Subscription/{created['id']}").status_code == 404
    assert payer.delete(f"Subscription/{created['id']}").status_code == 404


def _pend_and_decide(payer, identifier="REQ-notify"):
    services.set_rule(code="64483", action="pend", pend_seconds=0)
    request = with_identifier(with_service(pas_fixture("conformant_pas_bundle_v110.json"), "64483"), identifier)
    tracking = payer.submit(request).json()["entry"][0]["resource"]["id"]
    services.decide_due_claims()
    return tracking


def test_a_decided_claim_is_notified_with_the_full_resource_and_the_subscriptions_headers(payer, receiver):
    subscription = subscription_for(receiver.url, header=["Authorization: Bearer hook-secret"])
    created = payer.post("Subscription", subscription).json()

    tracking = _pend_and_decide(payer)

    assert len(receiver.received) == 1
    sent = receiver.received[0]
    assert sent["headers"]["Authorization"] == "Bearer hook-secret"
    assert sent["headers"]["Content-Type"] == "application/fhir+json"
    body = sent["body"]
    assert body["type"] == "history"
    status = {p["name"]: p for p in body["entry"][0]["resource"]["parameter"]}
    assert status["type"]["valueCode"] == "event-notification"
    assert status["subscription"]["valueReference"]["reference"].endswith(f"Subscription/{created['id']}")
    event = {p["name"]: p for p in status["notification-event"]["part"]}
    assert event["focus"]["valueReference"]["reference"].endswith(f"ClaimResponse/{tracking}")
    claim_response = body["entry"][1]["resource"]
    assert claim_response["resourceType"] == "ClaimResponse" and claim_response["outcome"] == "complete"
    assert claim_response["identifier"][1]["value"] == "REQ-notify"
    # Sent once: deciding again finds nothing to send.
    services.decide_due_claims()
    services.deliver_notifications()
    assert len(receiver.received) == 1


def test_an_id_only_notification_points_at_a_readable_claim_response(payer, receiver):
    payer.post("Subscription", subscription_for(receiver.url, "PAS_Subscription_example_id_only.json"))

    tracking = _pend_and_decide(payer)

    body = receiver.received[0]["body"]
    assert len(body["entry"]) == 1
    focus = body["entry"][0]["resource"]["parameter"][-1]["part"][-1]["valueReference"]["reference"]
    read = payer.get(focus.removeprefix("http://testserver/sandbox/payer/fhir/"))
    assert read.status_code == 200
    assert read.json()["id"] == tracking


def test_a_subscription_for_another_organisation_hears_nothing(payer, receiver):
    subscription = subscription_for(receiver.url)
    subscription["_criteria"]["extension"][0]["valueString"] = "org-identifier=0000000000"
    payer.post("Subscription", subscription)

    _pend_and_decide(payer)

    assert receiver.received == []


def test_a_failed_delivery_is_tried_again_later(payer, receiver):
    receiver.status = 503
    payer.post("Subscription", subscription_for(receiver.url))
    _pend_and_decide(payer)
    notification = SandboxNotification.objects.get()
    assert (notification.delivered_at, notification.status_code, notification.attempts) == (None, 503, 1)

    receiver.status = 200
    assert services.deliver_notifications() == 1

    assert len(receiver.received) == 2
    assert SandboxNotification.objects.get().delivered_at is not None
