"""Billing's FHIR type, registered with the records (``pracops.records.registry``)."""

from __future__ import annotations

from billing.fhir.mapping import ExplanationOfBenefitMapper
from billing.fhir.models import ExplanationOfBenefit
from pracops.records.kinds import FM_STATUS
from pracops.records.registry import ResourceKind, register_resource_type
from pracops.records.search import common_params, date_param, reference_param, token_param

# A claim's payment and adjustments as the payer reported them: read by billing, by the EHR
# (integration) and by front office (who collect what the patient owes); not by clinicians
# (minimum necessary: amounts paid are not care). Written by PracOps only, so no role writes it.
# The grants are in pracops.access.roles.GRANTS.
CLAIM_PAYMENT_GROUP = "claim-payment"

SEARCH_PARAMS = [
    *common_params(),
    reference_param("patient", "patient", "Patient"),
    reference_param("claim", "claim", "Claim", doc="The claim adjudicated (id or Claim/id)"),
    reference_param("coverage", "coverage", "Coverage", doc="The focal insurance's coverage"),
    reference_param("insurer", "insurer", "Organization", doc="The payer"),
    date_param("created", "created", doc="When the payment was posted"),
    token_param("status", "status", doc="active, cancelled, draft or entered-in-error"),
    token_param("outcome", "outcome", doc="queued, complete, error or partial"),
]


def register_billing_types() -> None:
    register_resource_type(ResourceKind(
        "ExplanationOfBenefit", ExplanationOfBenefit, ExplanationOfBenefitMapper(),
        search_params={p.name: p for p in SEARCH_PARAMS}, groups=frozenset({CLAIM_PAYMENT_GROUP}),
        required_codes={"status": FM_STATUS, "use": frozenset({"claim", "preauthorization", "predetermination"}),
                        "outcome": frozenset({"queued", "complete", "error", "partial"})},
    ))
