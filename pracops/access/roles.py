"""Roles and what each may do: the one table both the API and the admin obey.

A role is a Django group. The API checks ``allowed(user, interaction, resource_type)``;
the admin gets the matching model permissions (read -> view, create -> add,
update -> change, delete -> delete), written by ``ensure_roles`` after every migrate.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Iterable, Iterator

from django.contrib.auth.models import Group, Permission

READ = frozenset({"read", "search"})
WRITE = frozenset({"create", "update"})
ALL = READ | WRITE | {"delete"}

# role -> type group -> interactions. A resource type's groups are declared where it is
# registered (pracops.records.registry), so a type another app registers gets its grants here.
# "authorization-status" (a prior authorization's Claim/ClaimResponse) is written by the
# workflow as the system (records.services.store_by_identifier): read by all who work with it,
# written by no role. "claim-payment" (a billing claim's ExplanationOfBenefit, billing.fhir) is
# PracOps' own too: read by the EHR, billing and front office (what the patient owes), not by
# clinicians (minimum necessary).
GRANTS: dict[str, dict[str, frozenset[str]]] = {
    # An EHR system: sends and reads everything it shares with us.
    "integration": {"exchanged": ALL, "authorization-status": READ, "claim-payment": READ},
    # Clinicians read the chart and write clinical records; they do not edit registration.
    "clinician": {"chart": READ, "clinical": READ | WRITE, "authorization-status": READ},
    # Front office registers patients and coverage and works orders for authorization.
    "front_office": {"chart": READ, "registration": READ | WRITE, "orders": READ | WRITE,
                     "authorization-status": READ, "claim-payment": READ},
    # Billing needs what a claim needs, not the notes or measurements (minimum necessary).
    "billing": {"claim-evidence": READ, "payer": READ | WRITE, "authorization-status": READ,
                "claim-payment": READ},
    # Auditors read the audit trail and nothing else.
    "auditor": {"audit": READ},
}

# Types outside the records registry that roles still govern.
_OTHER_TYPE_GROUPS = {"AuditEvent": frozenset({"audit"})}

# Admin permissions on models that are not records (a domain app's own tables, e.g. the prior
# authorization worklist), registered by the app that owns them from its AppConfig.ready():
# role -> {(app_label, codename)}. pracops imports no domain app; they come to it.
_APP_ADMIN_PERMISSIONS: dict[str, set[tuple[str, str]]] = {}


def grant_admin_permissions(role: str, permissions: Iterable[tuple[str, str]]) -> None:
    """Give ``role`` these admin permissions ((app_label, codename) pairs) from the next
    ``ensure_roles`` on. Raises ValueError for a role the table does not have."""
    if role not in GRANTS:
        raise ValueError(f"unknown role {role!r}; roles: {', '.join(GRANTS)}")
    _APP_ADMIN_PERMISSIONS.setdefault(role, set()).update(permissions)


def role_table() -> dict[str, dict[str, frozenset[str]]]:
    """role -> resource type -> interactions, for the types registered now."""
    from pracops.records.registry import SUPPORTED_TYPES

    return _role_table(tuple(SUPPORTED_TYPES))


@lru_cache(maxsize=4)
def _role_table(resource_types: tuple[str, ...]) -> dict[str, dict[str, frozenset[str]]]:
    from pracops.records.registry import KINDS

    groups_of = {t: KINDS[t].groups for t in resource_types} | _OTHER_TYPE_GROUPS
    table: dict[str, dict[str, frozenset[str]]] = {}
    for role, grants in GRANTS.items():
        table[role] = {}
        for resource_type, groups in groups_of.items():
            interactions = frozenset().union(*(grants.get(group, frozenset()) for group in groups))
            if interactions:
                table[role][resource_type] = interactions
    return table


class _Roles(Mapping[str, dict[str, frozenset[str]]]):
    """``ROLES[role][type]``: the interactions a role has with a type, as registered now."""

    def __getitem__(self, role: str) -> dict[str, frozenset[str]]:
        return role_table()[role]

    def __iter__(self) -> Iterator[str]:
        return iter(GRANTS)

    def __len__(self) -> int:
        return len(GRANTS)


ROLES = _Roles()

_ADMIN_ACTIONS = {"read": "view", "create": "add", "update": "change", "delete": "delete"}


def roles_of(user) -> set[str]:
    if user is None or not user.is_authenticated:
        return set()
    cached = getattr(user, "_pracops_roles", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=list(GRANTS)).values_list("name", flat=True))
        user._pracops_roles = cached
    return cached


# A type no app registers is never stored or served on its own: it only travels contained in
# one that is (an Encounter's Location, a ServiceRequest's Specimen). The EHR's own systems,
# which send those resources, and clinicians, who read the whole chart, may read it there;
# front office and billing may not (minimum necessary).
UNREGISTERED_GROUPS = frozenset({"exchanged", "clinical"})


def _interactions(role: str, resource_type: str) -> frozenset[str]:
    table = ROLES[role]
    if resource_type in table:
        return table[resource_type]
    from pracops.records.registry import KINDS

    if resource_type in KINDS or resource_type in _OTHER_TYPE_GROUPS:
        return frozenset()
    granted = frozenset().union(*(GRANTS[role].get(group, frozenset()) for group in UNREGISTERED_GROUPS))
    return granted & READ


def allowed(user, interaction: str, resource_type: str) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return any(interaction in _interactions(role, resource_type) for role in roles_of(user))


def reach_of(resource: dict, *, sending: bool) -> list[tuple[str, str, str]]:
    """What else acting on ``resource`` does, as ``(interaction, type, why)``, for role checks.

    Its contained resources travel with it, so each needs ``read`` of its own type (a note
    contained in an Encounter is still a note). A resource being sent may hold conditional
    references (``Type?identifier=...``), which search that type: whether it matches tells
    the sender that the record exists.
    """
    reach: dict[tuple[str, str], str] = {}
    for contained in resource.get("contained") or ():
        if isinstance(contained, dict):
            contained_type = str(contained.get("resourceType") or "")
            reach.setdefault(("read", contained_type), f"contained in this {resource.get('resourceType')}")
    if sending:
        for reference in _references(resource):
            target_type, query_mark, _ = reference.partition("?")
            if query_mark and target_type and "/" not in target_type and ":" not in target_type:
                reach.setdefault(("search", target_type), "a conditional reference")
    return [(interaction, resource_type, why) for (interaction, resource_type), why in reach.items()]


def _references(node: Any) -> Iterator[str]:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("reference"), str):
                yield item["reference"]
            stack.extend(v for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, (dict, list)))


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
        codenames |= _APP_ADMIN_PERMISSIONS.get(role, set())
        perms = [
            p for p in Permission.objects.select_related("content_type").filter(
                codename__in={c for _, c in codenames}
            )
            if (p.content_type.app_label, p.codename) in codenames
        ]
        group.permissions.set(perms)
