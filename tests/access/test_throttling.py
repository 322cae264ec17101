"""The APIs are rate-limited per client and, without a token, per address."""

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    cache.clear()
    settings.API_THROTTLE_RATES = {"client": "3/min", "anonymous": "2/min"}
    yield
    cache.clear()


def test_a_client_over_its_rate_gets_429_as_an_operation_outcome(api, rates):
    statuses = [api.get("/fhir/Patient").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    response = api.get("/fhir/Patient")
    assert response.json()["resourceType"] == "OperationOutcome"
    assert response.json()["issue"][0]["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_the_rest_api_answers_429_with_a_json_error(api, rates):
    for _ in range(3):
        api.get("/api/me/")

    response = api.get("/api/me/")

    assert response.status_code == 429
    assert response.json()["error"]["status"] == 429
    assert int(response["Retry-After"]) > 0


def test_each_client_has_its_own_allowance(api_as, rates):
    first, second = api_as("integration"), api_as("integration")
    for _ in range(3):
        first.get("/fhir/Patient")

    assert first.get("/fhir/Patient").status_code == 429
    assert second.get("/fhir/Patient").status_code == 200


def test_calls_without_a_token_are_limited_per_address(anonymous, rates):
    statuses = [anonymous.get("/fhir/metadata").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_unlimited_when_no_rate_is_set(api, settings):
    settings.API_THROTTLE_RATES = {"client": None, "anonymous": None}

    assert {api.get("/fhir/Patient").status_code for _ in range(20)} == {200}


@pytest.mark.parametrize(("path", "headers"), [
    ("/api/me/", {}),  # the REST API refuses a call without a token before counting rates
    ("/api/me/", {"Authorization": "Bearer " + "0" * 64}),
    ("/fhir/Patient", {"Authorization": "Bearer " + "0" * 64}),  # trying tokens
])
def test_refused_calls_are_limited_per_address(anonymous, rates, path, headers):
    statuses = [anonymous.get(path, **headers).status_code for _ in range(3)]

    assert statuses == [401, 401, 429]
    response = anonymous.get(path, **headers)
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert body.get("resourceType") == "OperationOutcome" or body["error"]["code"] == "throttled"
