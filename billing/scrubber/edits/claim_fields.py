"""Edits on the claim's own fields: what must be there, and provider NPIs."""

from __future__ import annotations

import re
from collections.abc import Iterator

from billing.claim_data import Frequency, ProfessionalClaim, Provider
from billing.scrubber.context import ScrubContext
from billing.scrubber.edits.wording import line_label
from billing.scrubber.findings import Problem
from pracops.records.validators import npi_is_valid

_CODE = re.compile(r"^(\d{5}|\d{4}[FTU]|[A-V]\d{4})$")


def required_fields(claim: ProfessionalClaim, context: ScrubContext) -> Iterator[Problem]:
    """Every field a clearinghouse rejects the claim without (the 837P's required elements)."""
    billing = claim.billing
    if not billing.npi:
        yield Problem("Billing provider NPI (box 33a) is missing.")
    if not billing.last_name_or_org:
        yield Problem("Billing provider name (box 33) is missing.")
    if not billing.tax_id:
        yield Problem("Billing provider tax ID (box 25) is missing.")
    elif not re.fullmatch(r"\d{9}", billing.tax_id):
        yield Problem("Billing provider tax ID (box 25) must be 9 digits.")
    if billing.address is None:
        yield Problem("Billing provider address (box 33) is missing.")
    elif not re.fullmatch(r"\d{9}", billing.address.postal_code):
        yield Problem("Billing provider ZIP code (box 33) must be the full 9 digits (ZIP+4).")
    subscriber = claim.subscriber
    if not subscriber.member_id:
        yield Problem("Insured's ID number (box 1a) is missing.")
    if not subscriber.last_name or not subscriber.first_name:
        yield Problem("Patient's name (box 2) is incomplete.")
    if subscriber.birth_date is None:
        yield Problem("Patient's birth date (box 3) is missing.")
    if subscriber.sex not in ("F", "M", "U"):
        yield Problem("Patient's sex (box 3) must be F, M or U.")
    if subscriber.address is None:
        yield Problem("Patient's address (box 5) is missing.")
    if not claim.payer.name or not claim.payer.payer_id:
        yield Problem("Payer name or payer ID is missing.")
    if not claim.claim_id:
        yield Problem("Patient account number (box 26) is missing.")
    if not claim.diagnoses:
        yield Problem("No diagnosis in box 21: at least one is required.")
    if not claim.lines:
        yield Problem("The claim has no service lines.")
    if claim.frequency in (Frequency.CORRECTED, Frequency.VOID) and not claim.payer_claim_number:
        yield Problem("A corrected or voided claim needs the payer's original claim number (box 22).")
    for line in claim.lines:
        if not _CODE.match(line.procedure_code):
            yield Problem(f"{line_label(line)}: the procedure code is not a CPT/HCPCS code.", line.number)
        if line.charge <= 0:
            yield Problem(f"{line_label(line)}: the charge (box 24F) must be more than zero.", line.number)
        if line.units <= 0:
            yield Problem(f"{line_label(line)}: units (box 24G) must be at least 1.", line.number)
        if len(line.modifiers) > 4:
            yield Problem(f"{line_label(line)}: at most 4 modifiers fit in box 24D.", line.number)


def _providers(claim: ProfessionalClaim) -> Iterator[tuple[str, Provider, int | None]]:
    yield "Billing provider NPI (box 33a)", claim.billing, None
    if claim.rendering is not None:
        yield "Rendering provider NPI (box 24J)", claim.rendering, None
    if claim.referring is not None:
        yield "Referring provider NPI (box 17b)", claim.referring, None
    if claim.facility is not None:
        yield "Service facility NPI (box 32a)", claim.facility, None
    for line in claim.lines:
        if line.rendering is not None:
            yield f"{line_label(line)}: rendering provider NPI (box 24J)", line.rendering, line.number


def npi_check_digit(claim: ProfessionalClaim, context: ScrubContext) -> Iterator[Problem]:
    """Every NPI on the claim is ten digits with a valid Luhn check digit (80840 prefix)."""
    for what, provider, line in _providers(claim):
        if provider.npi and not npi_is_valid(provider.npi):
            yield Problem(f"{what} {provider.npi} is not a valid NPI (10 digits with a check digit): "
                          "re-key it from the NPPES registry.", line)
