"""Who may do what with prior authorization requests: the one table the REST API obeys.

Roles are those of ``pracops.access.roles``; a request is patient data, so the table follows
the records' grants: front office works requests, clinicians read them (they add notes through
the FHIR API), billing reads approvals only, the EHR (integration) reads where its orders
stand and may start a request from one of its ServiceRequests, auditors read nothing here.
"""

from __future__ import annotations

from pracops.access.roles import allowed, roles_of

# What can be done with requests.
LIST = "list"  # the worklist (and its filters)
READ = "read"  # one request's detail
CREATE = "create"  # start a request from a ServiceRequest
EVALUATE = "evaluate"
SUBMIT = "submit"
CANCEL = "cancel"
DECIDE = "decide"  # record a decision received by fax or phone
PACKET = "packet"  # read the PDF packet

_READS = frozenset({LIST, READ})
_WORK = frozenset({CREATE, EVALUATE, SUBMIT, CANCEL, DECIDE, PACKET})

GRANTS: dict[str, frozenset[str]] = {
    "front_office": _READS | _WORK,
    "clinician": _READS | {PACKET},
    "billing": _READS,
    "integration": _READS | {CREATE},
    "auditor": frozenset(),
}

# Billing sees what an authorization means for a claim: approvals, and those that ran out.
APPROVAL_STATUSES = ("approved", "partially_approved", "expired")


def may(user, interaction: str) -> bool:
    """Whether ``user`` (any of its roles) may do ``interaction`` with prior authorizations."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return any(interaction in GRANTS.get(role, ()) for role in roles_of(user))


def statuses_visible_to(user) -> tuple[str, ...] | None:
    """The statuses of the requests ``user`` may see; None for all of them.

    A role that reads every request (front office, clinicians, the EHR) sees all; one that
    reads approvals only (billing) sees those, whatever other roles the user has not.
    """
    if user.is_superuser:
        return None
    roles = roles_of(user)
    if any(READ in GRANTS.get(role, ()) for role in roles - {"billing"}):
        return None
    return APPROVAL_STATUSES


def may_see_evidence(user) -> bool:
    """Whether the criteria's evidence (quotes from the notes) may be shown: only to those who may
    read the notes themselves (billing may not: minimum necessary)."""
    return allowed(user, "read", "DocumentReference")


# --- The admin (the front-office worklist) ------------------------------------------
# role -> {model name: admin actions}, handed to ``pracops.access.roles.ensure_roles`` from
# ``PriorauthConfig.ready``: front office works requests (view, change: the worklist's actions)
# and starts them from an order (add); clinicians read them; billing reads the approvals and
# keeps the payers' set-up (as it keeps the payer records).
ADMIN_GRANTS: dict[str, dict[str, frozenset[str]]] = {
    "front_office": {"priorauthorization": frozenset({"view", "add", "change"}),
                     "payerprofile": frozenset({"view", "add", "change"})},
    "clinician": {"priorauthorization": frozenset({"view"})},
    "billing": {"priorauthorization": frozenset({"view"}), "payerprofile": frozenset({"view", "add", "change"})},
}


def register_admin_grants() -> None:
    from pracops.access.roles import grant_admin_permissions

    for role, models in ADMIN_GRANTS.items():
        grant_admin_permissions(role, {("priorauth", f"{action}_{model}")
                                       for model, actions in models.items() for action in actions})


def sees_approvals_only(user) -> bool:
    """True for a user whose only way in is billing: the worklist shows them the approvals."""
    return statuses_visible_to(user) is not None
