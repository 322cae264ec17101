"""Does this order need an authorization? The answer in the shape of Da Vinci CRD's
coverage-information extension (covered, pa-needed, doc-needed, info-needed, reason, policy, date),
plus plain words for staff listing the documentation the policy's criteria need.

Pure: the policy set in, a CoverageInformation out.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from priorauth.policies import Policy, PolicySet, policy_set
from priorauth.policies.catalogue import documentation_needed

CRD_EXTENSION_URL = "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information"
CPT_SYSTEM = "http://www.ama-assn.org/go/cpt"
HCPCS_SYSTEM = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"


@dataclass(frozen=True)
class CoverageInformation:
    payer: str
    cpt: str
    date: datetime.date
    covered: str  # CRD: "covered" | "not-covered"
    pa_needed: str | None  # CRD: "auth-needed" | "no-auth"; None when not covered (crd-ci-q2)
    doc_needed: str | None  # CRD: "clinical" when the policy's criteria rest on clinical documentation
    doc_purpose: str | None  # CRD: "withpa" (with the authorization request) | "withclaim"
    info_needed: str | None  # CRD: only with a "conditional" answer, which these policies never give
    reason: str
    policy: Policy | None
    documentation: tuple[str, ...]  # plain words for staff: what the notes must show

    @property
    def requires_auth(self) -> bool:
        return self.pa_needed == "auth-needed"

    def billing_code(self) -> dict:
        system = CPT_SYSTEM if self.cpt[:1].isdigit() else HCPCS_SYSTEM
        return {"system": system, "code": self.cpt}

    def as_dict(self) -> dict:
        policy = None
        if self.policy is not None:
            policy = {"id": self.policy.id, "name": self.policy.name, "citation": self.policy.source,
                      "url": self.policy.source_url, "version": self.policy.version}
        return {
            "covered": self.covered, "pa-needed": self.pa_needed, "doc-needed": self.doc_needed,
            "doc-purpose": self.doc_purpose, "info-needed": self.info_needed, "reason": {"text": self.reason},
            "policy": policy, "billingCode": self.billing_code(), "date": self.date.isoformat(),
            "payer": self.payer, "requires_auth": self.requires_auth,
            "policy_id": self.policy.id if self.policy else None, "documentation": list(self.documentation),
        }

    def as_extension(self, coverage_reference: str | None = None) -> dict:
        """The FHIR ext-coverage-information extension itself (for a ServiceRequest)."""
        parts: list[dict] = []
        if coverage_reference:
            parts.append({"url": "coverage", "valueReference": {"reference": coverage_reference}})
        parts.append({"url": "covered", "valueCode": self.covered})
        if self.pa_needed:
            parts.append({"url": "pa-needed", "valueCode": self.pa_needed})
        if self.doc_needed:
            parts.append({"url": "doc-needed", "valueCode": self.doc_needed})
        if self.doc_purpose:
            parts.append({"url": "doc-purpose", "valueCode": self.doc_purpose})
        if self.info_needed:
            parts.append({"url": "info-needed", "valueCode": self.info_needed})
        parts.append({"url": "billingCode", "valueCoding": self.billing_code()})
        parts.append({"url": "reason", "valueCodeableConcept": {"text": self.reason}})
        if self.policy is not None and self.policy.source_url:
            parts.append({"url": "policy", "valueUrl": self.policy.source_url})
        parts.append({"url": "date", "valueDate": self.date.isoformat()})
        parts.append({"url": "coverage-assertion-id",
                      "valueString": f"{self.payer}:{self.cpt}:{self.policy.id if self.policy else '-'}:"
                                     f"{self.date.isoformat()}"})
        return {"url": CRD_EXTENSION_URL, "extension": parts}


def coverage_information(*, payer: str, cpt: str, on: datetime.date,
                         policies: PolicySet | None = None) -> CoverageInformation:
    """Whether ``payer`` covers ``cpt`` on ``on``, needs an authorization for it, by which policy and
    why, and what documentation the policy's criteria need. Raises UnknownPayer."""
    policies = policies or policy_set()
    payer_data = policies.payer(payer)
    if cpt in payer_data.not_covered:
        return CoverageInformation(payer=payer, cpt=cpt, date=on, covered="not-covered", pa_needed=None,
                                   doc_needed=None, doc_purpose=None, info_needed=None,
                                   reason=f"not_covered: {payer_data.not_covered[cpt]}", policy=None, documentation=())
    policy = policies.policy_for(payer, cpt, on)
    if policy is None:
        needed = cpt in payer_data.auth_required_codes
        reason = (f"{payer_data.name} requires prior authorization for {cpt} (payer list; no criteria policy)."
                  if needed else f"{payer_data.name} has no prior-authorization requirement for {cpt}.")
        return CoverageInformation(payer=payer, cpt=cpt, date=on, covered="covered",
                                   pa_needed="auth-needed" if needed else "no-auth", doc_needed=None,
                                   doc_purpose=None, info_needed=None, reason=reason, policy=None, documentation=())
    documentation = tuple(documentation_needed(c.id, dict(c.params)) for c in policy.criteria)
    need = "requires" if policy.requires_auth else "does not require"
    reason = f"{payer_data.name} {need} prior authorization for {cpt} under {policy.name} ({policy.source})."
    return CoverageInformation(
        payer=payer, cpt=cpt, date=on, covered="covered",
        pa_needed="auth-needed" if policy.requires_auth else "no-auth",
        doc_needed="clinical" if documentation else None,
        doc_purpose=("withpa" if policy.requires_auth else "withclaim") if documentation else None,
        info_needed=None, reason=reason, policy=policy, documentation=documentation,
    )
