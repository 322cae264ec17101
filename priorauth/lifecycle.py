"""A prior authorization's lifecycle: the one place its status changes.

    draft -> needs_documentation <-> ready -> submitted -> pended -> approved | partially_approved | denied
    denied -> appealed -> (pended | approved | partially_approved | denied)
    any open state -> cancelled; approved | partially_approved -> expired

Every move is checked against ``TRANSITIONS`` and recorded as a ``StatusChange`` (from, to,
who, when, why) in the same transaction as the status itself. Callers hold the request's row
lock (``select_for_update``) so two writers cannot both move it.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from priorauth.models import PriorAuthorization, StatusChange
from pracops.bulk import update_rows

S = PriorAuthorization.Status

TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.NEEDS_DOCUMENTATION, S.READY, S.CANCELLED}),
    S.NEEDS_DOCUMENTATION: frozenset({S.READY, S.CANCELLED}),
    S.READY: frozenset({S.NEEDS_DOCUMENTATION, S.SUBMITTED, S.CANCELLED}),
    # A payer may decide at once on submission, or pend first.
    S.SUBMITTED: frozenset({S.PENDED, S.APPROVED, S.PARTIALLY_APPROVED, S.DENIED, S.CANCELLED}),
    S.PENDED: frozenset({S.APPROVED, S.PARTIALLY_APPROVED, S.DENIED, S.CANCELLED}),
    S.DENIED: frozenset({S.APPEALED}),
    S.PARTIALLY_APPROVED: frozenset({S.APPEALED, S.EXPIRED}),
    S.APPEALED: frozenset({S.PENDED, S.APPROVED, S.PARTIALLY_APPROVED, S.DENIED, S.CANCELLED}),
    S.APPROVED: frozenset({S.EXPIRED}),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
}


class TransitionNotAllowed(Exception):
    """A move the lifecycle does not have (e.g. submitting a cancelled request)."""

    def __init__(self, authorization: PriorAuthorization, to: str):
        self.from_status, self.to_status = authorization.status, to
        super().__init__(f"a request that is {authorization.get_status_display().lower()} "
                         f"cannot become {S(to).label.lower()}")


def can_move(authorization: PriorAuthorization, to: str) -> bool:
    return to in TRANSITIONS[authorization.status]


def transition(authorization: PriorAuthorization, to: str, *, user=None, agent: str = "", reason: str = "",
               **fields) -> StatusChange:
    """Move ``authorization`` to ``to`` and record who (a user, or ``agent`` = system:<what>), when
    and why; ``fields`` are saved with the status (decision details, dates). Raises
    TransitionNotAllowed for a move the lifecycle does not have. The reason must not quote
    patient data: it is shown in the timeline and the audit trail.
    """
    to = S(to)
    if not can_move(authorization, to):
        raise TransitionNotAllowed(authorization, to)
    now = timezone.now()
    with transaction.atomic():
        change = StatusChange.objects.create(
            authorization=authorization, from_status=authorization.status, to_status=to, at=now,
            user=user if user is not None and user.is_authenticated else None,
            agent=(user.get_username() if user is not None and user.is_authenticated else agent or "system:priorauth"),
            reason=reason[:500],
        )
        authorization.status = to
        for name, value in fields.items():
            setattr(authorization, name, value)
        authorization.save(update_fields=["status", "updated_at", *fields])
    return change


def record_creation(authorization: PriorAuthorization, *, user=None, agent: str = "", reason: str = "") -> StatusChange:
    """The first line of a new request's timeline (from nothing to draft)."""
    return StatusChange.objects.create(
        authorization=authorization, from_status="", to_status=authorization.status,
        user=user if user is not None and user.is_authenticated else None,
        agent=(user.get_username() if user is not None and user.is_authenticated else agent or "system:priorauth"),
        reason=reason[:500],
    )


def transition_many(moves: Sequence[tuple[PriorAuthorization, str, str]], *, user=None, agent: str = "",
                    update_fields: Sequence[str] = ()) -> list[StatusChange]:
    """``transition`` for many requests at once: ``moves`` is a sequence of (authorization, to,
    reason). Every move is checked first (TransitionNotAllowed before anything is written);
    then one bulk insert of the StatusChanges and one bulk update of the rows
    (``pracops.bulk.update_rows``: status, updated_at and ``update_fields``, which the caller
    has already set on each instance). Callers hold the rows' locks, as for ``transition``.
    """
    moves = [(authorization, S(to), reason) for authorization, to, reason in moves]
    for authorization, to, _reason in moves:
        if not can_move(authorization, to):
            raise TransitionNotAllowed(authorization, to)
    if not moves:
        return []
    now = timezone.now()
    signed = user is not None and user.is_authenticated
    who = user.get_username() if signed else agent or "system:priorauth"
    changes = [StatusChange(authorization=authorization, from_status=authorization.status, to_status=to, at=now,
                            user=user if signed else None, agent=who, reason=reason[:500])
               for authorization, to, reason in moves]
    with transaction.atomic():
        StatusChange.objects.bulk_create(changes)
        for authorization, to, _reason in moves:
            authorization.status = to
            # update_rows, like bulk_update, does not apply auto_now.
            authorization.updated_at = now
        update_rows([authorization for authorization, _to, _reason in moves],
                    ["status", "updated_at", *update_fields])
    return changes
