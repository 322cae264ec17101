"""How edits name things in their messages: the way a biller reads them off the CMS-1500."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from billing.claim_data import ServiceLine

DIAGNOSIS_LETTERS = "ABCDEFGHIJKL"  # box 21 A-L


def line_label(line: ServiceLine) -> str:
    """'Line 2 (64483 RT)': the line number and the procedure code with its modifiers."""
    code = " ".join((line.procedure_code, *line.modifiers))
    return f"Line {line.number} ({code})"


def us_date(day: date) -> str:
    return day.strftime("%m/%d/%Y")


def diagnosis_letter(position: int) -> str:
    """Box 21's letter for a 1-based diagnosis position ('A' for 1), or the number past L."""
    return DIAGNOSIS_LETTERS[position - 1] if 1 <= position <= len(DIAGNOSIS_LETTERS) else str(position)


def units_text(units: Decimal) -> str:
    """Units as a biller writes them: '1 unit', '2 units', '1.5 units'."""
    text = format(units.normalize(), "f")
    return f"{text} unit" if text == "1" else f"{text} units"
