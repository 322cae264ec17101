"""Small helpers shared by the scrubber tests."""

from dataclasses import replace

from billing.claim_data import ProfessionalClaim
from billing.scrubber import ScrubContext, scrub


def messages(claim: ProfessionalClaim, context: ScrubContext, edit: str) -> list[str]:
    """What one edit says about a claim (through ``scrub``, the public seam)."""
    return [finding.message for finding in scrub(claim, context) if finding.edit == edit]


def with_lines(claim: ProfessionalClaim, *lines) -> ProfessionalClaim:
    """The claim with these lines, renumbered 1, 2, ... in the order given."""
    return replace(claim, lines=tuple(replace(line, number=n) for n, line in enumerate(lines, start=1)))
