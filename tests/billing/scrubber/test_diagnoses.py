"""Edits on box 21 and box 24E: icd10-format, diagnosis-pointers."""

from dataclasses import replace

import pytest

from tests.billing.scrubber.helpers import messages
from tests.factories import ProfessionalClaimFactory, ScrubContextFactory


@pytest.mark.parametrize("codes", [("M5416",), ("M5416", "M5126", "G8929", "M47816", "Z9889", "S32009A", "U071")])
def test_icd10_cm_codes_without_a_dot_pass(codes):
    assert messages(ProfessionalClaimFactory(diagnoses=codes), ScrubContextFactory(), "icd10-format") == []


def test_a_dotted_a_malformed_and_a_repeated_diagnosis_are_named_by_letter():
    claim = ProfessionalClaimFactory(diagnoses=("M54.16", "5416", "M5126", "M5126", "M51260000"))

    assert messages(claim, ScrubContextFactory(), "icd10-format") == [
        "Diagnosis A (box 21) has a dot: enter ICD-10-CM codes without it.",
        "Diagnosis B (box 21) is not an ICD-10-CM code (a letter, a digit, then 1 to 5 letters or digits).",
        "Diagnosis E (box 21) is not an ICD-10-CM code (a letter, a digit, then 1 to 5 letters or digits).",
        "Diagnosis D (box 21) repeats an earlier diagnosis.",
    ]


def test_more_than_twelve_diagnoses_do_not_fit_box_21():
    codes = tuple(f"M54{n:02d}" for n in range(13))

    assert messages(ProfessionalClaimFactory(diagnoses=codes), ScrubContextFactory(), "icd10-format") == [
        "Box 21 holds at most 12 diagnoses; this claim has 13."]


def test_pointers_within_box_21_pass():
    assert messages(ProfessionalClaimFactory(), ScrubContextFactory(), "diagnosis-pointers") == []


def test_a_pointer_past_box_21_an_empty_and_an_overlong_pointer_list_are_reported():
    claim = ProfessionalClaimFactory()
    claim = replace(claim, lines=(replace(claim.lines[0], diagnosis_pointers=(1, 3)),
                                  replace(claim.lines[1], diagnosis_pointers=()),
                                  replace(claim.lines[1], number=3, diagnosis_pointers=(1, 2, 1, 2, 1))))

    assert messages(claim, ScrubContextFactory(), "diagnosis-pointers") == [
        "Line 1 (64483 RT): diagnosis pointer C (box 24E) points at no diagnosis; box 21 has A, B.",
        "Line 2 (64484 RT): no diagnosis pointer (box 24E); point at least one diagnosis.",
        "Line 3 (64484 RT): 5 diagnosis pointers (box 24E); at most 4 are allowed.",
        "Line 3 (64484 RT): a diagnosis pointer (box 24E) is repeated.",
    ]
