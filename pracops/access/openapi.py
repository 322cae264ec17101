"""The OpenAPI schema's shared pieces (drf-spectacular): the bearer token scheme of
``ApiTokenAuthentication``, and the hook that keeps the schema to ``/api/`` (the FHIR API is
described by its CapabilityStatement at ``/fhir/metadata``, not by OpenAPI)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse

ERROR = OpenApiResponse(description='A JSON error: {"error": {"status", "code", "detail"}}')


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "pracops.access.authentication.ApiTokenAuthentication"
    name = "bearer"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "An API client's token (manage.py create_api_client): Authorization: Bearer <token>"}


def only_api(endpoints):
    """Preprocessing hook: the endpoints under /api/ only."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]
