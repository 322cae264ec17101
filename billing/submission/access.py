"""Who may do what with claim files in the admin (``pracops.access.roles.ensure_roles``, from
``SubmissionConfig.ready``): billing reads the files sent (their text is patient data: billing
only) and sends them; no role adds, changes or deletes one by hand."""

from __future__ import annotations

ADMIN_GRANTS: dict[str, dict[str, frozenset[str]]] = {
    "billing": {
        "claimfile": frozenset({"view"}),
        "claimfileentry": frozenset({"view"}),
    },
}

# Sending a claim file (admin actions on files and claims) takes this permission.
SEND_PERMISSION = "billing_submission.view_claimfile"


def register_admin_grants() -> None:
    from pracops.access.roles import grant_admin_permissions

    for role, models in ADMIN_GRANTS.items():
        grant_admin_permissions(role, {("billing_submission", f"{action}_{model}")
                                       for model, actions in models.items() for action in actions})
