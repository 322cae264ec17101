"""Edits on box 21 (diagnoses) and box 24E (diagnosis pointers). Messages name a diagnosis by its
box 21 letter, not by its code."""

from __future__ import annotations

import re
from collections.abc import Iterator

from billing.claim_data import ProfessionalClaim
from billing.scrubber.context import ScrubContext
from billing.scrubber.edits.wording import diagnosis_letter, line_label
from billing.scrubber.findings import Problem

# A letter, a digit, a letter or digit, then up to four letters or digits; stored without the dot.
ICD10CM_ON_CLAIM = re.compile(r"^[A-Z][0-9][0-9A-Z][0-9A-Z]{0,4}$")
MAX_DIAGNOSES = 12
MAX_POINTERS = 4


def icd10_format(claim: ProfessionalClaim, context: ScrubContext) -> Iterator[Problem]:
    """Every diagnosis is an ICD-10-CM code as the 837P carries it (no dot), and box 21 holds at most 12."""
    if len(claim.diagnoses) > MAX_DIAGNOSES:
        yield Problem(f"Box 21 holds at most {MAX_DIAGNOSES} diagnoses; this claim has {len(claim.diagnoses)}.")
    for position, code in enumerate(claim.diagnoses, start=1):
        if "." in code:
            yield Problem(f"Diagnosis {diagnosis_letter(position)} (box 21) has a dot: enter ICD-10-CM codes without it.")
        elif not ICD10CM_ON_CLAIM.match(code):
            yield Problem(f"Diagnosis {diagnosis_letter(position)} (box 21) is not an ICD-10-CM code "
                          "(a letter, a digit, then 1 to 5 letters or digits).")
    seen: set[str] = set()
    for position, code in enumerate(claim.diagnoses, start=1):
        if code in seen:
            yield Problem(f"Diagnosis {diagnosis_letter(position)} (box 21) repeats an earlier diagnosis.")
        seen.add(code)


def diagnosis_pointers(claim: ProfessionalClaim, context: ScrubContext) -> Iterator[Problem]:
    """Every line points at 1 to 4 diagnoses that exist in box 21, each once."""
    letters = ", ".join(diagnosis_letter(n) for n in range(1, min(len(claim.diagnoses), MAX_DIAGNOSES) + 1))
    for line in claim.lines:
        pointers = line.diagnosis_pointers
        if not pointers:
            yield Problem(f"{line_label(line)}: no diagnosis pointer (box 24E); point at least one diagnosis.",
                          line.number)
            continue
        if len(pointers) > MAX_POINTERS:
            yield Problem(f"{line_label(line)}: {len(pointers)} diagnosis pointers (box 24E); at most "
                          f"{MAX_POINTERS} are allowed.", line.number)
        for pointer in pointers:
            if not 1 <= pointer <= len(claim.diagnoses):
                yield Problem(f"{line_label(line)}: diagnosis pointer {diagnosis_letter(pointer)} (box 24E) "
                              f"points at no diagnosis; box 21 has {letters or 'none'}.", line.number)
        if len(set(pointers)) != len(pointers):
            yield Problem(f"{line_label(line)}: a diagnosis pointer (box 24E) is repeated.", line.number)
