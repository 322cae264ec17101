"""Roles and what each may do: the one table both the API and the admin obey.

A role is a Django group. The API checks ``allowed(user, interaction, resource_type)``;
the admin gets the matching model permissions (read -> view, create -> add,
update -> change, delete -> delete), written by ``ensure_roles`` after every migrate.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

READ = frozenset({"read", "search"})
WRITE = frozenset({"create", "update"})
ALL = READ | WRITE | {"delete"}

CLINICAL = ("Encounter", "Condition", "Procedure", "ServiceRequest", "Observation", "DocumentReference")
EVERY_TYPE = ("Organization", "Practitioner", "Patient", "Coverage", *CLINICAL)

# role -> resource type -> interactions
ROLES: dict[str, dict[str, frozenset[str]]] = {
    # An EHR system: sends and reads everything it shares with us.
    "integration": {t: ALL for t in EVERY_TYPE},
    # Clinicians read the chart and write clinical records; they do not edit registration.
    "clinician": {
        **{t: READ for t in EVERY_TYPE},
        **{t: READ | WRITE for t in CLINICAL},
    },
    # Front office registers patients and coverage and works orders for authorization.
    "front_office": {
        **{t: READ for t in EVERY_TYPE},
        **{t: READ | WRITE for t in ("Patient", "Coverage", "Organization", "Practitioner", "ServiceRequest")},
    },
    # Billing needs what a claim needs, not the notes or measurements (minimum necessary).
    "billing": {
        **{t: READ for t in ("Organization", "Practitioner", "Patient", "Encounter", "Condition",
                             "Procedure", "ServiceRequest")},
        "Coverage": READ | WRITE,
    },
    # Auditors read the audit trail and nothing else.
    "auditor": {"AuditEvent": READ},
}

_ADMIN_ACTIONS = {"read": "view", "create": "add", "update": "change", "delete": "delete"}


def roles_of(user) -> set[str]:
    if user is None or not user.is_authenticated:
        return set()
    cached = getattr(user, "_pracops_roles", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
        user._pracops_roles = cached
    return cached


def allowed(user, interaction: str, resource_type: str) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return any(interaction in ROLES[role].get(resource_type, ()) for role in roles_of(user))


def ensure_roles() -> None:
    """Create each role's group with exactly the admin permissions the table gives it."""
    from pracops.audit.models import AuditEvent
    from pracops.records.registry import KINDS

    models = {name: kind.model for name, kind in KINDS.items()}
    models["AuditEvent"] = AuditEvent
    for role, grants in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        codenames = set()
        for resource_type, interactions in grants.items():
            model = models[resource_type]
            for interaction in interactions:
                action = _ADMIN_ACTIONS.get(interaction)
                if action:
                    codenames.add((model._meta.app_label, f"{action}_{model._meta.model_name}"))
        if any(t == "Patient" for t in grants):
            # A patient's page lists its identifiers.
            codenames.add(("records", "view_resourceidentifier"))
        perms = [
            p for p in Permission.objects.select_related("content_type").filter(
                codename__in={c for _, c in codenames}
            )
            if (p.content_type.app_label, p.codename) in codenames
        ]
        group.permissions.set(perms)
