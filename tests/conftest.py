import io
import json
import logging

import pytest
from django.test import Client

from tests.factories import ApiClientFactory

pytest_plugins = ["tests.celery_worker"]

FHIR_JSON = "application/fhir+json"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_api_rate_limits(settings):
    # Rate counts outlive a test (they are in the cache); tests/access/test_throttling.py sets its own.
    settings.API_THROTTLE_RATES = {"client": None, "anonymous": None}


class FhirApi:
    """The Django test client speaking FHIR JSON with one API client's bearer token."""

    def __init__(self, client, api_client=None):
        self.client = client
        self.api_client = api_client
        self.user = api_client.user if api_client else None
        self.headers = {"Authorization": api_client.authorization} if api_client else {}

    def _headers(self, extra: dict) -> dict:
        return {**self.headers, **extra}

    def get(self, path: str, params: dict | None = None, **headers):
        return self.client.get(_path(path), params or {}, headers=self._headers(headers))

    def post(self, path: str, body, content_type: str = FHIR_JSON, **headers):
        return self.client.post(_path(path), _encode(body), content_type=content_type,
                                headers=self._headers(headers))

    def put(self, path: str, body, content_type: str = FHIR_JSON, **headers):
        return self.client.put(_path(path), _encode(body), content_type=content_type,
                               headers=self._headers(headers))

    def delete(self, path: str, **headers):
        return self.client.delete(_path(path), headers=self._headers(headers))

    def create(self, resource: dict) -> dict:
        """POST a resource that must be accepted; the stored resource."""
        response = self.post(f"/fhir/{resource['resourceType']}", resource)
        assert response.status_code == 201, response.content
        return response.json()

    def search(self, resource_type: str, params: dict | list | None = None) -> dict:
        """GET a search that must succeed; the searchset Bundle."""
        response = self.get(f"/fhir/{resource_type}", params)
        assert response.status_code == 200, response.content
        return response.json()


def _path(path: str) -> str:
    # Bundle links are absolute; the test client takes the path and query.
    return path.removeprefix("http://testserver")


def _encode(body) -> bytes | str:
    return body if isinstance(body, (bytes, str)) else json.dumps(body)


@pytest.fixture
def api_as(db):
    """``api_as("billing")``: the FHIR API as a new client in that role (each with its own token)."""

    def make(role: str) -> FhirApi:
        return FhirApi(Client(), ApiClientFactory(role=role))

    return make


@pytest.fixture
def api(api_as) -> FhirApi:
    """The FHIR API as an EHR integration (may do everything with every stored type)."""
    return api_as("integration")


@pytest.fixture
def anonymous(client) -> FhirApi:
    return FhirApi(client)


@pytest.fixture
def log_output():
    """What the configured console handler writes, whichever logger it serves."""
    handler = next(h for h in logging.getLogger("django.request").handlers if isinstance(h, logging.StreamHandler))
    assert any(type(f).__name__ == "RedactPhiFilter" for f in handler.filters)
    buffer = io.StringIO()
    # Swapped in place, not with setStream(): that flushes the old stream, which may be a
    # capture of an earlier test and closed by now.
    with handler.lock:
        previous, handler.stream = handler.stream, buffer
    try:
        yield buffer
    finally:
        with handler.lock:
            handler.stream = previous
