"""Writing a billing claim's FHIR records (Claim, ClaimResponse, ExplanationOfBenefit) as the
system, after the billing change committed; recording what was projected."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from billing.fhir import resources, selectors
from billing.fhir.models import ClaimProjection
from billing.models import Claim
from pracops.audit.models import AuditEvent
from pracops.audit.services import record_many
from pracops.fhir.outcome import FhirError
from pracops.records.services import store_by_identifier

logger = logging.getLogger(__name__)

BATCH = 200  # claims per transaction (and per task)
_ACTIONS = {"created": AuditEvent.Action.CREATE, "updated": AuditEvent.Action.UPDATE}


@dataclass
class Projected:
    """What one projection run did: claims projected, claims left out (never sent, or refused),
    and the records written by result (created, updated, unchanged)."""

    claims: int = 0
    skipped: int = 0
    failed: list[int] = field(default_factory=list)
    records: Counter = field(default_factory=Counter)


def project_claims(*, claim_ids: Sequence[int], agent: str = "system:billing-fhir") -> Projected:
    """Write the FHIR records of these claims (each claim sent at least once), in batches of
    ``BATCH`` claims, one transaction each. Projecting a claim again writes nothing new unless
    the claim changed. A claim whose records the records refuse is logged (its pk and the issue
    codes only) and left for the sweep; the others are written."""
    done = Projected()
    wanted = sorted(set(claim_ids))
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start:start + BATCH]
        try:
            _project_batch(chunk, agent=agent, done=done)
        except FhirError:
            if len(chunk) == 1:
                raise
            for pk in chunk:  # find the claim the records refuse; write the others
                try:
                    _project_batch([pk], agent=agent, done=done)
                except FhirError as exc:
                    logger.error("billing claim pk=%s: FHIR projection refused (%s)", pk,
                                 ", ".join(sorted({issue.code for issue in exc.issues})))
                    done.failed.append(pk)
    return done


def _with_voided(claim_ids: list[int]) -> list[int]:
    """The claims and those their voids (frequency 8) void: a void sent cancels the original's Claim."""
    originals = Claim.objects.filter(pk__in=claim_ids, frequency=Claim.Frequency.VOID).values_list("replaces_id",
                                                                                                    flat=True)
    return sorted(set(claim_ids) | {pk for pk in originals if pk})


def _project_batch(claim_ids: list[int], *, agent: str, done: Projected) -> None:
    # Imported here: billing.remittance.services imports the lifecycle, which imports this module.
    from billing.remittance.services import is_denial

    with transaction.atomic(durable=True):
        claims = selectors.lock_claims(_with_voided(claim_ids))
        done.skipped += len(set(claim_ids) - {c.pk for c in claims})
        if not claims:
            return
        facts = selectors.projection_facts(claims)
        claim_ops = store_by_identifier(resources=[resources.fhir_claim(f) for f in facts])
        claim_ids_fhir = {f.claim.pk: op.fhir_id for f, op in zip(facts, claim_ops, strict=True)}
        answers = []
        for f in facts:
            fhir_id = claim_ids_fhir[f.claim.pk]
            response = resources.fhir_claim_response(f, fhir_id)
            if response is not None:
                answers.append((f, response))
            for payment in f.payments:
                adjustments = payment.adjustments.all()
                denial = any(is_denial(a.group, a.reason) for a in adjustments)
                answers.append((f, resources.fhir_explanation_of_benefit(
                    f, payment, claim_fhir_id=fhir_id,
                    outcome=resources.claim_payment_outcome(payment, denial=denial))))
        answer_ops = store_by_identifier(resources=[r for _, r in answers])
        _record_projections(facts, claim_ids_fhir)
        written = list(zip(facts, claim_ops)) + [(f, op) for (f, _), op in zip(answers, answer_ops, strict=True)]
        _audit(written, agent=agent)
        done.claims += len(facts)
        done.records.update(op.result for _, op in written)


def _record_projections(facts: list[resources.ClaimFacts], fhir_ids: dict[int, str]) -> None:
    now = timezone.now()
    rows = [ClaimProjection(
        claim_id=f.claim.pk, last_status_change_id=max((c.pk for c in f.history), default=0),
        last_payment_id=max((p.pk for p in f.payments), default=0), payment_count=len(f.payments),
        claim_fhir_id=fhir_ids[f.claim.pk], projected_at=now) for f in facts]
    ClaimProjection.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["claim"],
        update_fields=["last_status_change_id", "last_payment_id", "payment_count", "claim_fhir_id", "projected_at"])


def _audit(written: list, *, agent: str) -> None:
    """One event per record created or changed (none for one left unchanged), as the system."""
    events = [dict(action=_ACTIONS[op.result], resource_type=op.resource_type, resource_id=op.fhir_id,
                   patient_id=f.claim.patient.fhir_id, subtype=f"billing-{op.result}")
              for f, op in written if op.result in _ACTIONS]
    if events:
        record_many(events, user=None, source=AuditEvent.Source.TASK, system=agent.removeprefix("system:"))
