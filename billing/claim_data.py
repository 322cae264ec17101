"""A professional claim as plain data: what the scrubber checks, the 837P writer writes and the
CMS-1500 shows (pure: no ORM, no I/O).

The billing services build a ``ProfessionalClaim`` from the stored claim (its lines, the
encounter's providers, the patient's coverage, the approved prior authorization); everything
downstream of that reads only these objects. Codes are stored as the field writes them: ICD-10-CM
without the dot (``M5416``), CPT/HCPCS five characters, money as ``Decimal`` with two places.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


class Frequency:
    """CLM05-3, the claim frequency type code."""

    ORIGINAL = "1"
    CORRECTED = "7"  # replacement of a prior claim: REF*F8 carries the payer's claim number
    VOID = "8"  # void/cancel of a prior claim: REF*F8 as well


@dataclass(frozen=True)
class Address:
    line1: str
    city: str
    state: str  # two letters
    postal_code: str  # 5 or 9 digits, no dash (the billing provider's must be 9 in an 837P)
    line2: str = ""


@dataclass(frozen=True)
class Provider:
    """A billing or rendering provider (loops 2010AA, 2310B): an organization (entity type 2) when
    ``first_name`` is empty, else a person (entity type 1)."""

    npi: str  # 10 digits, Luhn check digit with the 80840 prefix
    last_name_or_org: str
    first_name: str = ""
    taxonomy: str = ""  # NUCC code, e.g. 208VP0014X (Interventional Pain Medicine)
    tax_id: str = ""  # EIN, 9 digits (the billing provider's REF*EI)
    address: Address | None = None  # required for the billing provider

    @property
    def is_person(self) -> bool:
        return bool(self.first_name)


@dataclass(frozen=True)
class Subscriber:
    """The insured (loop 2010BA): PracOps bills the patient as the subscriber (SBR02 = 18, self)."""

    member_id: str
    last_name: str
    first_name: str
    birth_date: date | None
    sex: str  # F, M or U
    address: Address | None = None
    group_number: str = ""
    plan_name: str = ""
    claim_filing_code: str = "CI"  # SBR09: CI commercial, MB Medicare Part B, MC Medicaid, ...


@dataclass(frozen=True)
class Payer:
    """The destination payer (loop 2010BB)."""

    name: str
    payer_id: str  # the clearinghouse's payer id (NM109, PI)


@dataclass(frozen=True)
class Party:
    """The submitter (1000A) or receiver (1000B) of a file."""

    name: str
    identifier: str  # ETIN / receiver id
    contact_name: str = ""
    contact_phone: str = ""  # 10 digits


@dataclass(frozen=True)
class ServiceLine:
    """One 2400 loop: an SV1 with its date, and the line control number (REF*6R) that 835s and
    277CAs use to name the line."""

    number: int  # LX01, 1-based
    procedure_code: str  # CPT/HCPCS
    charge: Decimal
    units: Decimal
    service_date: date
    diagnosis_pointers: tuple[int, ...]  # 1 to 4 positions (1-based) in ProfessionalClaim.diagnoses
    modifiers: tuple[str, ...] = ()  # up to 4 (50, RT, LT, 59, XS, ...)
    control_number: str = ""  # REF*6R, unique per line in the file
    place_of_service: str = ""  # SV105, only when it differs from the claim's
    rendering: Provider | None = None  # only when it differs from the claim's


@dataclass(frozen=True)
class ProfessionalClaim:
    """One claim (2300 loop and what it hangs from)."""

    claim_id: str  # CLM01, PracOps' patient control number; the 277CA and 835 echo it
    billing: Provider
    subscriber: Subscriber
    payer: Payer
    diagnoses: tuple[str, ...]  # ICD-10-CM, principal first (ABK), others ABF; up to 12
    lines: tuple[ServiceLine, ...]
    place_of_service: str = "11"  # CLM05-1: 11 office, 22 on-campus outpatient hospital, 24 ASC
    frequency: str = Frequency.ORIGINAL
    payer_claim_number: str = ""  # REF*F8 for frequency 7 and 8
    prior_authorization: str = ""  # REF*G1
    rendering: Provider | None = None  # 2310B, when the rendering provider is not the billing one
    referring: Provider | None = None
    facility: Provider | None = None  # 2310C service facility, when not the billing provider's address
    onset_date: date | None = None
    statement_date: date | None = None  # when the claim was made (for timely filing)

    @property
    def total_charge(self) -> Decimal:
        return sum((line.charge for line in self.lines), Decimal("0.00"))

    @property
    def first_service_date(self) -> date | None:
        return min((line.service_date for line in self.lines), default=None)
