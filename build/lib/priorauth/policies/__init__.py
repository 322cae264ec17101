"""Payer policies as data (one YAML file per policy) and their loader; see loader.py."""

from priorauth.policies.catalogue import CRITERION_KINDS, CriterionKind
from priorauth.policies.loader import (
    BUILTIN_DIR,
    Criterion,
    Payer,
    Policy,
    PolicyFileError,
    PolicySet,
    UnknownPayer,
    load_at_startup,
    load_policies,
    policy_set,
)

__all__ = [
    "BUILTIN_DIR", "CRITERION_KINDS", "Criterion", "CriterionKind", "Payer", "Policy", "PolicyFileError",
    "PolicySet", "UnknownPayer", "load_at_startup", "load_policies", "policy_set",
]
