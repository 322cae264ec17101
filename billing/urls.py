"""``/api/claims/``: see billing.api (``/api/ar-aging/`` and ``/api/denials/`` are in pracops.urls)."""

from django.urls import path, re_path

from billing import api

app_name = "billing"

urlpatterns = [
    path("", api.ClaimList.as_view(), name="list"),
    path("<str:public_id>/", api.ClaimDetail.as_view(), name="detail"),
    path("<str:public_id>/scrub/", api.ClaimScrub.as_view(), name="scrub"),
    re_path(r"", api.NoSuchEndpoint.as_view()),
]
