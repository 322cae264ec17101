"""Creating and revoking API clients (systems and staff that call the APIs with a token)."""

from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.db import transaction
from knox.models import AuthToken

from pracops.access.roles import ROLES, ensure_roles


class UnknownRole(ValueError):
    pass


@transaction.atomic
def create_api_client(*, name: str, role: str) -> tuple[User, str]:
    """A user for the client, in the role's group, and a new token (shown once, stored hashed)."""
    if role not in ROLES:
        raise UnknownRole(f"unknown role {role!r}; roles: {', '.join(sorted(ROLES))}")
    if not Group.objects.filter(name=role).exists():
        ensure_roles()
    user, created = User.objects.get_or_create(username=name)
    if created:
        user.set_unusable_password()
        user.save()
    user.groups.add(Group.objects.get(name=role))
    _, token = AuthToken.objects.create(user=user, expiry=None)
    return user, token


def revoke_api_client(*, name: str) -> int:
    deleted, _ = AuthToken.objects.filter(user__username=name).delete()
    return deleted
