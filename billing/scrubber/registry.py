"""Every edit the scrubber runs, in the order a biller works a claim, and ``scrub`` itself."""

from __future__ import annotations

from billing.claim_data import ProfessionalClaim
from billing.scrubber.context import ScrubContext
from billing.scrubber.edits import claim_fields, coding, coverage, diagnoses
from billing.scrubber.findings import Edit, EditFinding, Severity

ERROR, WARNING = Severity.ERROR, Severity.WARNING

EDITS: tuple[Edit, ...] = (
    Edit("required-fields", "Required fields", ERROR, claim_fields.required_fields),
    Edit("npi-check-digit", "NPI check digit", ERROR, claim_fields.npi_check_digit),
    Edit("icd10-format", "ICD-10-CM diagnosis format", ERROR, diagnoses.icd10_format),
    Edit("diagnosis-pointers", "Diagnosis pointers", ERROR, diagnoses.diagnosis_pointers),
    Edit("add-on-without-primary", "Add-on code without its primary code", ERROR, coding.add_on_without_primary),
    Edit("imaging-guidance-included", "Imaging guidance already in the procedure", ERROR,
         coding.imaging_guidance_included),
    Edit("facet-third-level", "Third facet level", WARNING, coding.facet_third_level),
    Edit("bilateral-modifiers", "Bilateral modifier 50 versus RT/LT", ERROR, coding.bilateral_modifiers),
    Edit("units-over-mue", "Units over the medically unlikely edit table", ERROR, coding.units_over_mue),
    Edit("authorization-missing", "Prior authorization missing", ERROR, coverage.authorization_missing),
    Edit("authorization-expired", "Date of service outside the authorization", ERROR, coverage.authorization_expired),
    Edit("authorization-exhausted", "Authorization units used up", ERROR, coverage.authorization_exhausted),
    Edit("timely-filing", "Past the timely filing limit", ERROR, coverage.timely_filing),
    Edit("timely-filing-soon", "Close to the timely filing limit", WARNING, coverage.timely_filing_soon),
    Edit("duplicate-claim", "Duplicate of a claim already sent", ERROR, coverage.duplicate_claim),
)

_SEVERITIES = {ERROR, WARNING}
if len({edit.code for edit in EDITS}) != len(EDITS) or any(edit.severity not in _SEVERITIES for edit in EDITS):
    raise RuntimeError("billing.scrubber: edit codes must be unique and severities error or warning")


def edit(code: str) -> Edit:
    """The registered edit with this code (KeyError when there is none)."""
    for candidate in EDITS:
        if candidate.code == code:
            return candidate
    raise KeyError(code)


def scrub(claim: ProfessionalClaim, context: ScrubContext, *, edits: tuple[Edit, ...] = EDITS) -> list[EditFinding]:
    """Run every edit on the claim and return what they found, errors first, then by line; an empty
    list means the claim may be sent."""
    findings = [finding for each in edits for finding in each.run(claim, context)]
    return sorted(findings, key=lambda f: (f.severity != ERROR, f.line or 0))


def blocks_sending(findings: list[EditFinding]) -> bool:
    """True when any finding is an error (warnings are for a biller's eyes, they do not hold a claim)."""
    return any(finding.severity == ERROR for finding in findings)
