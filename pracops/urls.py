from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from billing import api as billing_api

from pracops.access.api import MeView
from pracops.audit.api import AuditEventList
from pracops.fhir.views import SystemView
from pracops.health import health
from priorauth.notifications import pas_notification

admin.site.site_header = "PracOps"
admin.site.site_title = "PracOps"
admin.site.index_title = "Practice operations"

api_patterns = [
    path("me/", extend_schema_view(get=extend_schema(operation_id="me", responses={200: OpenApiTypes.OBJECT}))(MeView).as_view(), name="me"),
    path("audit-events/", AuditEventList.as_view(), name="audit-events"),
    path("ar-aging/", billing_api.ArAging.as_view(), name="ar-aging"),
    path("denials/", billing_api.Denials.as_view(), name="denials"),
    # The OpenAPI 3 schema of everything under /api/, and its docs (served from
    # drf-spectacular-sidecar's static files: no CDN at runtime). Open to read, like the docs.
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("fhir", SystemView.as_view()),  # the base, as clients write it without a slash
    path("fhir/", include("pracops.fhir.urls")),
    path("api/prior-authorizations/", include("priorauth.urls")),
    path("api/claims/", include("billing.urls")),
    path("api/", include((api_patterns, "api"))),
    path("health/", health, name="health"),
    # Payers' rest-hook notifications: no API token (the secret is in the path; see the view).
    path("priorauth/pas/notifications/<str:token>/", pas_notification, name="priorauth-pas-notification"),
]

if settings.SANDBOX_PAYER_ENABLED:
    # The sandbox payer stands for a payer's server: outside the API, no PracOps token.
    urlpatterns.append(path("sandbox/payer/fhir/", include("sandbox.payer.urls")))

if settings.SANDBOX_CLEARINGHOUSE_ENABLED:
    # The sandbox clearinghouse stands for a clearinghouse's mailbox: submitter id and secret, no PracOps token.
    urlpatterns.append(path("sandbox/clearinghouse/", include("sandbox.clearinghouse.urls")))
