"""Sign-ins are audited, failed ones too, and repeated admin failures lock the account out."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B.auditevent import AuditEvent as FhirAuditEvent
from knox.models import AuthToken

from pracops.audit.models import AuditEvent
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
WRONG = "Tr0ub4dor&3-not-it"


def events_since(mark: int):
    return AuditEvent.objects.filter(pk__gt=mark).order_by("pk")


def last_pk() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def all_text(event: AuditEvent) -> str:
    return " ".join([*(str(getattr(event, f.attname)) for f in AuditEvent._meta.concrete_fields),
                     str(event.as_fhir())])


# --- API tokens --------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "source"), [("/fhir/Patient", "fhir-api"), ("/fhir/Patient/p-1", "fhir-api"),
                                              ("/api/me/", "rest-api"), ("/api/audit-events/", "rest-api")])
def test_a_call_without_a_token_is_audited_as_a_failed_login(anonymous, path, source):
    mark = last_pk()

    assert anonymous.get(path).status_code == 401

    [event] = events_since(mark)
    assert (event.action, event.subtype, event.source, event.outcome) == ("E", "login", source, "4")
    assert event.user is None and event.remote_addr == "127.0.0.1"
    assert event.outcome_detail == "HTTP 401: no token"
    FhirAuditEvent.model_validate(event.as_fhir())


@pytest.mark.parametrize("path", ["/fhir/Patient", "/api/me/"])
def test_a_bad_token_is_audited_without_the_token(anonymous, path):
    token = "f" * 64
    mark = last_pk()

    assert anonymous.get(path, Authorization=f"Bearer {token}").status_code == 401

    [event] = events_since(mark)
    assert (event.subtype, event.outcome, event.outcome_detail) == ("login", "4", "HTTP 401: invalid or expired token")
    assert token[:15] not in all_text(event)


def test_an_expired_token_is_audited(api):
    AuthToken.objects.filter(user=api.user).update(expiry=timezone.now() - timedelta(minutes=1))
    mark = last_pk()

    assert api.get("/fhir/Encounter").status_code == 401

    [event] = events_since(mark)
    assert (event.subtype, event.outcome_detail, event.resource_type) == (
        "login", "HTTP 401: invalid or expired token", "Encounter")
    assert api.headers["Authorization"][7:22] not in all_text(event)


def test_a_bundle_without_a_token_is_audited(anonymous):
    mark = last_pk()

    assert anonymous.post("/fhir", {"resourceType": "Bundle", "type": "batch"}).status_code == 401

    [event] = events_since(mark)
    assert (event.subtype, event.source) == ("login", "fhir-api")


# --- the admin -----------------------------------------------------------------------------


def sign_in(client: Client, username: str, password: str):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def test_a_failed_admin_sign_in_is_audited_with_the_name_not_the_password(client):
    StaffUserFactory(username="frontdesk")
    mark = last_pk()

    response = sign_in(client, "frontdesk", WRONG)

    assert response.status_code == 200  # the form again, with its error
    [event] = events_since(mark)
    assert (event.source, event.subtype, event.outcome) == ("admin", "login", "4")
    assert event.agent_name == "frontdesk" and event.user is None
    assert event.remote_addr == "127.0.0.1"
    assert WRONG not in all_text(event)
    FhirAuditEvent.model_validate(event.as_fhir())


def test_an_admin_sign_in_and_sign_out_are_audited(client):
    staff = StaffUserFactory(username="frontdesk")
    mark = last_pk()

    assert sign_in(client, "frontdesk", PASSWORD).status_code == 302
    client.post("/admin/logout/")

    got = [(e.subtype, e.user, e.outcome, e.source) for e in events_since(mark)]
    assert got == [("login", staff, "0", "admin"), ("logout", staff, "0", "admin")]


def test_repeated_failures_lock_the_admin_sign_in_out(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    StaffUserFactory(username="frontdesk")
    mark = last_pk()

    statuses = [sign_in(client, "frontdesk", WRONG).status_code for _ in range(3)]
    locked = sign_in(client, "frontdesk", PASSWORD)  # even the right password now

    assert statuses == [200, 200, 429]
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert events_since(mark).filter(subtype="lockout").exists()
    assert events_since(mark).filter(subtype="login", outcome="4").count() == 4
    # Another user name is not locked out by these failures.
    StaffUserFactory(username="billing-lead")
    assert sign_in(Client(), "billing-lead", PASSWORD).status_code == 302


def test_a_success_clears_earlier_failures(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    StaffUserFactory(username="frontdesk")
    for _ in range(2):
        sign_in(client, "frontdesk", WRONG)
    assert sign_in(client, "frontdesk", PASSWORD).status_code == 302
    client.post("/admin/logout/")

    statuses = [sign_in(client, "frontdesk", WRONG).status_code for _ in range(2)]

    assert statuses == [200, 200]
    assert sign_in(client, "frontdesk", PASSWORD).status_code == 302
