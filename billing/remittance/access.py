"""Who may do what with the files received and remittances in the admin, handed to
``pracops.access.roles.ensure_roles`` from ``RemittanceConfig.ready``: billing reads files and
remittances and works the suspense queue (its match and dismiss actions need ``change``)."""

from __future__ import annotations

ADMIN_GRANTS: dict[str, dict[str, frozenset[str]]] = {
    "billing": {
        "x12file": frozenset({"view"}),
        "remittance": frozenset({"view"}),
        "claimpayment": frozenset({"view", "change"}),
        "servicelinepayment": frozenset({"view"}),
        "paymentadjustment": frozenset({"view"}),
    },
}


def register_admin_grants() -> None:
    from pracops.access.roles import grant_admin_permissions

    for role, models in ADMIN_GRANTS.items():
        grant_admin_permissions(role, {("billing_remittance", f"{action}_{model}")
                                       for model, actions in models.items() for action in actions})
