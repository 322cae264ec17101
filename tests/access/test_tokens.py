"""API tokens fail closed: they expire, name one role, never a staff user's, and can be revoked."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.utils import timezone
from knox.models import AuthToken

from pracops.access.services import ApiClientRefused, create_api_client
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def token_from(capsys) -> str:
    return capsys.readouterr().out.strip()


def test_a_token_expires_after_the_configured_days(anonymous, settings):
    _, token = create_api_client(name="epic", role="integration")
    [stored] = AuthToken.objects.filter(user__username="epic")

    assert stored.expiry is not None
    assert timedelta(days=89) < stored.expiry - timezone.now() <= timedelta(days=90)
    assert anonymous.get("/fhir/Patient", Authorization=f"Bearer {token}").status_code == 200

    AuthToken.objects.filter(user__username="epic").update(expiry=timezone.now() - timedelta(seconds=1))

    assert anonymous.get("/fhir/Patient", Authorization=f"Bearer {token}").status_code == 401


def test_create_api_client_takes_a_lifetime_and_says_when_the_token_expires(capsys):
    call_command("create_api_client", "epic", "--role", "integration", "--ttl-days", "7")

    out, err = capsys.readouterr()
    [stored] = AuthToken.objects.filter(user__username="epic")
    assert timedelta(days=6) < stored.expiry - timezone.now() <= timedelta(days=7)
    assert out.strip() and "\n" not in out.strip()  # only the token on standard output
    assert f"expires {stored.expiry:%Y-%m-%d}" in err


def test_create_api_client_refuses_a_lifetime_that_is_not_positive():
    with pytest.raises(CommandError, match="positive"):
        call_command("create_api_client", "epic", "--role", "integration", "--ttl-days", "0")
    assert not AuthToken.objects.exists()


def test_create_api_client_does_not_add_a_role_to_an_existing_client():
    create_api_client(name="epic", role="billing")

    with pytest.raises(CommandError, match="billing"):
        call_command("create_api_client", "epic", "--role", "integration")

    user = User.objects.get(username="epic")
    assert list(user.groups.values_list("name", flat=True)) == ["billing"]
    assert AuthToken.objects.filter(user=user).count() == 1


def test_create_api_client_change_role_replaces_the_roles(capsys):
    create_api_client(name="epic", role="billing")

    call_command("create_api_client", "epic", "--role", "clinician", "--change-role")

    user = User.objects.get(username="epic")
    assert list(user.groups.values_list("name", flat=True)) == ["clinician"]


def test_create_api_client_gives_the_same_role_another_token():
    _, first = create_api_client(name="epic", role="billing")
    _, second = create_api_client(name="epic", role="billing")

    assert first != second
    assert AuthToken.objects.filter(user__username="epic").count() == 2


@pytest.mark.parametrize("kind", ["superuser", "staff"])
def test_create_api_client_never_mints_a_token_for_a_staff_user(kind):
    StaffUserFactory(username="admin", is_superuser=kind == "superuser")

    with pytest.raises(CommandError, match="staff"):
        call_command("create_api_client", "admin", "--role", "integration")

    assert not AuthToken.objects.exists()
    assert not Group.objects.get(name="integration").user_set.exists()


def test_the_service_refuses_as_the_command_does():
    StaffUserFactory(username="admin", is_superuser=True)

    with pytest.raises(ApiClientRefused):
        create_api_client(name="admin", role="auditor")


def test_revoke_api_client_makes_every_token_of_the_client_401(anonymous, capsys):
    _, first = create_api_client(name="epic", role="integration")
    _, second = create_api_client(name="epic", role="integration")
    _, other = create_api_client(name="athena", role="integration")

    call_command("revoke_api_client", "epic")

    assert "2 token(s) revoked" in capsys.readouterr().out
    for token in (first, second):
        assert anonymous.get("/fhir/Patient", Authorization=f"Bearer {token}").status_code == 401
    assert anonymous.get("/fhir/Patient", Authorization=f"Bearer {other}").status_code == 200


def test_revoke_api_client_with_an_unknown_name_fails():
    with pytest.raises(CommandError, match="no API client"):
        call_command("revoke_api_client", "nobody")
