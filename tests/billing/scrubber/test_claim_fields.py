"""Edits on the claim's own fields: required-fields, npi-check-digit."""

from dataclasses import replace
from decimal import Decimal

import pytest

from billing.claim_data import Frequency
from tests.billing.scrubber.helpers import messages
from tests.factories import ProfessionalClaimFactory, RenderingProviderFactory, ScrubContextFactory, npi_with_check_digit


def test_a_complete_claim_has_every_required_field():
    assert messages(ProfessionalClaimFactory(), ScrubContextFactory(), "required-fields") == []


@pytest.mark.parametrize("change, message", [
    (lambda c: replace(c, billing=replace(c.billing, tax_id="")), "Billing provider tax ID (box 25) is missing."),
    (lambda c: replace(c, billing=replace(c.billing, address=replace(c.billing.address, postal_code="62701"))),
     "Billing provider ZIP code (box 33) must be the full 9 digits (ZIP+4)."),
    (lambda c: replace(c, subscriber=replace(c.subscriber, member_id="")), "Insured's ID number (box 1a) is missing."),
    (lambda c: replace(c, subscriber=replace(c.subscriber, birth_date=None)),
     "Patient's birth date (box 3) is missing."),
    (lambda c: replace(c, diagnoses=()), "No diagnosis in box 21: at least one is required."),
    (lambda c: replace(c, frequency=Frequency.CORRECTED),
     "A corrected or voided claim needs the payer's original claim number (box 22)."),
    (lambda c: replace(c, lines=(replace(c.lines[0], charge=Decimal("0.00")),)),
     "Line 1 (64483 RT): the charge (box 24F) must be more than zero."),
    (lambda c: replace(c, lines=(replace(c.lines[0], units=Decimal("0")),)),
     "Line 1 (64483 RT): units (box 24G) must be at least 1."),
])
def test_a_missing_or_malformed_field_is_named_with_its_box(change, message):
    claim = change(ProfessionalClaimFactory())

    assert message in messages(claim, ScrubContextFactory(), "required-fields")


def test_valid_npis_pass_the_check_digit():
    claim = ProfessionalClaimFactory(referring=RenderingProviderFactory(npi=npi_with_check_digit("111222333"), first_name="Sam"))

    assert messages(claim, ScrubContextFactory(), "npi-check-digit") == []


def test_an_npi_with_a_wrong_check_digit_is_named_by_its_role_and_box():
    claim = ProfessionalClaimFactory()
    wrong = claim.rendering.npi[:9] + str((int(claim.rendering.npi[9]) + 1) % 10)
    claim = replace(claim, rendering=replace(claim.rendering, npi=wrong),
                    lines=(replace(claim.lines[0], rendering=replace(claim.rendering, npi="12345")),))

    assert messages(claim, ScrubContextFactory(), "npi-check-digit") == [
        f"Rendering provider NPI (box 24J) {wrong} is not a valid NPI (10 digits with a check digit): "
        "re-key it from the NPPES registry.",
        "Line 1 (64483 RT): rendering provider NPI (box 24J) 12345 is not a valid NPI (10 digits with a check "
        "digit): re-key it from the NPPES registry.",
    ]
