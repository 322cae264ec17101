"""A claim's lifecycle: the one place its status changes.

    draft <-> scrubbed -> submitted -> accepted | rejected
    submitted -> scrubbed (the file carrying it was refused for good before it was delivered)
    accepted -> paid | partially_paid | denied
    rejected -> draft (fixed, to be scrubbed and sent again)
    partially_paid | denied -> appealed -> paid | partially_paid | denied
    accepted | paid | partially_paid | denied | rejected -> corrected (a frequency 7 claim replaces it)
    anything not yet closed -> closed (written off, voided by a frequency 8 claim, or done)

Every move is checked against ``TRANSITIONS`` and recorded as a ``ClaimStatusChange`` (from, to,
when, who, from what source, why) in the same transaction as the status itself. Callers hold the
claim's row lock (``select_for_update``) so two writers cannot both move it.

A move of a claim that is or was sent queues, once the transaction commits, the projection of the
claim into the FHIR records EHRs read (``billing.fhir``; one callback per transaction, claims
deduplicated). Drafts and scrubbed claims never sent have none.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from billing.fhir.tasks import project_on_commit
from billing.models import Claim, ClaimStatusChange
from pracops.bulk import insert_rows, update_rows

S = Claim.Status
Source = ClaimStatusChange.Source

TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SCRUBBED, S.CLOSED}),
    # Edited after a clean scrub: back to draft, to be scrubbed again.
    S.SCRUBBED: frozenset({S.DRAFT, S.SUBMITTED, S.CLOSED}),
    # A file the clearinghouse refused for good (never delivered, never acknowledged) puts its
    # claims back to scrubbed, to be sent in another file once the fault is fixed.
    S.SUBMITTED: frozenset({S.SCRUBBED, S.ACCEPTED, S.REJECTED}),
    # A payer may pay or deny straight from acceptance; an accepted claim may be replaced or voided.
    S.ACCEPTED: frozenset({S.PAID, S.PARTIALLY_PAID, S.DENIED, S.CORRECTED, S.CLOSED}),
    # A front-end rejection never reached adjudication: fixed and sent again as an original.
    S.REJECTED: frozenset({S.DRAFT, S.CORRECTED, S.CLOSED}),
    S.PAID: frozenset({S.CORRECTED, S.CLOSED}),
    S.PARTIALLY_PAID: frozenset({S.APPEALED, S.CORRECTED, S.CLOSED}),
    S.DENIED: frozenset({S.APPEALED, S.CORRECTED, S.CLOSED}),
    S.APPEALED: frozenset({S.PAID, S.PARTIALLY_PAID, S.DENIED, S.CLOSED}),
    S.CORRECTED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}


class TransitionNotAllowed(Exception):
    """A move the lifecycle does not have (e.g. paying a draft)."""

    def __init__(self, claim: Claim, to: str):
        self.from_status, self.to_status = claim.status, to
        super().__init__(f"a claim that is {claim.get_status_display().lower()} "
                         f"cannot become {S(to).label.lower()}")


def can_move(claim: Claim, to: str) -> bool:
    return to in TRANSITIONS[claim.status]


def _shown_to_ehrs(from_status: str, to_status: str) -> bool:
    """Whether a move changes what the claim's FHIR records show: it is sent, or was."""
    return to_status not in Claim.UNSENT or (bool(from_status) and from_status not in Claim.UNSENT)


def _who(user, agent: str, source: str) -> tuple[object, str, str]:
    """(user or None, agent name, source): a signed-in user acts as ``user`` unless a file or
    task is named as the source; without one the agent is ``system:<what>``."""
    signed = user is not None and user.is_authenticated
    name = user.get_username() if signed else agent or "system:billing"
    return (user if signed else None, name, source or (Source.USER if signed else Source.TASK))


def transition(claim: Claim, to: str, *, user=None, agent: str = "", source: str = "", source_reference: str = "",
               reason: str = "", **fields) -> ClaimStatusChange:
    """Move ``claim`` to ``to`` and record who (a user, or ``agent`` = system:<what>), when, from
    what source (``user``, ``file`` with ``source_reference`` naming the file and segment, or
    ``task``; by default ``user`` when a user acts, else ``task``) and why; ``fields`` are saved
    with the status. Raises TransitionNotAllowed for a move the lifecycle does not have. The
    reason and reference must not quote patient data: they are shown in the history.
    """
    to = S(to)
    if not can_move(claim, to):
        raise TransitionNotAllowed(claim, to)
    if source:
        Source(source)
    who, name, source = _who(user, agent, source)
    with transaction.atomic():
        change = ClaimStatusChange.objects.create(
            claim=claim, from_status=claim.status, to_status=to, at=timezone.now(), user=who, agent=name,
            source=source, source_reference=source_reference[:255], reason=reason[:500])
        claim.status = to
        for name_, value in fields.items():
            setattr(claim, name_, value)
        claim.save(update_fields=["status", "updated_at", *fields])
        if _shown_to_ehrs(change.from_status, to):
            project_on_commit([claim.pk])
    return change


def record_creation(claim: Claim, *, user=None, agent: str = "", source: str = "", source_reference: str = "",
                    reason: str = "") -> ClaimStatusChange:
    """The first line of a new claim's history (from nothing to draft)."""
    who, name, source = _who(user, agent, source)
    change = ClaimStatusChange.objects.create(
        claim=claim, from_status="", to_status=claim.status, user=who, agent=name, source=source,
        source_reference=source_reference[:255], reason=reason[:500])
    if _shown_to_ehrs("", claim.status):
        project_on_commit([claim.pk])
    return change


class TransitionBatch:
    """Many moves recorded together (a remittance file's worth), each checked as
    :func:`transition` checks it: ``move`` changes the claim in memory at once (so a second move of
    the same claim starts from the first's status) and ``flush`` writes the history rows and the
    claims in bulk, in one transaction. Callers hold the claims' row locks until it is flushed."""

    def __init__(self, *, user=None, agent: str = "", source: str = "") -> None:
        if source:
            Source(source)
        self.user, self.agent, self.source = _who(user, agent, source)
        self.changes: list[dict] = []
        self.claims: dict[int, Claim] = {}
        self.fields: set[str] = set()

    def move(self, claim: Claim, to: str, *, source_reference: str = "", reason: str = "", **fields) -> None:
        to = S(to)
        if not can_move(claim, to):
            raise TransitionNotAllowed(claim, to)
        # ClaimStatusChange's fields, as rows: a file's 10,000 moves are copied in, not built as models.
        self.changes.append(dict(
            claim_id=claim.pk, from_status=claim.status, to_status=to, at=timezone.now(), user=self.user,
            agent=self.agent, source=self.source, source_reference=source_reference[:255], reason=reason[:500]))
        claim.status = to
        for name, value in fields.items():
            setattr(claim, name, value)
        self.fields.update(fields)
        self.claims[claim.pk] = claim

    def flush(self) -> None:
        """History rows in one COPY (PostgreSQL) and every moved claim's status, ``updated_at``
        and the fields moves gave in one ``UPDATE ... FROM (VALUES ...)`` (``pracops.bulk``)."""
        with transaction.atomic():
            insert_rows(ClaimStatusChange, self.changes)
            now = timezone.now()
            for claim in self.claims.values():
                claim.updated_at = now
            update_rows(list(self.claims.values()), ["status", "updated_at", *sorted(self.fields)])
            project_on_commit(c["claim_id"] for c in self.changes if _shown_to_ehrs(c["from_status"], c["to_status"]))
        self.changes, self.claims, self.fields = [], {}, set()
