"""Mounted at /sandbox/clearinghouse/ by pracops/urls.py when settings.SANDBOX_CLEARINGHOUSE_ENABLED."""

from django.urls import path

from sandbox.clearinghouse import views

app_name = "sandbox_clearinghouse"

urlpatterns = [
    path("", views.service, name="service"),
    path("submissions", views.submit, name="submit"),
    path("files", views.files, name="files"),
    path("files/<int:file_id>", views.download, name="download"),
    path("files/<int:file_id>/acknowledge", views.acknowledge, name="acknowledge"),
]
