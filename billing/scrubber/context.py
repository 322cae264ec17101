"""What the scrubber needs to know besides the claim (pure: plain data the billing services fill).

The services read the payer's timely filing limit, the patient's authorizations and the lines
already sent from the database; the edits only read this object, so they run the same in a test,
in the admin and before a batch goes out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

# A line already sent: (member id, date of service, procedure code, modifiers in sorted order).
SentLineKey = tuple[str, date, str, tuple[str, ...]]


def sent_line_key(*, member_id: str, service_date: date, procedure_code: str,
                  modifiers: Iterable[str] = ()) -> SentLineKey:
    """The key a sent line is filed under; the order modifiers were keyed in does not matter."""
    return (member_id.strip().upper(), service_date, procedure_code.strip().upper(),
            tuple(sorted(m.strip().upper() for m in modifiers if m.strip())))


class AuthorizationStatus:
    APPROVED = "approved"
    PENDING = "pending"
    DENIED = "denied"


@dataclass(frozen=True)
class AuthorizationOnFile:
    """A prior authorization on file for the patient: its number, the procedure codes it covers,
    the dates it is valid for (both inclusive), the units approved (None: not limited) and the
    units already used by claims sent before this one."""

    number: str
    codes: frozenset[str]
    valid_from: date
    valid_until: date
    status: str = AuthorizationStatus.APPROVED
    approved_units: int | None = None
    units_used: int = 0

    def covers(self, procedure_code: str) -> bool:
        return procedure_code in self.codes

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_until


@dataclass(frozen=True)
class ScrubContext:
    """Everything the edits read besides the claim.

    ``timely_filing_days`` None means the payer's limit is not known (the timely filing edit is
    then skipped, not guessed). ``codes_requiring_authorization`` is the payer's answer for this
    claim's codes, precomputed. ``claims_sent`` maps each line already sent (``sent_line_key``)
    to the claim id it went on.
    """

    today: date
    timely_filing_days: int | None = None
    authorizations: tuple[AuthorizationOnFile, ...] = ()
    codes_requiring_authorization: frozenset[str] = frozenset()
    claims_sent: Mapping[SentLineKey, str] = field(default_factory=dict)

    def requires_authorization(self, procedure_code: str) -> bool:
        return procedure_code in self.codes_requiring_authorization
