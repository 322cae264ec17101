"""The CMS-1500 (02/12): boxes from a claim, and the PDF read back box by box."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from billing.claim_data import Address, Frequency, Provider
from billing.cms1500 import LINES_PER_FORM, form_context, render_form
from tests.factories import (ProfessionalClaimFactory, RenderingProviderFactory, ServiceLineFactory,
                             npi_with_check_digit)

FACILITY = Provider(npi=npi_with_check_digit("555666777"), last_name_or_org="Riverside Surgery Center",
                    address=Address("900 Lake Dr", "Springfield", "IL", "627039876"))


def claim_with_lines(count: int, **fields):
    claim = ProfessionalClaimFactory(diagnoses=("M5416", "M5126", "G8929", "M47816", "Z9889"), **fields)
    codes = ["64483", "64484", "64493", "64494", "99213", "J1030", "64483", "64484"]
    lines = tuple(ServiceLineFactory(number=n, procedure_code=codes[(n - 1) % len(codes)],
                                     charge=Decimal("100.00") * n, diagnosis_pointers=(1, 5) if n == 1 else (4,))
                  for n in range(1, count + 1))
    return replace(claim, lines=lines)


def pages_of(pdf: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


# The context: boxes as plain data

def test_boxes_21_23_and_24e_carry_the_indicator_diagnoses_authorization_and_pointer_letters():
    form = form_context(claim_with_lines(2))

    assert form.icd_indicator == "0"
    assert form.diagnoses[:6] == (("A", "M5416"), ("B", "M5126"), ("C", "G8929"), ("D", "M47816"), ("E", "Z9889"),
                                  ("F", ""))
    assert len(form.diagnoses) == 12
    assert form.prior_authorization == "PA2026110045"
    assert [line.diagnosis_pointer for line in form.pages[0].lines[:2]] == ["AE", "D"]


def test_six_lines_a_form_and_the_total_on_the_last_one_only():
    form = form_context(claim_with_lines(LINES_PER_FORM + 1))

    assert [page.number for page in form.pages] == [1, 2]
    assert all(len(page.lines) == LINES_PER_FORM for page in form.pages)
    assert form.pages[1].lines[0].procedure_code == "64483" and form.pages[1].lines[1].procedure_code == ""
    assert (form.pages[0].total_charge, form.pages[1].total_charge) == ("", "2800.00")


def test_a_corrected_claim_shows_its_resubmission_code_and_original_reference():
    form = form_context(ProfessionalClaimFactory(frequency=Frequency.CORRECTED, payer_claim_number="2026112000123"))

    assert (form.resubmission_code, form.original_reference) == ("7", "2026112000123")
    assert (form_context(ProfessionalClaimFactory()).resubmission_code, ) == ("",)


@pytest.mark.parametrize("filing_code, box_1", [("MB", "Medicare"), ("MC", "Medicaid"), ("CI", "Group Health Plan"),
                                                ("ZZ", "Other")])
def test_box_1_follows_the_claim_filing_indicator(filing_code, box_1):
    claim = ProfessionalClaimFactory()
    claim = replace(claim, subscriber=replace(claim.subscriber, claim_filing_code=filing_code))

    assert form_context(claim).insurance_type == box_1


# The PDF, read back

@pytest.fixture(scope="module")
def eight_line_pdf() -> list[str]:
    claim = claim_with_lines(8, onset_date=date(2026, 8, 3), facility=FACILITY,
                             referring=RenderingProviderFactory(npi=npi_with_check_digit("111222333"),
                                                                first_name="Sam", last_name_or_org="Lee"))
    return pages_of(render_form(form_context(claim)))


def test_more_than_six_lines_print_on_a_second_form_that_repeats_the_header_boxes(eight_line_pdf):
    assert len(eight_line_pdf) == 2
    for page in eight_line_pdf:
        assert page.startswith("HEALTH INSURANCE CLAIM FORM")
        assert "1a. INSURED'S I.D. NUMBER (For Program in Item 1) XJH" in page
        assert "23. PRIOR AUTHORIZATION NUMBER PA2026110045" in page
    assert "Page 1 of 2" in eight_line_pdf[0] and "Page 2 of 2" in eight_line_pdf[1]


def test_the_pdf_shows_the_patient_and_insured_boxes(eight_line_pdf):
    page = eight_line_pdf[0]

    assert "2. PATIENT'S NAME (Last Name, First Name, Middle Initial) Testpatient, Dana" in page
    assert "3. PATIENT'S BIRTH DATE SEX 04 12 1961 M F X" in page
    assert "6. PATIENT RELATIONSHIP TO INSURED Self X Spouse" in page
    assert "X GROUP HEALTH PLAN" in page
    assert "11. INSURED'S POLICY GROUP OR FECA NUMBER GRP-7781" in page
    assert "14. DATE OF CURRENT ILLNESS, INJURY, or PREGNANCY (LMP) 08 03 2026 QUAL. 431" in page
    assert "17. NAME OF REFERRING PROVIDER OR OTHER SOURCE DN Sam Lee" in page


def test_the_pdf_shows_box_21_with_the_icd_indicator_and_letters(eight_line_pdf):
    assert ("ICD Ind. 0 A. M5416 B. M5126 C. G8929 D. M47816 E. Z9889 F. G. H. I. J. K. L. 22. RESUBMISSION CODE"
            in eight_line_pdf[0])


def test_the_pdf_shows_each_service_line_with_pointer_letters_and_units(eight_line_pdf):
    first, second = eight_line_pdf

    assert "1 11 20 26 11 20 26 11 64483 RT AE 100.00 1 NPI 9876543213 2 11 20 26 11 20 26 11 64484 RT D 200.00" in first
    assert "6 11 20 26 11 20 26 11 J1030 RT D 600.00 1 NPI" in first
    assert "1 11 20 26 11 20 26 11 64483 RT D 700.00 1 NPI 9876543213 2 11 20 26 11 20 26 11 64484 RT D 800.00" in second
    assert "3 4 5 6 25. FEDERAL TAX I.D. NUMBER" in second  # the rest of form 2's rows are blank


def test_the_pdf_shows_the_total_on_the_last_form_and_the_provider_boxes(eight_line_pdf):
    first, second = eight_line_pdf

    assert "28. TOTAL CHARGE CONTINUED" in first
    assert "28. TOTAL CHARGE $ 3600.00" in second
    assert "25. FEDERAL TAX I.D. NUMBER SSN EIN 371234567 X" in second
    assert "32. SERVICE FACILITY LOCATION INFORMATION Riverside Surgery Center 900 Lake Dr Springfield, IL 62703-9876 " \
           "a. NPI 5556667777" in second
    assert "33. BILLING PROVIDER INFO & PH # Riverside Spine and Pain Center 1200 Harbor Blvd Suite 300 " \
           "Springfield, IL 62701-1234 a. NPI 1234567893 b. ZZ208VP0014X" in second


def test_a_claim_without_lines_is_one_blank_form_and_thirteen_lines_are_three():
    empty = form_context(replace(ProfessionalClaimFactory(), lines=()))
    thirteen = form_context(claim_with_lines(13))

    assert len(empty.pages) == 1 and empty.pages[0].lines == (empty.pages[0].lines[0],) * LINES_PER_FORM
    assert empty.pages[0].total_charge == "0.00"
    assert [page.count for page in thirteen.pages] == [3, 3, 3]
    assert [line.procedure_code for line in thirteen.pages[2].lines] == ["99213", "", "", "", "", ""]


def test_names_are_escaped_in_the_html_not_interpreted():
    from billing.cms1500.render import form_html

    claim = ProfessionalClaimFactory()
    claim = replace(claim, billing=replace(claim.billing, last_name_or_org="Spine & Pain <Center>"))

    assert "Spine &amp; Pain &lt;Center&gt;" in form_html(form_context(claim))
