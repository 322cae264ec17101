"""FHIR for EHRs: billing claims as FHIR Claim, ClaimResponse and ExplanationOfBenefit records.

A claim is projected once it has been sent (``submitted`` and every state after it; a claim that
went back to draft or scrubbed after it was sent keeps its projection, kept current). The
projection is written after the billing change commits, by ``tasks.project_claims_task``, queued
by ``billing.lifecycle`` on commit (claim ids deduplicated per transaction), and written as the
system through ``pracops.records.services.store_by_identifier``: each resource carries an
identifier of its own (``BILLING_CLAIM_SYSTEM`` / ``CLAIM_PAYMENT_SYSTEM``), so projecting again
updates the same record, and a projection that changes nothing writes no new version.

``ClaimProjection`` records, per claim, what was last projected (its latest status change, its
latest claim payment and how many it had); the pending-work sweep queues again the claims whose
projection is stale (a task lost with its worker).

Layers: ``resources`` builds the FHIR JSON from loaded rows (no queries, no writes), ``mapping``
is the ExplanationOfBenefit mapper, ``selectors`` reads, ``services`` writes, ``tasks`` queues.
"""
