"""The rest-hook endpoint payers notify (``/priorauth/pas/notifications/<token>/``): what a payer
sends gets the requests it names checked with the payer, and whatever else arrives (a wrong
secret, another method, an oversized or malformed body, a forged notification) gets an
OperationOutcome and changes nothing."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from priorauth.models import PriorAuthorization
from priorauth.tasks import check_status_task
from tests.priorauth.payers.pas.test_notification import fixture, focus, notification
from tests.priorauth.test_api import S, a_request

pytestmark = pytest.mark.django_db
TOKEN = "a-notification-secret-of-more-than-32-characters"
URL = f"/priorauth/pas/notifications/{TOKEN}/"


@pytest.fixture(autouse=True)
def secret(settings):
    settings.PRIORAUTH_NOTIFICATION_TOKEN = TOKEN


@pytest.fixture
def checked(monkeypatch) -> list[int]:
    """The requests queued for a status check with the payer."""
    queued: list[int] = []
    monkeypatch.setattr(check_status_task, "delay", lambda pk, *args, **kwargs: queued.append(pk))
    return queued


def post(body, *, url: str = URL, content_type: str = "application/fhir+json", **extra):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return Client().post(url, data=data, content_type=content_type, **extra)


def outcome(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/fhir+json"
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    return body["issue"][0]


def pended(**fields) -> PriorAuthorization:
    return a_request(S.READY, S.SUBMITTED, S.PENDED, **fields)


def test_a_notification_naming_a_pended_request_has_it_checked_with_the_payer(
        checked, django_capture_on_commit_callbacks):
    waiting, other = pended(payer_reference="TRK-9"), pended(payer_reference="TRK-10")
    body = notification("event-notification", focus("https://payer.example/fhir/ClaimResponse/TRK-9"))

    with django_capture_on_commit_callbacks(execute=True):
        issue = outcome(post(body), 200)

    assert (issue["severity"], issue["diagnostics"]) == ("information", "1 request(s) will be checked with the payer")
    assert checked == [waiting.pk] and other.pk not in checked


def test_the_test_kits_notification_finds_the_request_by_its_request_id(checked, django_capture_on_commit_callbacks):
    body = fixture("PAS_notification_example_full_resource.json")
    waiting = pended()
    PriorAuthorization.objects.filter(pk=waiting.pk).update(public_id="482fd012-7825-423d-83de-69d09920198b")

    with django_capture_on_commit_callbacks(execute=True):
        outcome(post(body), 200)

    assert checked == [waiting.pk]


def test_a_forged_notification_changes_no_request(checked, django_capture_on_commit_callbacks):
    decided = a_request(S.READY, S.SUBMITTED, S.APPROVED, payer_reference="TRK-9")
    moves = decided.history.count()
    body = notification("event-notification", focus("ClaimResponse/TRK-9"), focus("ClaimResponse/unknown"))

    with django_capture_on_commit_callbacks(execute=True):
        issue = outcome(post(body), 200)

    assert issue["diagnostics"].startswith("0 request(s)") and checked == []
    decided.refresh_from_db()
    assert decided.status == S.APPROVED and decided.history.count() == moves


@pytest.mark.parametrize("kind", ["heartbeat", "handshake"])
def test_a_heartbeat_is_acknowledged(kind, checked):
    assert outcome(post(notification(kind)), 200)["diagnostics"].startswith("0 request(s)")


@pytest.mark.parametrize("token", ["wrong", TOKEN[:-1], TOKEN + "x", "%00"])
def test_a_wrong_secret_is_as_if_there_were_no_endpoint(token, checked):
    pended(payer_reference="TRK-9")
    body = notification("event-notification", focus("ClaimResponse/TRK-9"))

    issue = outcome(post(body, url=f"/priorauth/pas/notifications/{token}/"), 404)

    assert issue["code"] == "not-found" and checked == []


def test_without_a_secret_configured_the_endpoint_is_off(settings, checked):
    settings.PRIORAUTH_NOTIFICATION_TOKEN = ""
    assert outcome(post(notification("heartbeat"), url="/priorauth/pas/notifications/x/"), 404)


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_only_post_is_allowed(method):
    response = getattr(Client(), method)(URL)

    assert outcome(response, 405)["code"] == "not-supported"
    assert response["Allow"] == "POST"


def test_a_body_over_the_limit_is_refused_before_it_is_read(settings, checked):
    settings.PRIORAUTH_NOTIFICATION_MAX_BYTES = 1000
    pended(payer_reference="TRK-9")
    body = notification("event-notification", focus("ClaimResponse/TRK-9"))
    body["entry"][0]["padding"] = "x" * 2000

    assert outcome(post(body), 413)["code"] == "too-costly"
    assert checked == []


def test_a_body_longer_than_its_declared_length_is_bounded_too(settings):
    settings.PRIORAUTH_NOTIFICATION_MAX_BYTES = 1000
    body = json.dumps(notification("heartbeat", extra=[{"padding": "x" * 2000}])).encode()
    # A client that understates its length: the view reads no more than the limit allows.
    response = Client().generic("POST", URL, body, content_type="application/fhir+json", CONTENT_LENGTH="10")

    assert response.status_code in (400, 413)
    assert response.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize(("body", "why"), [
    (b"", "not a FHIR Bundle"),
    (b"not json", "not JSON"),
    (b"\xff\xfe\x00", "not JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "not JSON"),
    (b"[]", "not a FHIR Bundle"),
    (b'{"resourceType": "Patient"}', "not a FHIR Bundle"),
    (b'{"resourceType": "Bundle", "type": "collection"}', "not a subscription notification"),
    (b'{"resourceType": "Bundle", "type": "history", "entry": []}', "cannot be read"),
    (b'{"resourceType": "Bundle", "type": "history", "entry": [{"resource": {"resourceType": "Parameters",'
     b' "parameter": [{"name": "type", "valueCode": "event-notification"}]}}]}', "cannot be read"),
])
def test_a_body_that_is_no_notification_is_refused(body, why, checked):
    issue = outcome(post(body), 400)

    assert issue["code"] == "invalid" and why in issue["diagnostics"]
    assert checked == []


def test_the_test_kits_notification_missing_elements_is_refused(checked):
    assert outcome(post(fixture("PAS_notification_missing_elements.json")), 400)["code"] == "invalid"


def test_neither_the_notification_nor_the_secret_reaches_the_log(log_output, checked):
    post(notification("event-notification", focus("ClaimResponse/MRN-00042-Ada-Lovelace")))
    post(b'{"resourceType": "Bundle", "type": "history", "entry": [{"resource": "Ada Lovelace"}]}')
    post(notification("heartbeat"), url="/priorauth/pas/notifications/a-guess-at-the-secret/")

    written = log_output.getvalue()  # what the configured log handler wrote
    assert "/priorauth/pas/notifications/[secret]/" in written
    assert "Lovelace" not in written and TOKEN not in written and "a-guess" not in written


# --- a bounded fuzz: whatever arrives, an OperationOutcome and never a server error ---------

EDGE = st.sampled_from(["", "\x00", "a\x00b", "x" * 300, "ClaimResponse/\x00", "urn:uuid:", "%00", "ünïcødé",
                        "482fd012-7825-423d-83de-69d09920198b", "ClaimResponse/TRK-9", "-1", "1e309"])
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
                   st.floats(allow_nan=False), EDGE, st.text(max_size=20))
JUNK = st.recursive(SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(
    st.sampled_from(["resourceType", "type", "entry", "resource", "parameter", "name", "valueCode", "part",
                     "valueReference", "reference", "identifier", "value", "request", "id"]), inner, max_size=4)),
    max_leaves=10)
REFERENCE = st.one_of(EDGE, st.text(max_size=40))
NOTIFICATIONS = st.builds(
    lambda kind, refs, extra: notification(kind, *[focus(r) for r in refs], extra=extra),
    st.one_of(st.sampled_from(["event-notification", "heartbeat", "handshake", "query-status"]), SCALAR),
    st.lists(REFERENCE, max_size=3),
    st.lists(st.one_of(JUNK, st.builds(lambda i, r: {"resource": {"resourceType": "ClaimResponse", "id": i,
                                                                  "request": {"reference": r}}}, REFERENCE, REFERENCE)),
             max_size=2),
)


@hypothesis_settings(max_examples=200, deadline=None, derandomize=True, database=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.one_of(JUNK, NOTIFICATIONS))
def test_fuzz_any_body_gets_an_operation_outcome(body, checked):
    response = post(body)

    assert response.status_code in (200, 400), response.content[:300]
    assert response.json()["resourceType"] == "OperationOutcome"
