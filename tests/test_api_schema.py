"""The OpenAPI schema of /api/ (drf-spectacular), and a schema-driven fuzz of every operation in
it (schemathesis) with a billing token: no server error, and every answer the schema describes.

Bounded and derandomized (25 examples an operation, valid and invalid inputs, a third of them
on stored claims' and requests' ids rather than random ones) so CI sees the same calls each run
and the whole fuzz stays under two minutes.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings, strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from billing.models import Claim
from pracops.wsgi import application
from tests.billing.api.conftest import S, claim_in, remit
from tests.billing.factories import practice, price_list
from tests.factories import ApiClientFactory

pytestmark = pytest.mark.django_db

FUZZ = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.filter_too_much, HealthCheck.data_too_large])


def test_the_schema_describes_every_api_endpoint(client):
    response = client.get("/api/schema/", headers={"Accept": "application/vnd.oai.openapi+json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/claims/", "/api/claims/{public_id}/", "/api/claims/{public_id}/scrub/", "/api/ar-aging/",
            "/api/denials/", "/api/me/", "/api/audit-events/", "/api/prior-authorizations/",
            "/api/prior-authorizations/{public_id}/", "/api/prior-authorizations/{public_id}/decision/",
            "/api/prior-authorizations/{public_id}/packet.pdf"} <= set(paths)
    assert not [path for path in paths if not path.startswith("/api/")]
    claim_filters = {p["name"] for p in paths["/api/claims/"]["get"]["parameters"]}
    assert claim_filters == {"status", "payer", "patient", "service_date_from", "service_date_to", "carc",
                             "limit", "offset"}


def test_the_schema_generates_without_warnings_and_validates(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert "/api/claims/" in (tmp_path / "schema.yaml").read_text()


def test_the_docs_are_served_without_a_cdn(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page and "cdn" not in page.lower() and "/static/" in page


@pytest.fixture
def wsgi_app():
    """The project's WSGI application, keeping the test's database connection between calls (as
    Django's test client does: the handler closes connections when a request ends)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield application
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_every_operation_answers_without_server_errors_and_as_its_schema_says(wsgi_app):
    found = practice()
    price_list(None, {"64483": "950.00", "64484": "400.00"})
    denied = claim_in(found, S.DENIED, on="2026-10-01")
    remit(denied, paid="0.00", adjustments=(("CO", "197", "950.00"),), status_code="4")
    ids = [str(claim.public_id) for claim in (denied, claim_in(found, S.DRAFT), claim_in(found, S.SUBMITTED))]
    assert Claim.objects.count() == 3
    token = {"Authorization": ApiClientFactory(role="billing").authorization}

    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14
    seen: set[tuple[str, int]] = set()
    for operation in operations:
        strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                             operation.as_strategy(GenerationMode.NEGATIVE))

        @FUZZ
        @given(case=strategy, known=st.sampled_from([None, None, *ids]))
        def fuzz(case, known):
            if known and case.path_parameters and "public_id" in case.path_parameters:
                case.path_parameters["public_id"] = known
            response = case.call_and_validate(headers=token, checks=[not_a_server_error, response_schema_conformance])
            seen.add((operation.path, response.status_code))

        fuzz()
    # The fuzz reached the views with a valid token, not only the sign-in's refusal.
    for path in ("/api/claims/", "/api/claims/{public_id}/", "/api/ar-aging/", "/api/denials/", "/api/me/"):
        assert (path, 200) in seen, sorted(seen)
    assert ("/api/claims/", 400) in seen
