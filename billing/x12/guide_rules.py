"""Rules of the 837P implementation guide (005010X222A1) that pyx12's maps do not carry: an NPI's
check digit, the nine-digit ZIP of the billing provider and service facility, and the billing
provider's street address (no PO or lock box). The writer refuses data that breaks them and the
validator reports files that do. Pure."""

from __future__ import annotations

import re

# "PO Box 12", "P.O. Box", "POB 9", "Post Office Box", "Lock Box", "Lockbox"
_PO_BOX = re.compile(r"\b(P\.?\s*O\.?\s*B(OX)?|POST\s+OFFICE\s+BOX|LOCK\s*BOX)\b", re.IGNORECASE)

# Loops whose N4 must carry the full nine-digit ZIP code when the address is in the US.
NINE_DIGIT_ZIP_LOOPS = frozenset({"2010AA", "2310C"})


def is_valid_npi(npi: str) -> bool:
    """Whether ``npi`` is ten digits whose last is the Luhn check digit of the 80840-prefixed number."""
    if len(npi) != 10 or not npi.isascii() or not npi.isdigit():
        return False
    total = 24  # the 80840 prefix's share of the Luhn sum (CMS, NPI check digit standard)
    for index, char in enumerate(reversed(npi[:9])):
        digit = int(char)
        if index % 2 == 0:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return (10 - total % 10) % 10 == int(npi[9])


def is_nine_digit_zip(postal_code: str) -> bool:
    return len(postal_code) == 9 and postal_code.isascii() and postal_code.isdigit()


def is_po_box(address_line: str) -> bool:
    """Whether an address line names a PO box or lock box rather than a street address."""
    return bool(_PO_BOX.search(address_line))
