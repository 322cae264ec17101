"""Evaluating a planned procedure against the payer's policy: one result per criterion.

Pure: merged facts, the procedure history and the policy set in; an Evaluation out. No ORM, no
HTTP; the workflow stores ``Evaluation.as_dict()`` on the PriorAuthorization.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from priorauth.criteria.facts import EvidenceSpan, MergedFacts
from priorauth.criteria.rules import INSUFFICIENT, NOT_MET, RULES, PastProcedure, RuleContext
from priorauth.policies import Policy, PolicySet, policy_set


@dataclass(frozen=True)
class CriterionResult:
    id: str
    text: str
    status: str  # met | not_met | insufficient_documentation | not_applicable
    evidence: tuple[EvidenceSpan, ...]
    facts: Mapping[str, object]
    missing: str | None  # what staff should document (or what contradicts it); None when met

    def as_dict(self) -> dict:
        return {"id": self.id, "text": self.text, "status": self.status,
                "evidence": [span.as_dict() for span in self.evidence], "facts": dict(self.facts),
                "missing": self.missing}


@dataclass(frozen=True)
class Evaluation:
    payer: str
    cpt: str
    requires_auth: bool
    policy: Policy | None
    ready: bool  # no criterion is not_met or insufficient_documentation
    reason: str
    criteria: tuple[CriterionResult, ...]
    not_covered: str | None = None  # the payer's reason when it does not cover the code

    @property
    def covered(self) -> bool:
        return self.not_covered is None

    def missing(self) -> list[str]:
        """The plain-words requests to staff, in the policy's order."""
        return [c.missing for c in self.criteria if c.missing]

    def as_dict(self) -> dict:
        return {
            "payer": self.payer, "cpt": self.cpt, "requires_auth": self.requires_auth,
            "policy": self.policy.id if self.policy else None, "ready": self.ready, "reason": self.reason,
            "criteria": [c.as_dict() for c in self.criteria],
        }


def evaluate(*, payer: str, cpt: str, facts: MergedFacts, history: Sequence[PastProcedure] = (),
             planned: datetime.date, policies: PolicySet | None = None) -> Evaluation:
    """Every criterion of the payer's policy for ``cpt`` in effect on ``planned``, with its status,
    facts, evidence and ``missing`` text. Raises UnknownPayer for a payer no file defines."""
    policies = policies or policy_set()
    payer_data = policies.payer(payer)
    name = payer_data.name
    if cpt in payer_data.not_covered:
        reason = payer_data.not_covered[cpt]
        return Evaluation(payer=payer, cpt=cpt, requires_auth=False, policy=None, ready=True,
                          reason=f"not_covered: {reason}", criteria=(), not_covered=reason)
    policy = policies.policy_for(payer, cpt, planned)
    if policy is None:
        needed = cpt in payer_data.auth_required_codes
        reason = (f"{name} requires prior authorization for {cpt} (payer list; no criteria policy)." if needed
                  else f"{name} has no prior-authorization requirement for {cpt}.")
        return Evaluation(payer=payer, cpt=cpt, requires_auth=needed, policy=None, ready=True, reason=reason,
                          criteria=())
    context = RuleContext(facts=facts, policy=policy, cpt=cpt, planned=planned, history=tuple(history),
                          session_codes=policies.session_codes(policy.procedure_type))
    results = []
    for criterion in policy.criteria:
        outcome = RULES[criterion.id](context, criterion.params)
        results.append(CriterionResult(id=criterion.id, text=criterion.text, status=outcome.status,
                                       evidence=outcome.evidence, facts=outcome.facts, missing=outcome.missing))
    blocking = [r for r in results if r.status in (NOT_MET, INSUFFICIENT)]
    return Evaluation(payer=payer, cpt=cpt, requires_auth=policy.requires_auth, policy=policy,
                      ready=not blocking, reason=_reason(name, cpt, policy, blocking), criteria=tuple(results))


def _reason(payer_name: str, cpt: str, policy: Policy, blocking: Sequence[CriterionResult]) -> str:
    need = "requires" if policy.requires_auth else "does not require"
    head = f"{payer_name} {need} prior authorization for {cpt} ({policy.name}; {policy.source})."
    if not blocking:
        return f"{head} Every criterion is met or does not apply."
    not_met = sum(1 for r in blocking if r.status == NOT_MET)
    insufficient = len(blocking) - not_met
    parts = []
    if not_met:
        parts.append(f"{not_met} not met")
    if insufficient:
        parts.append(f"{insufficient} needing documentation")
    return f"{head} Criteria: {', '.join(parts)}."
