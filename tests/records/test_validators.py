"""The NPI check digit and the ICD-10-CM code format."""

import pytest
from django.core.exceptions import ValidationError

from pracops.records.validators import icd10cm_is_valid, npi_is_valid, validate_icd10cm_code, validate_npi


@pytest.mark.parametrize("npi", [
    "1234567893",  # CMS's worked example of the check digit
    "1245319599",
    "1000000004",
    "9999999995",
])
def test_npi_with_its_luhn_check_digit_is_valid(npi):
    assert npi_is_valid(npi)


@pytest.mark.parametrize("npi", [
    "1234567890",  # wrong check digit
    "9999999729",
    "1234567839",  # two digits transposed
    "123456789",  # nine digits
    "12345678930",  # eleven digits
    "",
    "123456789O",  # a letter O for the zero
    "12345-7893",
    " 234567893",
    "１２３４５６７８９３",  # full-width digits are digits to str.isdigit, not on a claim
    "123456789٣",  # an Arabic-Indic three as the check digit
])
def test_npi_that_fails_the_check_is_invalid(npi):
    assert not npi_is_valid(npi)


def test_validate_npi_refuses_an_invalid_npi_by_name():
    with pytest.raises(ValidationError) as raised:
        validate_npi("1234567890")

    assert raised.value.code == "invalid_npi"
    assert "1234567890 is not a valid NPI" in raised.value.messages[0]


def test_validate_npi_accepts_a_valid_or_missing_npi():
    validate_npi("1234567893")
    validate_npi("")


@pytest.mark.parametrize("code", [
    "M54.16",  # lumbar radiculopathy
    "M47.816",  # lumbar spondylosis
    "M54.5",  # the pre-2021 low back pain code, still seen on old records
    "G89.29",  # other chronic pain
    "M54.50",
    "M96.1",
    "M1A.071",  # a letter in the third place
    "S32.001A",  # a seventh character
    "T40.2X5A",  # an X placeholder
    "Z79.891",
    "M5416",  # without the dot, as it travels on an 837 claim
    "U07.1",  # COVID-19: a real ICD-10-CM code since April 2020
    "U09.9",  # post COVID-19 condition
])
def test_icd10cm_code_of_the_right_form_is_valid(code):
    assert icd10cm_is_valid(code)


@pytest.mark.parametrize("code", [
    "M5",  # too short
    "12345",  # no letter
    "M54.",  # a dot with nothing after it
    "M54.16789",  # too long
    "M54..1",
    "MM4.16",  # a letter in the second place
    "M54-16",
    "M54.16 ",
    "M54.16\n",
    " M54.16",
    "",
])
def test_malformed_icd10cm_code_is_invalid(code):
    assert not icd10cm_is_valid(code)


def test_validate_icd10cm_code_refuses_a_malformed_code_by_name():
    with pytest.raises(ValidationError) as raised:
        validate_icd10cm_code("M5")

    assert raised.value.code == "invalid_icd10cm"
    validate_icd10cm_code("M54.16")
    validate_icd10cm_code("")
