"""Mounted at /sandbox/payer/fhir/ by pracops/urls.py when settings.SANDBOX_PAYER_ENABLED."""

from django.urls import path

from sandbox.payer import views

app_name = "sandbox_payer"

urlpatterns = [
    path("", views.capabilities, name="base"),
    path("metadata", views.capabilities, name="metadata"),
    path("Claim/$submit", views.submit, name="submit"),
    path("Claim/$inquire", views.inquire, name="inquire"),
    path("ClaimResponse/<str:tracking_id>", views.claim_response, name="claim-response"),
    path("Subscription", views.subscriptions, name="subscriptions"),
    path("Subscription/<str:public_id>", views.subscription, name="subscription"),
]
