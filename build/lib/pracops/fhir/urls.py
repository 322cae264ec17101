from django.urls import path, re_path

from pracops.fhir import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.MetadataView.as_view(), name="metadata"),
    path("_async/<uuid:submission_id>", views.SubmissionStatusView.as_view(), name="async-status"),
    path("", views.SystemView.as_view(), name="system"),
    re_path(r"^(?P<resource_type>[A-Za-z]+)/?$", views.TypeView.as_view(), name="type"),
    re_path(r"^(?P<resource_type>[A-Za-z]+)/_history/?$", views.HistoryView.as_view(), name="type-history"),
    re_path(r"^(?P<resource_type>[A-Za-z]+)/(?P<fhir_id>[^/]+)/?$", views.InstanceView.as_view(), name="instance"),
    re_path(r"^(?P<resource_type>[A-Za-z]+)/(?P<fhir_id>[^/]+)/_history/?$", views.HistoryView.as_view(),
            name="history"),
    re_path(r"^(?P<resource_type>[A-Za-z]+)/(?P<fhir_id>[^/]+)/_history/(?P<version_id>[^/]+)/?$",
            views.VersionView.as_view(), name="version"),
    re_path(r"^[\s\S]*$", views.UnknownPathView.as_view(), name="unknown"),  # any path, a newline in it too
]
