"""FHIR errors and the OperationOutcome resources that report them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Issue:
    code: str  # an IssueType code: invalid, structure, required, value, not-found, conflict, ...
    diagnostics: str
    severity: str = "error"
    expression: str | None = None

    def as_fhir(self) -> dict:
        issue = {"severity": self.severity, "code": self.code, "diagnostics": self.diagnostics}
        if self.expression:
            issue["expression"] = [self.expression]
        return issue


class FhirError(Exception):
    """A request the server refuses, with its HTTP status and the issues to report."""

    def __init__(self, status: int, issues: list[Issue] | Issue | str, code: str = "invalid"):
        if isinstance(issues, str):
            issues = [Issue(code, issues)]
        elif isinstance(issues, Issue):
            issues = [issues]
        self.status = status
        self.issues = issues
        super().__init__("; ".join(i.diagnostics for i in issues))

    def outcome(self) -> dict:
        return operation_outcome(self.issues)


def operation_outcome(issues: list[Issue]) -> dict:
    return {"resourceType": "OperationOutcome", "issue": [i.as_fhir() for i in issues]}


def not_found(resource_type: str, fhir_id: str) -> FhirError:
    return FhirError(404, Issue("not-found", f"{resource_type}/{fhir_id} is not known"))
