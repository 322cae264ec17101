"""Writing professional claims as an 837P (ASC X12 005010X222A1), the file a clearinghouse takes.

Pure: ``ProfessionalClaim`` objects in, X12 text out, through ``billing.x12.envelope`` (the one
place X12 text is built). One file may hold many claims: claims are grouped under one billing
provider (2000A) per provider and one subscriber (2000B) per subscriber and payer, in the order
they first appear, so the same claims always give the same file.

Data the implementation guide forbids (a PO box as the billing provider's address, a five-digit
ZIP where nine are required, an NPI that fails its check digit, a 13th diagnosis, ...) is refused
with a ``ValueError`` that names the claim id and the field, never the field's value: these
messages reach logs, and the values are patient data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from billing.claim_data import Address, Frequency, Party, Payer, ProfessionalClaim, Provider, ServiceLine, Subscriber
from billing.x12.envelope import DEFAULT_DELIMITERS, Envelope, Transaction, write_interchange
from billing.x12.guide_rules import is_nine_digit_zip, is_po_box, is_valid_npi

GUIDE = "005010X222A1"

# The guide asks submitters to keep a transaction set to at most 5,000 claims (CLM segments).
MAX_CLAIMS_PER_TRANSACTION = 5000
# A subscriber's 2000B holds at most 100 claims (the 2300 loop repeats 100 times); more start another.
MAX_CLAIMS_PER_SUBSCRIBER_LOOP = 100
MAX_DIAGNOSES = 12  # HI01..HI12 of the one Health Care Diagnosis Code segment
MAX_LINES = 50  # the 2400 loop repeats 50 times
MAX_MODIFIERS = 4  # SV101-3..SV101-6
MAX_POINTERS = 4  # SV107-1..SV107-4

CLAIM_FILING_CODES = frozenset({
    "11", "12", "13", "14", "15", "16", "17", "AM", "BL", "CH", "CI", "DS", "FI", "HM", "LM", "MA", "MB",
    "MC", "OF", "TV", "VA", "WC", "ZZ",
})
FREQUENCIES = frozenset({Frequency.ORIGINAL, Frequency.CORRECTED, Frequency.VOID})
SEXES = frozenset({"F", "M", "U"})

_DIGITS = re.compile(r"\d+")
_STATE = re.compile(r"[A-Z]{2}")
_ICD10 = re.compile(r"[A-Z][0-9][0-9A-Z]{1,5}")
_PROCEDURE = re.compile(r"[A-Z0-9]{5}")
_MODIFIER = re.compile(r"[A-Z0-9]{2}")
_TAXONOMY = re.compile(r"[0-9A-Z]{9}X")
_PLACE = re.compile(r"\d{2}")


def write_837p(claims: Sequence[ProfessionalClaim], *, submitter: Party, receiver: Party, envelope: Envelope,
               first_set_control: int = 1, claims_per_transaction: int = MAX_CLAIMS_PER_TRANSACTION,
               line_breaks: bool = True) -> str:
    """One interchange holding ``claims`` as 837P transaction sets of at most ``claims_per_transaction``
    claims each, numbered from ``first_set_control``. Raises ``ValueError`` for data the guide forbids
    (the message names the claim id and the field) and for an envelope that is not a claim's (GS01 HC)."""
    if not claims:
        raise ValueError("an 837P holds at least one claim")
    if not 0 < claims_per_transaction <= MAX_CLAIMS_PER_TRANSACTION:
        raise ValueError(f"claims_per_transaction runs from 1 to {MAX_CLAIMS_PER_TRANSACTION}")
    if envelope.functional_id != "HC":
        raise ValueError("an 837P's functional group is HC (GS01)")
    _check_party(submitter, "submitter", contact=True)
    _check_party(receiver, "receiver", contact=False)
    _check_file(claims)
    ordered = _grouped(claims)
    transactions = []
    for offset, start in enumerate(range(0, len(ordered), claims_per_transaction)):
        reference = f"{envelope.interchange_control:09d}{first_set_control + offset:04d}"
        segments = _header(reference, envelope, submitter, receiver)
        segments += _detail(ordered[start:start + claims_per_transaction])
        transactions.append(Transaction("837", GUIDE, segments))
    return write_interchange(envelope, transactions, first_set_control=first_set_control, line_breaks=line_breaks)


# --- the transaction set ----------------------------------------------------------------------


def _header(reference: str, envelope: Envelope, submitter: Party, receiver: Party) -> list[list[object]]:
    created = envelope.created
    return [
        # 0019 information source, subscriber, dependent; 00 original; CH chargeable
        ["BHT", "0019", "00", reference, created.strftime("%Y%m%d"), created.strftime("%H%M"), "CH"],
        ["NM1", "41", "2", submitter.name, "", "", "", "", "46", submitter.identifier],  # 1000A
        ["PER", "IC", submitter.contact_name, "TE", submitter.contact_phone],
        ["NM1", "40", "2", receiver.name, "", "", "", "", "46", receiver.identifier],  # 1000B
    ]


def _detail(claims: Sequence[ProfessionalClaim]) -> list[list[object]]:
    """The 2000A/2000B/2300/2400 loops of claims already in grouped order."""
    segments: list[list[object]] = []
    hl = 0
    provider_hl = 0
    current_provider: Provider | None = None
    current_subscriber: tuple[Subscriber, Payer] | None = None
    claims_in_subscriber = 0
    for claim in claims:
        if claim.billing != current_provider:
            hl += 1
            provider_hl, current_provider, current_subscriber = hl, claim.billing, None
            segments += _billing_provider(hl, claim.billing)
        key = (claim.subscriber, claim.payer)
        if key != current_subscriber or claims_in_subscriber == MAX_CLAIMS_PER_SUBSCRIBER_LOOP:
            hl += 1
            current_subscriber, claims_in_subscriber = key, 0
            segments += _subscriber(hl, provider_hl, claim.subscriber, claim.payer)
        claims_in_subscriber += 1
        segments += _claim(claim)
    return segments


def _billing_provider(hl: int, provider: Provider) -> list[list[object]]:
    address = provider.address
    assert address is not None  # _check_file refused a billing provider without one
    segments: list[list[object]] = [["HL", hl, "", "20", "1"]]
    if provider.taxonomy:
        segments.append(["PRV", "BI", "PXC", provider.taxonomy])
    segments.append(_name("85", provider))
    segments += _address(address)
    segments.append(["REF", "EI", provider.tax_id])
    return segments


def _subscriber(hl: int, parent: int, subscriber: Subscriber, payer: Payer) -> list[list[object]]:
    address = subscriber.address
    assert address is not None and subscriber.birth_date is not None  # checked in _check_file
    # SBR04 (group or plan name) is sent only when there is no group number (TR3 2000B SBR04 note).
    plan_name = "" if subscriber.group_number else subscriber.plan_name
    return [
        ["HL", hl, parent, "22", "0"],  # 0: no 2000C, PracOps bills the patient as the subscriber
        ["SBR", "P", "18", subscriber.group_number, plan_name, "", "", "", "", subscriber.claim_filing_code],
        ["NM1", "IL", "1", subscriber.last_name, subscriber.first_name, "", "", "", "MI", subscriber.member_id],
        *_address(address),
        ["DMG", "D8", _date(subscriber.birth_date), subscriber.sex],
        ["NM1", "PR", "2", payer.name, "", "", "", "", "PI", payer.payer_id],
    ]


def _claim(claim: ProfessionalClaim) -> list[list[object]]:
    segments: list[list[object]] = [[
        "CLM", claim.claim_id, _amount(claim.total_charge), "", "",
        (claim.place_of_service, "B", claim.frequency),  # B: the place of service code set
        "Y", "A", "Y", "Y",  # provider signature on file, assigned, benefits assigned, release signed
    ]]
    if claim.onset_date is not None:
        segments.append(["DTP", "431", "D8", _date(claim.onset_date)])
    if claim.prior_authorization:
        segments.append(["REF", "G1", claim.prior_authorization])
    if claim.frequency in (Frequency.CORRECTED, Frequency.VOID):
        segments.append(["REF", "F8", claim.payer_claim_number])
    segments.append(["HI", *_diagnoses(claim.diagnoses)])
    if claim.referring is not None:
        segments.append(_name("DN", claim.referring))  # 2310A
    claim_rendering = claim.billing
    if claim.rendering is not None and claim.rendering.npi != claim.billing.npi:
        claim_rendering = claim.rendering
        segments += _rendering(claim.rendering)  # 2310B
    if claim.facility is not None:  # 2310C
        assert claim.facility.address is not None  # checked in _check_file
        segments.append(_name("77", claim.facility, organization=True))
        segments += _address(claim.facility.address)
    for line in claim.lines:
        segments += _line(line, claim, claim_rendering)
    return segments


def _line(line: ServiceLine, claim: ProfessionalClaim, claim_rendering: Provider) -> list[list[object]]:
    place = line.place_of_service if line.place_of_service != claim.place_of_service else ""
    segments: list[list[object]] = [
        ["LX", line.number],
        ["SV1", ("HC", line.procedure_code, *line.modifiers), _amount(line.charge), "UN", _amount(line.units),
         place, "", tuple(str(p) for p in line.diagnosis_pointers)],
        ["DTP", "472", "D8", _date(line.service_date)],
        ["REF", "6R", line.control_number],
    ]
    if line.rendering is not None and line.rendering.npi != claim_rendering.npi:
        segments += _rendering(line.rendering)  # 2420A
    return segments


def _rendering(provider: Provider) -> list[list[object]]:
    segments = [_name("82", provider)]
    if provider.taxonomy:
        segments.append(["PRV", "PE", "PXC", provider.taxonomy])
    return segments


def _diagnoses(codes: Sequence[str]) -> list[tuple[str, str]]:
    """HI01 the principal diagnosis (ABK), HI02..HI12 the others (ABF)."""
    return [("ABK" if index == 0 else "ABF", code) for index, code in enumerate(codes)]


def _name(entity: str, provider: Provider, *, organization: bool = False) -> list[object]:
    if provider.is_person and not organization:
        return ["NM1", entity, "1", provider.last_name_or_org, provider.first_name, "", "", "", "XX", provider.npi]
    if not provider.npi:
        return ["NM1", entity, "2", provider.last_name_or_org]
    return ["NM1", entity, "2", provider.last_name_or_org, "", "", "", "", "XX", provider.npi]


def _address(address: Address) -> list[list[object]]:
    return [["N3", address.line1, address.line2], ["N4", address.city, address.state, address.postal_code]]


def _date(value: date) -> str:
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def _amount(value: Decimal) -> str:
    """An X12 decimal (R): no exponent, trailing zeros after the point dropped (1200.00 -> 1200)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


# --- grouping ---------------------------------------------------------------------------------


def _grouped(claims: Sequence[ProfessionalClaim]) -> list[ProfessionalClaim]:
    """The claims ordered by billing provider, then subscriber and payer, each in order of first
    appearance (so a file's order follows the input's and is the same for the same input)."""
    providers: dict[Provider, dict[tuple[Subscriber, Payer], list[ProfessionalClaim]]] = {}
    for claim in claims:
        providers.setdefault(claim.billing, {}).setdefault((claim.subscriber, claim.payer), []).append(claim)
    return [claim for subscribers in providers.values() for group in subscribers.values() for claim in group]


# --- what the guide forbids ------------------------------------------------------------------


class _Refusal:
    """Raises the ValueError for one claim's field: the claim id and the field, never the value."""

    def __init__(self, where: str) -> None:
        self.where = where

    def __call__(self, field: str, problem: str) -> ValueError:
        return ValueError(f"{self.where}: {field} {problem}")


def _check_file(claims: Sequence[ProfessionalClaim]) -> None:
    claim_ids: set[str] = set()
    line_controls: set[str] = set()
    for claim in claims:
        if not claim.claim_id:
            raise ValueError("a claim has no claim_id (CLM01)")
        refuse = _Refusal(f"claim {claim.claim_id}")
        if claim.claim_id in claim_ids:
            raise refuse("claim_id", "appears twice in the file (CLM01 must name one claim)")
        claim_ids.add(claim.claim_id)
        _check_claim(claim, refuse)
        for line in claim.lines:
            if line.control_number in line_controls:
                raise refuse(f"line {line.number} control_number", "is used by another line in the file (REF*6R)")
            line_controls.add(line.control_number)


def _check_claim(claim: ProfessionalClaim, refuse: _Refusal) -> None:
    _length(refuse, "claim_id", claim.claim_id, 1, 20)
    _check_provider(claim.billing, "billing", refuse, billing=True)
    _check_subscriber(claim.subscriber, refuse)
    _length(refuse, "payer.name", claim.payer.name, 1, 60)
    _length(refuse, "payer.payer_id", claim.payer.payer_id, 2, 80)
    if not _PLACE.fullmatch(claim.place_of_service):
        raise refuse("place_of_service", "must be two digits (CLM05-1)")
    if claim.frequency not in FREQUENCIES:
        raise refuse("frequency", "must be 1 (original), 7 (corrected) or 8 (void) (CLM05-3)")
    if claim.frequency in (Frequency.CORRECTED, Frequency.VOID):
        if not claim.payer_claim_number:
            raise refuse("payer_claim_number", "is required for a corrected or void claim (REF*F8)")
        _length(refuse, "payer_claim_number", claim.payer_claim_number, 1, 50)
    _length(refuse, "prior_authorization", claim.prior_authorization, 0, 50)
    if not 1 <= len(claim.diagnoses) <= MAX_DIAGNOSES:
        raise refuse("diagnoses", f"must hold 1 to {MAX_DIAGNOSES} codes (HI01..HI12)")
    for position, code in enumerate(claim.diagnoses, start=1):
        if not _ICD10.fullmatch(code):
            raise refuse(f"diagnosis {position}", "is not an ICD-10-CM code without its dot")
    if len(set(claim.diagnoses)) != len(claim.diagnoses):
        raise refuse("diagnoses", "repeat a code")
    for name, provider in (("rendering", claim.rendering), ("referring", claim.referring)):
        if provider is not None:
            _check_provider(provider, name, refuse)
            if name == "referring" and not provider.is_person:
                raise refuse("referring", "must be a person (2310A NM102 is 1)")
    if claim.facility is not None:
        _check_facility(claim.facility, refuse)
    if not 1 <= len(claim.lines) <= MAX_LINES:
        raise refuse("lines", f"must hold 1 to {MAX_LINES} service lines (2400)")
    for expected, line in enumerate(claim.lines, start=1):
        _check_line(line, expected, len(claim.diagnoses), refuse)


def _check_line(line: ServiceLine, expected: int, diagnoses: int, refuse: _Refusal) -> None:
    where = f"line {line.number}"
    if line.number != expected:
        raise refuse(f"{where} number", f"must be {expected}: lines are numbered 1, 2, 3 ... (LX01)")
    if not _PROCEDURE.fullmatch(line.procedure_code):
        raise refuse(f"{where} procedure_code", "must be a five-character CPT/HCPCS code (SV101-2)")
    if len(line.modifiers) > MAX_MODIFIERS:
        raise refuse(f"{where} modifiers", f"hold at most {MAX_MODIFIERS} (SV101-3..6)")
    if any(not _MODIFIER.fullmatch(modifier) for modifier in line.modifiers):
        raise refuse(f"{where} modifiers", "must be two characters each")
    if line.charge < 0 or line.charge.as_tuple().exponent < -2:  # type: ignore[operator]
        raise refuse(f"{where} charge", "must be zero or more, in dollars and cents (SV102)")
    if line.units <= 0 or len(_amount(line.units).replace(".", "")) > 15:
        raise refuse(f"{where} units", "must be more than zero, at most 15 digits (SV104)")
    pointers = line.diagnosis_pointers
    if not 1 <= len(pointers) <= MAX_POINTERS or len(set(pointers)) != len(pointers):
        raise refuse(f"{where} diagnosis_pointers", f"must be 1 to {MAX_POINTERS} distinct positions (SV107)")
    if any(not 1 <= pointer <= diagnoses for pointer in pointers):
        raise refuse(f"{where} diagnosis_pointers", "point past the claim's diagnoses")
    _length(refuse, f"{where} control_number", line.control_number, 1, 50)
    if line.place_of_service and not _PLACE.fullmatch(line.place_of_service):
        raise refuse(f"{where} place_of_service", "must be two digits (SV105)")
    if line.rendering is not None:
        _check_provider(line.rendering, f"{where} rendering", refuse)


def _check_provider(provider: Provider, field: str, refuse: _Refusal, *, billing: bool = False) -> None:
    _check_npi(provider.npi, f"{field}.npi", refuse)
    _length(refuse, f"{field}.last_name_or_org", provider.last_name_or_org, 1, 60)
    _length(refuse, f"{field}.first_name", provider.first_name, 0, 35)
    if provider.taxonomy and not _TAXONOMY.fullmatch(provider.taxonomy):
        raise refuse(f"{field}.taxonomy", "is not a NUCC taxonomy code (ten characters ending in X)")
    if not billing:
        return
    if not _digits(provider.tax_id, 9):
        raise refuse(f"{field}.tax_id", "must be the nine-digit EIN (2010AA REF*EI)")
    if provider.address is None:
        raise refuse(f"{field}.address", "is required (2010AA N3/N4)")
    _check_address(provider.address, f"{field}.address", refuse, nine_digit_zip=True)
    if is_po_box(provider.address.line1) or is_po_box(provider.address.line2):
        raise refuse(f"{field}.address", "must be a street address, not a PO or lock box (2010AA N3)")


def _check_facility(facility: Provider, refuse: _Refusal) -> None:
    if facility.npi:
        _check_npi(facility.npi, "facility.npi", refuse)
    _length(refuse, "facility.last_name_or_org", facility.last_name_or_org, 1, 60)
    if facility.address is None:
        raise refuse("facility.address", "is required (2310C N3/N4)")
    _check_address(facility.address, "facility.address", refuse, nine_digit_zip=True)


def _check_subscriber(subscriber: Subscriber, refuse: _Refusal) -> None:
    _length(refuse, "subscriber.member_id", subscriber.member_id, 2, 80)
    _length(refuse, "subscriber.last_name", subscriber.last_name, 1, 60)
    _length(refuse, "subscriber.first_name", subscriber.first_name, 0, 35)
    # The subscriber is the patient, so the guide requires the address and demographics (2010BA N3/N4, DMG).
    if subscriber.birth_date is None:
        raise refuse("subscriber.birth_date", "is required when the subscriber is the patient (DMG02)")
    if subscriber.sex not in SEXES:
        raise refuse("subscriber.sex", "must be F, M or U (DMG03)")
    if subscriber.address is None:
        raise refuse("subscriber.address", "is required when the subscriber is the patient (2010BA N3/N4)")
    _check_address(subscriber.address, "subscriber.address", refuse, nine_digit_zip=False)
    _length(refuse, "subscriber.group_number", subscriber.group_number, 0, 50)
    _length(refuse, "subscriber.plan_name", subscriber.plan_name, 0, 60)
    if subscriber.claim_filing_code not in CLAIM_FILING_CODES:
        raise refuse("subscriber.claim_filing_code", "is not a claim filing indicator code (SBR09)")


def _check_address(address: Address, field: str, refuse: _Refusal, *, nine_digit_zip: bool) -> None:
    _length(refuse, f"{field}.line1", address.line1, 1, 55)
    _length(refuse, f"{field}.line2", address.line2, 0, 55)
    _length(refuse, f"{field}.city", address.city, 2, 30)
    if not _STATE.fullmatch(address.state):
        raise refuse(f"{field}.state", "must be two capital letters (N402)")
    if nine_digit_zip and not is_nine_digit_zip(address.postal_code):
        raise refuse(f"{field}.postal_code", "must be the nine-digit ZIP code (N403)")
    if not (_digits(address.postal_code, 5) or _digits(address.postal_code, 9)):
        raise refuse(f"{field}.postal_code", "must be five or nine digits (N403)")


def _check_npi(npi: str, field: str, refuse: _Refusal) -> None:
    if not is_valid_npi(npi):
        raise refuse(field, "is not a ten-digit NPI with a valid check digit")


def _check_party(party: Party, role: str, *, contact: bool) -> None:
    if not 1 <= len(party.name) <= 60:
        raise ValueError(f"{role}: name must be 1 to 60 characters (NM103)")
    if not 2 <= len(party.identifier) <= 80:
        raise ValueError(f"{role}: identifier must be 2 to 80 characters (NM109)")
    if contact and not _digits(party.contact_phone, 10):
        raise ValueError(f"{role}: contact_phone must be ten digits (1000A PER04)")
    if contact and len(party.contact_name) > 60:
        raise ValueError(f"{role}: contact_name is longer than 60 characters (PER02)")


def _digits(value: str, count: int) -> bool:
    return len(value) == count and bool(_DIGITS.fullmatch(value))


def _length(refuse: _Refusal, field: str, value: str, low: int, high: int) -> None:
    # measured as written: delimiters and characters outside the X12 set become spaces, then trimmed
    written = DEFAULT_DELIMITERS.clean(value)
    if not low <= len(written) <= high:
        problem = "is required" if low and not written else f"must be {low} to {high} characters"
        raise refuse(field, problem)
