"""What an edit is and what it reports (pure: plain data)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from billing.claim_data import ProfessionalClaim
    from billing.scrubber.context import ScrubContext


class Severity:
    """An error holds the claim back; a warning asks a biller to look before it goes."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class EditFinding:
    """One problem one edit found: ``message`` is for the biller and names the line and procedure
    code (never a patient's name, member id or other identifier); ``line`` is the service line
    number, None for a claim-level problem; ``other_claim`` the id of another claim the problem is
    about (the one a duplicate went on), kept out of the message so that it stays out of logs."""

    edit: str
    severity: str
    message: str
    line: int | None = None
    other_claim: str | None = None


@dataclass(frozen=True)
class Problem:
    """What an edit function yields: a message and, when the problem sits on one line, its number."""

    message: str
    line: int | None = None
    other_claim: str | None = None


EditCheck = Callable[["ProfessionalClaim", "ScrubContext"], Iterable[Problem]]


@dataclass(frozen=True)
class Edit:
    """A named edit: ``code`` (``npi-check-digit``) is what reports and filters use, ``title``
    what a screen shows, ``check`` a function of (claim, context) yielding ``Problem``s."""

    code: str
    title: str
    severity: str
    check: EditCheck

    def run(self, claim: "ProfessionalClaim", context: "ScrubContext") -> list[EditFinding]:
        return [EditFinding(edit=self.code, severity=self.severity, message=problem.message, line=problem.line,
                            other_claim=problem.other_claim)
                for problem in self.check(claim, context)]
