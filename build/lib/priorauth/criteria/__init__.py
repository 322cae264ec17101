"""The criteria engine: merge a patient's note facts, evaluate a payer policy's criteria against
them, and answer whether an order needs an authorization (CRD coverage information). Pure: no ORM,
no HTTP (shared/specs/prior-auth-criteria.md)."""

from priorauth.criteria.coverage import CoverageInformation, coverage_information
from priorauth.criteria.evaluation import CriterionResult, Evaluation, evaluate
from priorauth.criteria.facts import EvidenceSpan, MergedFacts, NoteFactsInput, facts_of_one_note, merge_facts
from priorauth.criteria.rules import (
    INSUFFICIENT,
    MET,
    NOT_APPLICABLE,
    NOT_MET,
    STATUSES,
    PastProcedure,
)

__all__ = [
    "INSUFFICIENT", "MET", "NOT_APPLICABLE", "NOT_MET", "STATUSES", "CoverageInformation", "CriterionResult",
    "Evaluation", "EvidenceSpan", "MergedFacts", "NoteFactsInput", "PastProcedure", "coverage_information",
    "evaluate", "facts_of_one_note", "merge_facts",
]
