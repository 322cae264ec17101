"""``/api/prior-authorizations/``: see priorauth.api."""

from django.urls import path, re_path

from priorauth import api

app_name = "priorauth"

urlpatterns = [
    path("", api.AuthorizationList.as_view(), name="list"),
    path("<str:public_id>/", api.AuthorizationDetail.as_view(), name="detail"),
    path("<str:public_id>/evaluate/", api.Evaluate.as_view(), name="evaluate"),
    path("<str:public_id>/submit/", api.Submit.as_view(), name="submit"),
    path("<str:public_id>/cancel/", api.Cancel.as_view(), name="cancel"),
    path("<str:public_id>/decision/", api.RecordDecision.as_view(), name="decision"),
    path("<str:public_id>/packet.pdf", api.Packet.as_view(), name="packet"),
    re_path(r"", api.NoSuchEndpoint.as_view()),
]
