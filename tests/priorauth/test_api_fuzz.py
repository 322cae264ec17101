"""Malformed calls to every /api/prior-authorizations/ endpoint: a JSON 4xx, never a server error.

Bounded and derandomized like tests/fhir/test_fuzz.py, so CI sees the same examples each run;
ids, actions, query parameters and bodies are drawn from values that broke other endpoints
(NUL bytes, text past a column, dates past the calendar, numbers past 64 bits, wrong JSON types).
"""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.factories import ApiClientFactory
from tests.priorauth.test_api import BASE, S, a_request, approved, store_packet

pytestmark = pytest.mark.django_db

FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
EDGE_TEXT = st.sampled_from([
    "", "\x00", "a\x00b", "x" * 65, "x" * 501, "x" * 5000, "9999-12-31", "10000-01-01", "0001-01-01",
    "2024-02-30", "-1", "1e309", "99999999999999999999999", "ünïcødé ✓", "before=", "before=0001-01-01",
    "before=9999-12-31", "overdue", "today", "week", "approved", "ready,submitted", ",", "%00", "../..",
])
TEXT = st.one_of(EDGE_TEXT, st.text(max_size=30))
NUMBERS = st.one_of(st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
                    st.floats(allow_nan=False, allow_infinity=False))
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT)
JUNK = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(
    st.sampled_from(["service_request", "urgency", "reason", "outcome", "auth_number", "approved_units",
                     "valid_from", "valid_until", "x"]), inner, max_size=4)), max_leaves=8)
FIELDS = {
    "service_request": st.one_of(TEXT, JUNK), "urgency": st.one_of(st.sampled_from(["standard", "expedited"]), JUNK),
    "reason": st.one_of(TEXT, JUNK), "outcome": st.one_of(st.sampled_from(["approved", "denied", "pended",
                                                                           "partially_approved"]), JUNK),
    "auth_number": st.one_of(TEXT, JUNK), "approved_units": st.one_of(NUMBERS, JUNK),
    "valid_from": st.one_of(TEXT, JUNK), "valid_until": st.one_of(TEXT, JUNK),
}
BODY = st.one_of(JUNK, st.fixed_dictionaries({}, optional=FIELDS))
ACTIONS = st.one_of(st.sampled_from(["", "evaluate/", "submit/", "cancel/", "decision/", "packet.pdf"]),
                    TEXT.map(lambda t: quote(t, safe="") + "/"))


@pytest.fixture
def fuzz(db, settings, tmp_path):
    settings.PRIORAUTH_FAX_OUTBOX = tmp_path / "outbox"
    requests = [a_request(), a_request(S.READY), a_request(S.READY, S.SUBMITTED), approved()]
    store_packet(requests[1])
    ids = [str(r.public_id) for r in requests] + [requests[0].service_request.fhir_id]
    return {"client": Client(raise_request_exception=True), "ids": ids,
            "headers": {"Authorization": ApiClientFactory(role="front_office").authorization}}


def _no_server_error(response) -> None:
    assert response.status_code < 500, response.content[:2000]
    if response.status_code >= 400:
        assert response["Content-Type"].startswith("application/json"), response.content[:500]
        assert response.json()["error"]["status"] == response.status_code


@FUZZ
@given(data=st.data())
def test_the_list_never_fails_on_the_server(fuzz, data):
    names = st.one_of(st.sampled_from(["status", "payer", "cpt", "patient", "due", "limit", "offset"]), TEXT)
    params = data.draw(st.lists(st.tuples(names, TEXT), max_size=4))
    _no_server_error(fuzz["client"].get(f"{BASE}?{urlencode(params)}", headers=fuzz["headers"]))


@FUZZ
@given(data=st.data())
def test_calls_on_a_request_never_fail_on_the_server(fuzz, data):
    public_id = data.draw(st.one_of(st.sampled_from(fuzz["ids"]), TEXT.map(lambda t: quote(t, safe=""))))
    url = f"{BASE}{public_id}/{data.draw(ACTIONS)}" if public_id else BASE
    method = data.draw(st.sampled_from(["get", "post", "post", "put", "delete"]))
    if method == "get":
        response = fuzz["client"].get(url, headers=fuzz["headers"])
    else:
        body = data.draw(st.one_of(BODY.map(json.dumps), st.sampled_from(["{", "", "null", "[", "\"\\u0000\""])))
        content_type = data.draw(st.sampled_from(["application/json", "application/json", "text/plain",
                                                  "application/x-www-form-urlencoded"]))
        response = getattr(fuzz["client"], method)(url, body, content_type=content_type, headers=fuzz["headers"])
    _no_server_error(response)


@FUZZ
@given(body=BODY)
def test_create_never_fails_on_the_server(fuzz, body):
    _no_server_error(fuzz["client"].post(BASE, json.dumps(body), content_type="application/json",
                                         headers=fuzz["headers"]))
