"""Malformed requests to every FHIR interaction (read, vread, history, search, create, update, patch,
delete, transaction and batch Bundles) and every /api/ endpoint: never a server error.

Bounded and derandomized so CI sees the same examples each run. The values that broke the
server before (NUL bytes, values longer than their column, dates past year 9999, offsets
past 64 bits, ``meta`` or ``entry.request`` of the wrong type) are drawn often; on
PostgreSQL they reach the database, which is where most of them failed.
"""

from __future__ import annotations

import copy
import json
from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings, strategies as st

from pracops.records.search import SEARCH_PARAMS
from tests.factories import (
    ApiClientFactory, ConditionFactory, CoverageFactory, DocumentReferenceFactory, EncounterFactory,
    ObservationFactory, OrganizationFactory, PatientFactory, PractitionerFactory, ProcedureFactory,
    ServiceRequestFactory,
)

pytestmark = pytest.mark.django_db

FUZZ = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
FACTORIES = [OrganizationFactory, PractitionerFactory, PatientFactory, CoverageFactory, EncounterFactory,
             ConditionFactory, ProcedureFactory, ServiceRequestFactory, ObservationFactory,
             DocumentReferenceFactory]
TYPES = [f._meta.declarations["resourceType"] for f in FACTORIES]

# Values that are legal JSON yet out of reach of a column, a datetime or a 64-bit integer.
EDGE_TEXT = st.sampled_from([
    "", "\x00", "a\x00b", "x" * 65, "x" * 256, "x" * 501, "x" * 70_000, "9999-12-31", "9999-12-31T23:59:59Z",
    "0001-01-01", "0001-01-01T00:00:00+14:00", "10000-01-01", "2024-02-30", "2024-13-01", "1e309",
    "99999999999999999999999", "-1", "Patient/\x00", "urn:uuid:\x00", "\ud800".encode("utf-8", "surrogatepass")
    .decode("utf-8", "replace"), "ünïcødé ✓", "Patient?identifier=a\x00", "W/\"x\"",
])
TEXT = st.one_of(EDGE_TEXT, st.text(max_size=40))
BAD_IDS = st.sampled_from(["\x00", "a\x00b", "x" * 65, "x" * 300, "a b", "a\n", "ünï", "..", "-"])
NUMBERS = st.one_of(st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
                    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([2 ** 63, 2 ** 64, 10 ** 30]))
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT)
JUNK = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["value", "reference", "start", "end", "system",
                                                                  "code", "id", "url", "x"]), inner, max_size=3),
), max_leaves=6)
SEARCH_VALUE = st.one_of(
    TEXT, NUMBERS.map(str),
    st.tuples(st.sampled_from(["", "eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"]),
              st.sampled_from(["9999-12-31", "9999-12", "9999", "0001-01-01", "0001", "2024-01-01T00:00:00Z",
                               "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-14:00", "2024-02-30",
                               "2024-01-01T25:00"])).map("".join),
)


def _paths(node, prefix=()):
    """Every place in a JSON value that can be replaced: (path to the container, key)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield prefix, key
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield prefix, index
            yield from _paths(value, (*prefix, index))


def _valid(factory, stored: dict) -> dict:
    """A valid resource of the factory's type, referring to the stored patient and payer."""
    refs = {"patient": {"resourceType": "Patient", "id": stored["Patient"]},
            "payer": {"resourceType": "Organization", "id": stored["Organization"]}}
    return copy.deepcopy(factory.build(**{k: v for k, v in refs.items() if k in factory._meta.parameters}))


def _at(node, path: tuple):
    for step in path:
        node = node[step]
    return node


@st.composite
def mutated_resource(draw, stored: dict):
    resource = _valid(draw(st.sampled_from(FACTORIES)), stored)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        places = list(_paths(resource))
        how = draw(st.sampled_from(["edge", "edge", "replace", "replace", "add", "meta", "delete"]))
        leaves = [(path, key) for path, key in places if isinstance(_at(resource, path)[key], (str, int, float))]
        if how == "edge" and leaves:
            # Same JSON type, a value out of reach: still valid FHIR, so it gets as far as the database.
            path, key = draw(st.sampled_from(leaves))
            old = _at(resource, path)[key]
            _at(resource, path)[key] = draw(EDGE_TEXT if isinstance(old, str) else NUMBERS)
        elif how == "meta":
            resource["meta"] = draw(st.one_of(JUNK, st.fixed_dictionaries(
                {}, optional={"versionId": JUNK, "lastUpdated": JUNK, "profile": JUNK})))
        elif how == "add" or not places:
            resource[draw(st.sampled_from(["id", "meta", "text", "extension", "contained", "zzz", "identifier"]))] = \
                draw(JUNK)
        else:
            path, key = draw(st.sampled_from(places))
            container = _at(resource, path)
            if how == "delete" and isinstance(container, dict):
                del container[key]
            else:
                container[key] = draw(JUNK)
    return resource


@pytest.fixture
def fuzz(db):
    """A client with every role's grants (integration) over a practice with one record of each type."""
    patient = PatientFactory()
    stored = {"Patient": patient["id"]}
    for factory in FACTORIES:
        if factory is PatientFactory:
            continue
        kwargs = {"patient": patient} if "patient" in factory._meta.parameters else {}
        stored[factory._meta.declarations["resourceType"]] = factory(**kwargs)["id"]
    client = Client(raise_request_exception=True)
    token = ApiClientFactory(role="integration").authorization
    auditor = ApiClientFactory(role="auditor").authorization
    return {"client": client, "headers": {"Authorization": token}, "auditor": {"Authorization": auditor},
            "stored": stored}


def _no_server_error(response, fhir: bool = True) -> None:
    assert response.status_code < 500, response.content[:2000]
    if fhir and response.status_code >= 400:
        assert response.json()["resourceType"] == "OperationOutcome", response.content[:2000]
    elif not fhir and response.status_code >= 400:
        assert "error" in response.json() or response.json(), response.content[:2000]


def _json(body) -> bytes:
    # json, not orjson: it writes lone surrogates and NUL bytes as \u escapes, as a client may.
    return json.dumps(body).encode()


@FUZZ
@given(data=st.data())
def test_read_and_vread_never_fail_on_the_server(fuzz, data):
    resource_type = data.draw(st.one_of(st.sampled_from(TYPES), st.sampled_from(TYPES),
                                        TEXT.filter(lambda t: t.isalpha())))
    fhir_id = data.draw(st.one_of(st.sampled_from(list(fuzz["stored"].values())), BAD_IDS, TEXT.filter(bool)))
    path = f"/fhir/{resource_type}/{quote(fhir_id, safe='')}"
    method = data.draw(st.sampled_from(["get", "delete"]))
    if method == "get" and data.draw(st.booleans()):
        path += f"/_history/{quote(data.draw(st.one_of(TEXT.filter(bool), NUMBERS.map(str))), safe='')}"
    _no_server_error(getattr(fuzz["client"], method)(path, headers=fuzz["headers"]))


@FUZZ
@given(data=st.data())
def test_search_never_fails_on_the_server(fuzz, data):
    resource_type = data.draw(st.sampled_from(TYPES))
    names = [*SEARCH_PARAMS[resource_type], "_count", "_offset", "_total", "_summary", "_sort", "zzz"]
    name = st.one_of(st.sampled_from(names), st.sampled_from(names).map(lambda n: f"{n}:exact"),
                     st.sampled_from(names).map(lambda n: f"{n}:contains"), TEXT.filter(bool))
    params = data.draw(st.lists(st.tuples(name, SEARCH_VALUE), min_size=1, max_size=4))
    query = urlencode(params)
    headers = dict(fuzz["headers"])
    if data.draw(st.booleans()):
        headers["Prefer"] = "handling=lenient"
    _no_server_error(fuzz["client"].get(f"/fhir/{resource_type}?{query}", headers=headers))


@FUZZ
@given(data=st.data())
def test_create_and_update_never_fail_on_the_server(fuzz, data):
    resource = data.draw(mutated_resource(fuzz["stored"]))
    resource_type = resource.get("resourceType") if isinstance(resource.get("resourceType"), str) else "Patient"
    resource_type = resource_type if resource_type in TYPES else "Patient"
    headers = dict(fuzz["headers"])
    if data.draw(st.booleans()):
        headers[data.draw(st.sampled_from(["If-Match", "If-None-Exist"]))] = data.draw(TEXT).replace("\x00", "")
    if data.draw(st.booleans()):
        fhir_id = data.draw(st.one_of(st.sampled_from([fuzz["stored"][resource_type], "new-id"]), TEXT.filter(bool)))
        if data.draw(st.booleans()):
            resource["id"] = fhir_id
        response = fuzz["client"].put(f"/fhir/{resource_type}/{quote(fhir_id, safe='')}", _json(resource),
                                      content_type="application/fhir+json", headers=headers)
    else:
        response = fuzz["client"].post(f"/fhir/{resource_type}", _json(resource),
                                       content_type="application/fhir+json", headers=headers)
    _no_server_error(response)


@st.composite
def broken_entry(draw, stored: dict):
    resource = draw(st.one_of(mutated_resource(stored), JUNK))
    request = draw(st.one_of(
        JUNK,
        st.fixed_dictionaries({"method": st.one_of(st.sampled_from(["POST", "PUT", "GET", "DELETE"]), JUNK)},
                              optional={"url": st.one_of(TEXT, JUNK, st.sampled_from(TYPES).map(lambda t: f"{t}/x")),
                                        "ifMatch": JUNK, "ifNoneExist": JUNK}),
    ))
    entry = {"resource": resource, "request": request}
    if draw(st.booleans()):
        entry["fullUrl"] = draw(st.one_of(TEXT, JUNK))
    return draw(st.one_of(st.just(entry), JUNK)) if draw(st.integers(0, 5)) == 0 else entry


@FUZZ
@given(data=st.data())
def test_bundles_never_fail_on_the_server(fuzz, data):
    bundle = {"resourceType": "Bundle", "type": data.draw(st.one_of(st.sampled_from(["transaction", "batch"]), JUNK)),
              "entry": data.draw(st.one_of(st.lists(broken_entry(fuzz["stored"]), max_size=3), JUNK))}
    if data.draw(st.integers(0, 3)) == 0:
        bundle["meta"] = data.draw(JUNK)
    headers = dict(fuzz["headers"])
    if data.draw(st.integers(0, 3)) == 0:
        headers["Prefer"] = "respond-async"
    response = fuzz["client"].post("/fhir", _json(bundle), content_type="application/fhir+json", headers=headers)
    _no_server_error(response)


@FUZZ
@given(data=st.data())
def test_the_rest_api_never_fails_on_the_server(fuzz, data):
    names = ["since", "until", "limit", "offset", "patient", "user", "resource_type", "zzz"]
    value = st.one_of(SEARCH_VALUE, NUMBERS.map(str), st.sampled_from([
        "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-14:00", "2024-01-01T00:00:00", "2024-01-01"]))
    params = data.draw(st.lists(st.tuples(st.sampled_from(names), value), max_size=4))
    path = data.draw(st.sampled_from(["/api/audit-events/", "/api/me/"]))
    response = fuzz["client"].get(f"{path}?{urlencode(params)}", headers=fuzz["auditor"])
    _no_server_error(response, fhir=False)


@FUZZ
@given(data=st.data())
def test_history_never_fails_on_the_server(fuzz, data):
    resource_type = data.draw(st.sampled_from(TYPES))
    fhir_id = data.draw(st.one_of(st.none(), st.sampled_from(list(fuzz["stored"].values())), BAD_IDS))
    path = f"/fhir/{resource_type}/_history" if fhir_id is None else \
        f"/fhir/{resource_type}/{quote(fhir_id, safe='')}/_history"
    params = data.draw(st.lists(st.tuples(st.sampled_from(["_since", "_count", "_offset", "zzz"]), SEARCH_VALUE),
                                max_size=3))
    _no_server_error(fuzz["client"].get(f"{path}?{urlencode(params)}", headers=fuzz["headers"]))


@FUZZ
@given(data=st.data())
def test_patch_never_fails_on_the_server(fuzz, data):
    resource_type = data.draw(st.sampled_from(TYPES))
    fhir_id = data.draw(st.one_of(st.sampled_from([fuzz["stored"][resource_type]]), BAD_IDS))
    paths = st.one_of(st.sampled_from(["/id", "/meta", "/meta/versionId", "/status", "/name/0/family", "/identifier/0/value",
                                       "/subject/reference", "/period/start", "/valueQuantity/value", "/x", ""]), TEXT)
    operation = st.fixed_dictionaries(
        {"op": st.one_of(st.sampled_from(["add", "replace", "remove", "test", "move", "copy"]), JUNK), "path": paths},
        optional={"value": JUNK, "from": paths})
    patch = data.draw(st.one_of(st.lists(operation, max_size=3), JUNK))
    response = fuzz["client"].patch(f"/fhir/{resource_type}/{quote(fhir_id, safe='')}", _json(patch),
                                    content_type="application/json-patch+json", headers=fuzz["headers"])
    _no_server_error(response)
