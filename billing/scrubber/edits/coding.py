"""Edits on how the procedures are coded together: add-ons and their primaries, imaging guidance
included in the procedure, facet levels, bilateral modifiers and units. The tables they read are
in ``billing/scrubber/tables/`` with their sources."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from billing.claim_data import ProfessionalClaim, ServiceLine
from billing.scrubber.context import ScrubContext
from billing.scrubber.edits.wording import line_label, units_text, us_date
from billing.scrubber.findings import Problem
from billing.scrubber.tables import coding_tables

BILATERAL = "50"
RIGHT, LEFT = "RT", "LT"


def _by_date_and_code(claim: ProfessionalClaim) -> dict[tuple[date, str], list[ServiceLine]]:
    grouped: dict[tuple[date, str], list[ServiceLine]] = defaultdict(list)
    for line in claim.lines:
        grouped[(line.service_date, line.procedure_code)].append(line)
    return grouped


def _units_per_side(lines: list[ServiceLine]) -> Decimal:
    """The units of one code on one date counted on one side: lines marked RT and LT are the two
    sides of one procedure (the bilateral edit reports that way of billing), so the larger side
    counts, plus every line without a side."""
    right = sum((line.units for line in lines if RIGHT in line.modifiers), Decimal(0))
    left = sum((line.units for line in lines if LEFT in line.modifiers and RIGHT not in line.modifiers), Decimal(0))
    unsided = sum((line.units for line in lines if RIGHT not in line.modifiers and LEFT not in line.modifiers),
                  Decimal(0))
    return unsided + max(right, left)


def add_on_without_primary(claim: ProfessionalClaim, context: ScrubContext) -> Iterator[Problem]:
    """An add-on code is billed with its primary code on the same date of service."""
    primaries_table = coding_tables().add_on_primaries
    codes_on = defaultdict(set)
    for line in claim.lines:
        codes_on[line.service_date].add(line.procedure_code)
    for line in claim.lines:
        primaries = primaries_table.get(line.procedure_code)
        if primaries and not primaries & codes_on[line.service_date]:
            needed = " or ".join(sorted(primaries))
            yield Problem(f"{line_label(line)} is an add-on code and needs {needed} on the same date "
                          f"({us_date(line.service_date)}); no such line is on this claim.", line.number)


def imaging_guidance_included(claim: ProfessionalClaim, context: ScrubContext) -> Iterator[Problem]:
    """Fluoroscopic or CT guidance (77003, 77012) is not billed with a procedure whose code includes it."""
    tables = coding_tables()
    for line in claim.lines:
        what = tables.imaging_guidance_codes.get(line.procedure_code)
        if what is None:
            continue
        including = [other for other in claim.lines
                     if other.service_date == line.service_date and other.procedure_code in tables.includes_imaging]
        if including:
            first = including[0]
            yield Problem(f"{line_label(line)}: {what} is already included in {first.procedure_code} "
                          f"(line {first.number}, same date {us_date(line.service_date)}); remove this line.",
                          line.number)


def facet_third_level(claim: ProfessionalClaim, context: ScrubContext) -> Iterator[Problem]:
    """A third facet level in one spine region and session is flagged for review."""
    tables = coding_tables()
    for (day, code), lines in _by_date_and_code(claim).items():
        first = lines[0]
        if code in tables.third_level_facet_codes:
            region = tables.third_level_facet_codes[code]
            yield Problem(f"{line_label(first)} bills a third facet level ({region}) on {us_date(day)}; Medicare "
                          f"allows {tables.facet_limit_text} (billing article A57826). Check the procedure note "
                          "and the payer's policy before sending.", first.number)
        elif code in tables.second_level_facet_codes and _units_per_side(lines) > 1:
            region = tables.second_level_facet_codes[code]
            yield Problem(f"{line_label(first)}: {units_text(_units_per_side(lines))} of the second-level add-on "
                          f"on one side on {us_date(day)} means a third facet level ({region}); Medicare allows "
                          f"{tables.facet_limit_text} (billing article A57826). Check the procedure note and the "
                          "payer's policy before sending.", first.number)


def bilateral_modifiers(claim: ProfessionalClaim, context: ScrubContext) -> Iterator[Problem]:
    """Modifier 50 is not combined with RT/LT, and a procedure billed bilaterally with modifier 50
    is not split into an RT line and an LT line."""
    limits = coding_tables().unit_limits
    for line in claim.lines:
        sides = [m for m in line.modifiers if m in (RIGHT, LEFT)]
        if BILATERAL in line.modifiers and sides:
            yield Problem(f"{line_label(line)}: modifier 50 already means both sides; remove {' and '.join(sides)}.",
                          line.number)
        elif RIGHT in line.modifiers and LEFT in line.modifiers:
            yield Problem(f"{line_label(line)}: RT and LT on one line; a procedure on both sides is billed with "
                          "modifier 50.", line.number)
    for (day, code), lines in _by_date_and_code(claim).items():
        limit = limits.get(code)
        if limit is None or not limit.bilateral_with_modifier_50:
            continue
        right = [line for line in lines if RIGHT in line.modifiers and LEFT not in line.modifiers]
        left = [line for line in lines if LEFT in line.modifiers and RIGHT not in line.modifiers]
        if right and left:
            yield Problem(f"Lines {right[0].number} and {left[0].number} bill {code} on the right and the left "
                          f"on {us_date(day)}: bill it once with modifier 50 and 1 unit instead.", right[0].number)


def units_over_mue(claim: ProfessionalClaim, context: ScrubContext) -> Iterator[Problem]:
    """The units of a code on one date (one side) are within the units table (``tables/units.yaml``)."""
    limits = coding_tables().unit_limits
    for (day, code), lines in _by_date_and_code(claim).items():
        limit = limits.get(code)
        if limit is None or limit.units is None:
            continue
        units = _units_per_side(lines)
        if units > limit.units:
            advice = " A bilateral procedure is 1 unit with modifier 50." if limit.bilateral_with_modifier_50 else ""
            yield Problem(f"{line_label(lines[0])}: {units_text(units)} of {code} on {us_date(day)}; at most "
                          f"{units_text(Decimal(limit.units))} per date ({limit.basis}).{advice}", lines[0].number)
