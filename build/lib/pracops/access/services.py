"""Creating and revoking API clients (systems and staff that call the APIs with a token)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import Group, User
from django.db import transaction
from knox.models import AuthToken
from knox.settings import knox_settings

from pracops.access.roles import ROLES, ensure_roles, roles_of


class ApiClientRefused(ValueError):
    """A client the command will not create or give a token to; the message says why."""


class UnknownRole(ApiClientRefused):
    pass


@transaction.atomic
def create_api_client(
    *, name: str, role: str, ttl: timedelta | None = None, change_role: bool = False,
) -> tuple[User, str]:
    """A user for the client, in the role's group, and a new token (shown once, stored hashed).

    The token expires after ``ttl`` (default: ``REST_KNOX["TOKEN_TTL"]``). An existing user keeps
    its roles: a different role is refused unless ``change_role`` (which then replaces them), and
    staff or superusers never get a token, so a typo cannot hand out an admin's powers.
    """
    if role not in ROLES:
        raise UnknownRole(f"unknown role {role!r}; roles: {', '.join(sorted(ROLES))}")
    if ttl is not None and ttl <= timedelta(0):
        raise ApiClientRefused("a token's lifetime must be positive")
    if not Group.objects.filter(name=role).exists():
        ensure_roles()
    user, created = User.objects.select_for_update().get_or_create(username=name)
    if created:
        user.set_unusable_password()
        user.save()
    else:
        if user.is_superuser or user.is_staff:
            raise ApiClientRefused(f"{name!r} is a staff user; API clients are separate users")
        current = roles_of(user)
        if current and current != {role}:
            if not change_role:
                raise ApiClientRefused(
                    f"{name!r} already has the role(s) {', '.join(sorted(current))}; "
                    "pass --change-role to replace them"
                )
            user.groups.remove(*Group.objects.filter(name__in=current))
            user._pracops_roles = None
    user.groups.add(Group.objects.get(name=role))
    _, token = AuthToken.objects.create(user=user, expiry=ttl or token_ttl())
    return user, token


def token_ttl() -> timedelta:
    """How long a new token lives unless its client is given another lifetime."""
    return knox_settings.TOKEN_TTL


class UnknownClient(LookupError):
    pass


def revoke_api_client(*, name: str) -> int:
    """Delete every token of the client; how many there were. The user and its roles stay."""
    if not User.objects.filter(username=name).exists():
        raise UnknownClient(f"no API client named {name!r}")
    deleted, _ = AuthToken.objects.filter(user__username=name).delete()
    return deleted
