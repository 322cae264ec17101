"""The practice's core record types, registered when the records app is ready."""

from __future__ import annotations

from pracops.fhir.mapping import MAPPERS
from pracops.records import models
from pracops.records.registry import ResourceKind, register_resource_type
from pracops.records.search import SEARCH_PARAMS

GENDER = frozenset({"male", "female", "other", "unknown"})

# Type groups (what a type is for), which the roles in pracops.access.roles are granted:
# every core type is exchanged with the EHR and part of the chart staff read.
_SHARED = frozenset({"exchanged", "chart"})
_REGISTRATION = _SHARED | {"registration"}
_CLINICAL = _SHARED | {"clinical"}
_CLAIM_EVIDENCE = frozenset({"claim-evidence"})  # what billing reads to build a claim
# The Claim/ClaimResponse pair of a prior authorization: written by the workflow as the system,
# read by the EHR and staff. Not "exchanged": the EHR reads them but never sends them.
_AUTHORIZATION_STATUS = frozenset({"authorization-status"})
FM_STATUS = frozenset({"active", "cancelled", "draft", "entered-in-error"})
CLAIM_USE = frozenset({"claim", "preauthorization", "predetermination"})

# (type, groups, required code bindings), in the order they are written: each after the
# types its foreign keys point at.
_CORE: list[tuple[str, frozenset[str], dict[str, frozenset[str]]]] = [
    ("Organization", _REGISTRATION | _CLAIM_EVIDENCE, {}),
    ("Practitioner", _REGISTRATION | _CLAIM_EVIDENCE, {"gender": GENDER}),
    ("Patient", _REGISTRATION | _CLAIM_EVIDENCE, {"gender": GENDER}),
    ("Coverage", _REGISTRATION | {"payer"}, {
        "status": frozenset({"active", "cancelled", "draft", "entered-in-error"}),
    }),
    ("Encounter", _CLINICAL | _CLAIM_EVIDENCE, {
        "status": frozenset({"planned", "arrived", "triaged", "in-progress", "onleave", "finished",
                             "cancelled", "entered-in-error", "unknown"}),
    }),
    ("Condition", _CLINICAL | _CLAIM_EVIDENCE, {}),
    ("Procedure", _CLINICAL | _CLAIM_EVIDENCE, {
        "status": frozenset({"preparation", "in-progress", "not-done", "on-hold", "stopped", "completed",
                             "entered-in-error", "unknown"}),
    }),
    ("ServiceRequest", _CLINICAL | _CLAIM_EVIDENCE | {"orders"}, {
        "status": frozenset({"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}),
        "intent": frozenset({"proposal", "plan", "directive", "order", "original-order", "reflex-order",
                             "filler-order", "instance-order", "option"}),
    }),
    ("Observation", _CLINICAL, {
        "status": frozenset({"registered", "preliminary", "final", "amended", "corrected", "cancelled",
                             "entered-in-error", "unknown"}),
    }),
    ("DocumentReference", _CLINICAL, {"status": frozenset({"current", "superseded", "entered-in-error"})}),
    ("Claim", _AUTHORIZATION_STATUS, {"status": FM_STATUS, "use": CLAIM_USE}),
    ("ClaimResponse", _AUTHORIZATION_STATUS, {
        "status": FM_STATUS, "use": CLAIM_USE, "outcome": frozenset({"queued", "complete", "error", "partial"}),
    }),
]


def register_core_types() -> None:
    for resource_type, groups, required_codes in _CORE:
        register_resource_type(ResourceKind(
            resource_type, getattr(models, resource_type), MAPPERS[resource_type],
            search_params=SEARCH_PARAMS[resource_type], groups=groups, required_codes=required_codes,
        ))
