"""Who may do what with billing's tables in the admin, handed to
``pracops.access.roles.ensure_roles`` from ``BillingConfig.ready``: billing keeps the fee
schedules, its billing profile and the payers' billing settings, and reads claims (claims move
only through the billing services)."""

from __future__ import annotations

ADMIN_GRANTS: dict[str, dict[str, frozenset[str]]] = {
    "billing": {
        "feeschedule": frozenset({"view", "add", "change", "delete"}),
        "feescheduleentry": frozenset({"view", "add", "change", "delete"}),
        "billingprofile": frozenset({"view", "change"}),
        "payerbillingsettings": frozenset({"view", "add", "change"}),
        "claim": frozenset({"view"}),
        "claimline": frozenset({"view"}),
        "claimedit": frozenset({"view"}),
        "claimstatuschange": frozenset({"view"}),
    },
}


def register_admin_grants() -> None:
    from pracops.access.roles import grant_admin_permissions

    for role, models in ADMIN_GRANTS.items():
        grant_admin_permissions(role, {("billing", f"{action}_{model}")
                                       for model, actions in models.items() for action in actions})
