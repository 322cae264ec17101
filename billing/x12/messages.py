"""What the clearinghouse and the payer answer, as plain data: the 999 implementation
acknowledgment, the 277CA claim acknowledgment (and the 277 claim status response), and the 835
remittance advice. The readers return these; the sandbox clearinghouse writes them; posting reads
only these. Money is ``Decimal``; codes are kept as the file gives them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

# --- envelope -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interchange:
    """Where a file came from: ISA and GS control numbers, so the same file is recognised twice."""

    sender_id: str  # ISA06, trimmed
    receiver_id: str  # ISA08, trimmed
    control_number: str  # ISA13
    group_control_number: str  # GS06
    functional_id: str  # GS01
    guide: str  # GS08, e.g. 005010X221A1
    created: str  # ISA09 + ISA10 as written (YYMMDDHHMM)
    usage: str  # ISA15, P or T


# --- 999 ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentError:
    """An IK3 (and its IK4s): where the receiver found fault in a transaction set."""

    segment_id: str  # IK301
    position: int  # IK302, the segment's position in the set (ST is 1)
    loop: str  # IK303
    code: str  # IK304 implementation segment syntax error code
    element_errors: tuple[tuple[str, str], ...] = ()  # (IK401 position, IK403 code)


@dataclass(frozen=True)
class TransactionAcknowledgment:
    """An AK2 ... IK5: one transaction set's verdict."""

    set_code: str  # AK201, e.g. 837
    set_control_number: str  # AK202, the ST02 acknowledged
    status: str  # IK501: A accepted, E accepted with errors, R rejected
    errors: tuple[SegmentError, ...] = ()
    syntax_codes: tuple[str, ...] = ()  # IK502..IK506


@dataclass(frozen=True)
class ImplementationAcknowledgment:
    """A 999: the verdict on one functional group of a file PracOps sent."""

    interchange: Interchange
    group_control_number: str  # AK102, the GS06 acknowledged
    functional_id: str  # AK101, e.g. HC
    status: str  # AK901: A, E, P (partially accepted) or R
    transactions: tuple[TransactionAcknowledgment, ...]
    included: int  # AK902
    received: int  # AK903
    accepted: int  # AK904
    version: str = ""  # AK103, the acknowledged group's guide (GS08), e.g. 005010X222A1
    syntax_codes: tuple[str, ...] = ()  # AK905-AK909: why the group itself was refused


# --- 277CA / 277 -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusCode:
    """An STC composite: category (A1 receipt, A2 accepted, A3/A6/A7 rejected, F1 finalized paid,
    F2 denied, P pending ...), status code, entity code."""

    category: str  # STC01-1, e.g. A2
    code: str  # STC01-2, e.g. 20
    entity: str = ""  # STC01-3


@dataclass(frozen=True)
class LineStatus:
    line_control_number: str  # REF*FJ in the 2220D loop (the 837's REF*6R)
    procedure_code: str
    statuses: tuple[StatusCode, ...]
    charge: Decimal | None = None


@dataclass(frozen=True)
class ClaimStatus:
    """One claim's status in a 277CA (2200D) or 277 (2200D/E)."""

    claim_id: str  # TRN02 in 2200D: the 837's CLM01, PracOps' patient control number
    statuses: tuple[StatusCode, ...]
    status_date: date | None  # STC02
    charge: Decimal | None  # STC04
    payer_claim_number: str = ""  # REF*1K, the payer's claim control number
    message: str = ""  # STC12 free-form text, if any
    service_date_from: date | None = None
    service_date_to: date | None = None
    lines: tuple[LineStatus, ...] = ()
    patient_name: str = ""  # NM1*QC (or NM1*IL) of the claim's level, "LAST, FIRST"; never logged
    member_id: str = ""  # that NM109; never logged

    @property
    def rejected(self) -> bool:
        return any(s.category in ("A3", "A6", "A7", "A8") for s in self.statuses)

    @property
    def accepted(self) -> bool:
        return not self.rejected and any(s.category in ("A1", "A2") for s in self.statuses)


@dataclass(frozen=True)
class ClaimStatusReport:
    """A 277CA (005010X214) or a 277 claim status response (005010X212): the claims it names."""

    interchange: Interchange
    guide: str  # which of the two
    claims: tuple[ClaimStatus, ...]


# --- 835 ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Adjustment:
    """One CAS adjustment: group CO/PR/OA/PI/CR, a CARC, its amount and quantity."""

    group: str
    reason: str  # CARC, e.g. 197, 45, 1
    amount: Decimal
    quantity: Decimal | None = None


@dataclass(frozen=True)
class ServicePayment:
    """An SVC line with its CAS, its line control number (REF*6R) and RARCs (LQ*HE)."""

    procedure_code: str
    modifiers: tuple[str, ...]
    charge: Decimal
    paid: Decimal
    units: Decimal | None
    line_control_number: str = ""
    service_date: date | None = None
    adjustments: tuple[Adjustment, ...] = ()
    remarks: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClaimPayment:
    """A CLP loop (2100): the payer's decision on one claim."""

    claim_id: str  # CLP01, the 837's CLM01
    status_code: str  # CLP02: 1/2/3 processed as primary/secondary/tertiary, 4 denied, 22 reversal, ...
    charge: Decimal  # CLP03
    paid: Decimal  # CLP04
    patient_responsibility: Decimal | None  # CLP05
    filing_indicator: str  # CLP06
    payer_claim_number: str  # CLP07
    adjustments: tuple[Adjustment, ...] = ()  # claim-level CAS
    services: tuple[ServicePayment, ...] = ()
    remarks: tuple[str, ...] = ()  # MOA remark codes
    patient_name: str = ""  # NM1*QC, kept for matching a suspense item by hand; never logged

    @property
    def denied(self) -> bool:
        return self.status_code == "4"

    @property
    def reversal(self) -> bool:
        return self.status_code == "22"


@dataclass(frozen=True)
class ProviderAdjustment:
    """A PLB adjustment (not tied to a claim): reason code, reference and amount."""

    provider_id: str
    fiscal_period_end: date | None
    reason: str  # PLB03-1, e.g. WO, L6, FB
    reference: str  # PLB03-2
    amount: Decimal


@dataclass(frozen=True)
class RemittanceAdvice:
    """An 835 transaction set: one payment (or notice) from one payer to one payee."""

    interchange: Interchange
    set_control_number: str  # ST02
    payer_name: str
    payer_id: str  # N1*PR REF*2U or TRN03
    payee_name: str
    payee_npi: str  # N1*PE with XX
    trace_number: str  # TRN02, the check or EFT trace number
    payment_method: str  # BPR04: ACH, CHK, NON
    total_paid: Decimal  # BPR02
    payment_date: date | None  # BPR16
    claims: tuple[ClaimPayment, ...]
    provider_adjustments: tuple[ProviderAdjustment, ...] = ()
