"""Checks on the practice's identifiers and codes."""

import re

from django.core.exceptions import ValidationError

# A letter (U too: U07.1 and U09.9 are ICD-10-CM codes), a digit, a digit or letter, then up to
# four characters after an optional dot.
_ICD10CM = re.compile(r"[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?")
_ASCII_DIGITS = re.compile(r"[0-9]{10}")


def npi_is_valid(npi: str) -> bool:
    """An NPI is ten digits whose last is a Luhn check digit over "80840" + the first nine."""
    if not _ASCII_DIGITS.fullmatch(npi):  # str.isdigit() also takes full-width and other scripts' digits
        return False
    total = 0
    for position, char in enumerate(reversed("80840" + npi)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def validate_npi(value: str) -> None:
    if value and not npi_is_valid(value):
        raise ValidationError(
            "%(value)s is not a valid NPI: ten digits with a Luhn check digit.",
            code="invalid_npi",
            params={"value": value},
        )


def icd10cm_is_valid(code: str) -> bool:
    return bool(_ICD10CM.fullmatch(code.upper()))


def validate_icd10cm_code(value: str) -> None:
    if value and not icd10cm_is_valid(value):
        raise ValidationError(
            "%(value)s is not an ICD-10-CM code.", code="invalid_icd10cm", params={"value": value}
        )
