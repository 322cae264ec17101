"""A claim as the CMS-1500 (02/12) form's boxes 1-33 (pure: no ORM, no I/O).

The first of two steps, as for the prior-authorization packet: ``form_context`` turns a
``billing.claim_data.ProfessionalClaim`` into display-ready strings box by box, following the
NUCC 1500 Claim Form Reference Instruction Manual (version 02/12): dates MM DD YY in box 24A and
MM DD YYYY elsewhere, diagnoses without the dot in box 21 with ICD indicator 0 (ICD-10-CM),
diagnosis pointers as letters in box 24E, six service lines a form; a claim with more lines
prints on as many forms as it needs, the total charge (box 28) on the last one only.
``render.render_form`` only lays it out. A box the claim says nothing about is an empty string:
never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing.claim_data import Address, Frequency, ProfessionalClaim, Provider, ServiceLine

LINES_PER_FORM = 6
ICD10_INDICATOR = "0"  # box 21 "ICD Ind.": 9 is ICD-9-CM, 0 is ICD-10-CM
DIAGNOSIS_LETTERS = "ABCDEFGHIJKL"
ONSET_QUALIFIER = "431"  # box 14: onset of current symptoms or illness
REFERRING_QUALIFIER = "DN"  # box 17: referring provider
SIGNATURE_ON_FILE = "SIGNATURE ON FILE"

# Box 1: SBR09 claim filing indicator -> the checkbox it is.
INSURANCE_TYPES = ("Medicare", "Medicaid", "TRICARE", "CHAMPVA", "Group Health Plan", "FECA Blk Lung", "Other")
_FILING_CODE_TYPE = {"MB": "Medicare", "MA": "Medicare", "MC": "Medicaid", "CH": "TRICARE", "VA": "CHAMPVA",
                     "CI": "Group Health Plan", "BL": "Group Health Plan", "HM": "Group Health Plan",
                     "12": "Group Health Plan", "13": "Group Health Plan", "14": "Group Health Plan",
                     "15": "Group Health Plan", "16": "Group Health Plan", "PO": "Group Health Plan",
                     "EP": "Group Health Plan", "FI": "FECA Blk Lung"}
_SEX = {"F": "F", "M": "M"}


@dataclass(frozen=True)
class FormLine:
    """One row of box 24 (A-J); an empty row is all empty strings."""

    date_from: str  # MM DD YY
    date_to: str
    place_of_service: str
    emergency: str
    procedure_code: str
    modifiers: tuple[str, str, str, str]
    diagnosis_pointer: str  # letters, e.g. "AB"
    charge: str  # 1450.00
    units: str
    epsdt: str
    id_qualifier: str
    rendering_npi: str

    @classmethod
    def blank(cls) -> "FormLine":
        return cls("", "", "", "", "", ("", "", "", ""), "", "", "", "", "", "")


@dataclass(frozen=True)
class FormPage:
    number: int
    count: int
    lines: tuple[FormLine, ...]  # always LINES_PER_FORM rows
    total_charge: str  # box 28: on the last page only
    is_last: bool


@dataclass(frozen=True)
class ClaimForm:
    """Boxes 1-33 of the CMS-1500 (02/12) as display strings, with box 24's lines split into pages."""

    claim_id: str
    carrier: tuple[str, ...]  # the payer block top right
    insurance_type: str  # one of INSURANCE_TYPES (box 1)
    insured_id: str  # 1a
    patient_name: str  # 2: Last, First
    patient_birth_date: str  # 3: MM DD YYYY
    patient_sex: str  # 3: M, F or empty
    insured_name: str  # 4
    patient_address: "FormAddress"  # 5
    relationship: str  # 6: Self, Spouse, Child, Other
    insured_address: "FormAddress"  # 7
    other_insured_name: str  # 9
    employment_related: str  # 10a: YES/NO
    auto_accident: str  # 10b
    other_accident: str  # 10c
    insured_group: str  # 11
    insured_birth_date: str  # 11a
    insured_sex: str  # 11a
    insured_plan: str  # 11c
    another_plan: str  # 11d: YES/NO
    patient_signature: str  # 12
    insured_signature: str  # 13
    illness_date: str  # 14
    illness_qualifier: str
    referring_qualifier: str  # 17
    referring_name: str
    referring_npi: str  # 17b
    outside_lab: str  # 20
    icd_indicator: str  # 21
    diagnoses: tuple[tuple[str, str], ...]  # 21: (letter, code) A-L, 12 entries, empty code when none
    resubmission_code: str  # 22
    original_reference: str  # 22
    prior_authorization: str  # 23
    pages: tuple[FormPage, ...]  # 24
    tax_id: str  # 25
    tax_id_type: str  # 25: EIN or SSN
    account_number: str  # 26
    accept_assignment: str  # 27
    amount_paid: str  # 29
    physician_name: str  # 31
    physician_signature_date: str  # 31
    facility_name: str  # 32
    facility_address: tuple[str, ...]
    facility_npi: str  # 32a
    billing_name: str  # 33
    billing_address: tuple[str, ...]
    billing_phone: str
    billing_npi: str  # 33a
    billing_other_id: str  # 33b: ZZ + taxonomy


@dataclass(frozen=True)
class FormAddress:
    street: str
    city: str
    state: str
    zip_code: str
    phone: str = ""


def form_date(day: date | None) -> str:
    """MM DD YYYY, as boxes 3, 11a, 14 and 31 take it."""
    return day.strftime("%m %d %Y") if day else ""


def line_date(day: date | None) -> str:
    """MM DD YY, as box 24A takes it."""
    return day.strftime("%m %d %y") if day else ""


def money(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01')):.2f}"


def zip_code(postal_code: str) -> str:
    return f"{postal_code[:5]}-{postal_code[5:]}" if len(postal_code) == 9 else postal_code


def person_or_org(provider: Provider | None) -> str:
    """A provider's name as the form prints it: 'First Last' or the organization's name."""
    if provider is None:
        return ""
    return f"{provider.first_name} {provider.last_name_or_org}" if provider.is_person else provider.last_name_or_org


def address_lines(address: Address | None) -> tuple[str, ...]:
    if address is None:
        return ()
    street = ", ".join(part for part in (address.line1, address.line2) if part)
    return (street, f"{address.city}, {address.state} {zip_code(address.postal_code)}")


def _form_address(address: Address | None) -> FormAddress:
    if address is None:
        return FormAddress("", "", "", "")
    street = ", ".join(part for part in (address.line1, address.line2) if part)
    return FormAddress(street, address.city, address.state, zip_code(address.postal_code))


def pointer_letters(pointers: tuple[int, ...]) -> str:
    return "".join(DIAGNOSIS_LETTERS[p - 1] for p in pointers if 1 <= p <= len(DIAGNOSIS_LETTERS))


def units_text(units: Decimal) -> str:
    return format(units.normalize(), "f")


def _form_line(line: ServiceLine, claim: ProfessionalClaim) -> FormLine:
    rendering = line.rendering or claim.rendering
    modifiers = tuple(line.modifiers[:4]) + ("",) * (4 - len(line.modifiers[:4]))
    return FormLine(
        date_from=line_date(line.service_date), date_to=line_date(line.service_date),
        place_of_service=line.place_of_service or claim.place_of_service, emergency="",
        procedure_code=line.procedure_code, modifiers=modifiers,  # type: ignore[arg-type]
        diagnosis_pointer=pointer_letters(line.diagnosis_pointers), charge=money(line.charge),
        units=units_text(line.units), epsdt="", id_qualifier="NPI" if rendering else "",
        rendering_npi=rendering.npi if rendering else "",
    )


def form_pages(claim: ProfessionalClaim) -> tuple[FormPage, ...]:
    """Box 24 split into forms of six lines each (one form when the claim has no line)."""
    lines = [_form_line(line, claim) for line in sorted(claim.lines, key=lambda line: line.number)]
    chunks = [lines[i:i + LINES_PER_FORM] for i in range(0, len(lines), LINES_PER_FORM)] or [[]]
    count = len(chunks)
    return tuple(
        FormPage(number=n, count=count,
                 lines=tuple(chunk) + (FormLine.blank(),) * (LINES_PER_FORM - len(chunk)),
                 total_charge=money(claim.total_charge) if n == count else "", is_last=n == count)
        for n, chunk in enumerate(chunks, start=1)
    )


def form_context(claim: ProfessionalClaim) -> ClaimForm:
    """The CMS-1500 boxes for ``claim``; the patient is the insured (PracOps bills SBR02 = 18, self)."""
    subscriber = claim.subscriber
    patient_name = f"{subscriber.last_name}, {subscriber.first_name}".strip(", ")
    patient_address = _form_address(subscriber.address)
    resubmission = claim.frequency if claim.frequency in (Frequency.CORRECTED, Frequency.VOID) else ""
    physician = claim.rendering or claim.billing
    facility = claim.facility
    return ClaimForm(
        claim_id=claim.claim_id,
        carrier=(claim.payer.name,),
        insurance_type=_FILING_CODE_TYPE.get(subscriber.claim_filing_code, "Other"),
        insured_id=subscriber.member_id,
        patient_name=patient_name,
        patient_birth_date=form_date(subscriber.birth_date),
        patient_sex=_SEX.get(subscriber.sex, ""),
        insured_name=patient_name,
        patient_address=patient_address,
        relationship="Self",
        insured_address=patient_address,
        other_insured_name="",
        employment_related="NO", auto_accident="NO", other_accident="NO",
        insured_group=subscriber.group_number,
        insured_birth_date=form_date(subscriber.birth_date),
        insured_sex=_SEX.get(subscriber.sex, ""),
        insured_plan=subscriber.plan_name,
        another_plan="NO",  # PracOps bills one payer per claim: no other subscriber loop (2320) is sent
        patient_signature=SIGNATURE_ON_FILE,
        insured_signature=SIGNATURE_ON_FILE,
        illness_date=form_date(claim.onset_date),
        illness_qualifier=ONSET_QUALIFIER if claim.onset_date else "",
        referring_qualifier=REFERRING_QUALIFIER if claim.referring else "",
        referring_name=person_or_org(claim.referring),
        referring_npi=claim.referring.npi if claim.referring else "",
        outside_lab="NO",
        icd_indicator=ICD10_INDICATOR,
        diagnoses=tuple((letter, claim.diagnoses[i] if i < len(claim.diagnoses) else "")
                        for i, letter in enumerate(DIAGNOSIS_LETTERS)),
        resubmission_code=resubmission,
        original_reference=claim.payer_claim_number if resubmission else "",
        prior_authorization=claim.prior_authorization,
        pages=form_pages(claim),
        tax_id=claim.billing.tax_id,
        tax_id_type="EIN" if claim.billing.tax_id else "",
        account_number=claim.claim_id,
        accept_assignment="YES",
        amount_paid="",
        physician_name=person_or_org(physician),
        physician_signature_date=form_date(claim.statement_date),
        facility_name=person_or_org(facility),
        facility_address=address_lines(facility.address) if facility else (),
        facility_npi=facility.npi if facility else "",
        billing_name=person_or_org(claim.billing),
        billing_address=address_lines(claim.billing.address),
        billing_phone="",
        billing_npi=claim.billing.npi,
        billing_other_id=f"ZZ{claim.billing.taxonomy}" if claim.billing.taxonomy else "",
    )
