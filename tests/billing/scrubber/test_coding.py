"""Edits on how codes go together: add-on-without-primary, imaging-guidance-included,
facet-third-level, bilateral-modifiers, units-over-mue."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from tests.billing.scrubber.helpers import messages, with_lines
from tests.factories import ProfessionalClaimFactory, ScrubContextFactory, ServiceLineFactory

NO_AUTH = dict(codes_requiring_authorization=frozenset())


def claim_of(*lines):
    return with_lines(ProfessionalClaimFactory(), *lines)


def line(code, *modifiers, units="1", day=date(2026, 11, 20)):
    return ServiceLineFactory(procedure_code=code, modifiers=modifiers, units=Decimal(units), service_date=day)


# add-on-without-primary

def test_an_add_on_with_its_primary_on_the_same_date_passes():
    for primary, add_on in (("64479", "64480"), ("64483", "64484"), ("64490", "64491"), ("64493", "64494"),
                            ("64633", "64634"), ("64635", "64636")):
        claim = claim_of(line(primary, "RT"), line(add_on, "RT"))
        assert messages(claim, ScrubContextFactory(**NO_AUTH), "add-on-without-primary") == []


def test_an_add_on_alone_or_with_its_primary_on_another_date_is_an_error():
    claim = claim_of(line("64483", "RT", day=date(2026, 11, 19)), line("64484", "RT"), line("64494"))

    assert messages(claim, ScrubContextFactory(**NO_AUTH), "add-on-without-primary") == [
        "Line 2 (64484 RT) is an add-on code and needs 64483 on the same date (11/20/2026); no such line is on this "
        "claim.",
        "Line 3 (64494) is an add-on code and needs 64493 on the same date (11/20/2026); no such line is on this claim.",
    ]


# imaging-guidance-included

def test_fluoroscopy_with_a_procedure_that_does_not_include_imaging_passes():
    claim = claim_of(line("20610", "RT"), line("77003"))

    assert messages(claim, ScrubContextFactory(**NO_AUTH), "imaging-guidance-included") == []


def test_fluoroscopy_or_ct_guidance_with_an_imaging_inclusive_code_is_an_error():
    claim = claim_of(line("62323"), line("77003"), line("64635", "LT"), line("77012"))

    assert messages(claim, ScrubContextFactory(**NO_AUTH), "imaging-guidance-included") == [
        "Line 2 (77003): fluoroscopic guidance for needle placement is already included in 62323 (line 1, same date "
        "11/20/2026); remove this line.",
        "Line 4 (77012): CT guidance for needle placement is already included in 62323 (line 1, same date "
        "11/20/2026); remove this line.",
    ]


def test_guidance_on_another_date_than_the_procedure_passes():
    claim = claim_of(line("64493"), line("77003", day=date(2026, 11, 21)))

    assert messages(claim, ScrubContextFactory(**NO_AUTH), "imaging-guidance-included") == []


# facet-third-level

def test_two_facet_levels_pass_even_billed_right_and_left():
    claim = claim_of(line("64493", "RT"), line("64494", "RT"), line("64493", "LT"), line("64494", "LT"))

    assert messages(claim, ScrubContextFactory(**NO_AUTH), "facet-third-level") == []


def test_a_third_facet_level_is_flagged_for_review():
    claim = claim_of(line("64490", "50"), line("64491", "50"), line("64492", "50"))

    assert messages(claim, ScrubContextFactory(**NO_AUTH), "facet-third-level") == [
        "Line 3 (64492 50) bills a third facet level (cervical/thoracic) on 11/20/2026; Medicare allows one to two "
        "levels per spine region per session (billing article A57826). Check the procedure note and the payer's "
        "policy before sending."]


def test_two_units_of_the_second_level_add_on_are_a_third_level():
    claim = claim_of(line("64493"), line("64494", units="2"))

    assert messages(claim, ScrubContextFactory(**NO_AUTH), "facet-third-level") == [
        "Line 2 (64494): 2 units of the second-level add-on on one side on 11/20/2026 means a third facet level "
        "(lumbar/sacral); Medicare allows one to two levels per spine region per session (billing article A57826). "
        "Check the procedure note and the payer's policy before sending."]


# bilateral-modifiers

def test_modifier_50_alone_or_one_side_passes():
    claim = claim_of(line("64483", "50"), line("64484", "RT"))

    assert messages(claim, ScrubContextFactory(**NO_AUTH), "bilateral-modifiers") == []


def test_modifier_50_with_a_side_and_both_sides_on_one_line_are_errors():
    claim = claim_of(line("64483", "50", "RT"), line("64484", "RT", "LT"))

    assert messages(claim, ScrubContextFactory(**NO_AUTH), "bilateral-modifiers") == [
        "Line 1 (64483 50 RT): modifier 50 already means both sides; remove RT.",
        "Line 2 (64484 RT LT): RT and LT on one line; a procedure on both sides is billed with modifier 50.",
    ]


def test_a_bilateral_procedure_split_into_right_and_left_lines_is_an_error():
    claim = claim_of(line("64493", "RT"), line("64493", "LT"), line("62323"), line("62323"))

    assert messages(claim, ScrubContextFactory(**NO_AUTH), "bilateral-modifiers") == [
        "Lines 1 and 2 bill 64493 on the right and the left on 11/20/2026: bill it once with modifier 50 and 1 unit "
        "instead."]


# units-over-mue

def test_units_within_the_table_pass():
    claim = claim_of(line("64483", "50"), line("64484", "50", units="2"))

    assert messages(claim, ScrubContextFactory(**NO_AUTH), "units-over-mue") == []


def test_units_over_the_table_on_one_date_are_an_error_naming_the_basis():
    claim = claim_of(line("64493", units="2"), line("64483", "RT"), line("64483", "RT"))

    assert messages(claim, ScrubContextFactory(**NO_AUTH), "units-over-mue") == [
        "Line 1 (64493): 2 units of 64493 on 11/20/2026; at most 1 unit per date (CPT descriptor: single level; "
        "practitioner MUE of 1 reported by codingahead.com/cpt/codes/64493 (secondary source, not the CMS table)). "
        "A bilateral procedure is 1 unit with modifier 50.",
        "Line 2 (64483 RT): 2 units of 64483 on 11/20/2026; at most 1 unit per date (CPT descriptor: single level "
        "(CMS MUE value not confirmed)). A bilateral procedure is 1 unit with modifier 50.",
    ]


def test_a_code_whose_value_is_not_confirmed_is_not_checked():
    claim = claim_of(line("64483", "RT"), line("64484", "RT", units="6"))

    assert messages(claim, ScrubContextFactory(**NO_AUTH), "units-over-mue") == []


def test_units_on_different_dates_are_counted_per_date():
    claim = claim_of(line("64483", "RT"), line("64483", "RT", day=date(2026, 11, 27)))

    assert messages(claim, ScrubContextFactory(**NO_AUTH), "units-over-mue") == []
