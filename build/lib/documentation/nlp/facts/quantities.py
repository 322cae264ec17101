"""Numbers (digits or words), ranges and durations, as regular expressions over sentence text.

Every pattern here is linear: no nested quantifiers, so a hostile note cannot make it backtrack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from documentation.nlp.pipeline import read_table

WEEKS_PER_MONTH = 4.345
DAYS_PER_MONTH = 30.44

_WORDS = {row["word"].lower(): float(row["value"]) for row in read_table("numbers.tsv")}
_TENS = {w: v for w, v in _WORDS.items() if v in {20, 30, 40, 50, 60, 70, 80, 90}}
_UNITS = {w: v for w, v in _WORDS.items() if 1 <= v <= 9 and " " not in w and w not in {"a", "an", "single"}}


def _alternation(words) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))


_WORD_NUMBER = (
    rf"(?:(?:{_alternation(_TENS)})(?:[\s-](?:{_alternation(_UNITS)}))?\b|(?:{_alternation(_WORDS)})\b)"
)
NUMBER = rf"(?:\d+(?:\.\d+)?|{_WORD_NUMBER})"
# "6-8", "6 to 8", "six to eight": the lower bound is recorded.
RANGE = rf"(?P<low>{NUMBER})(?:\s*(?:-|–|to)\s*(?P<high>{NUMBER}))?"

UNITS = {
    "hour": "hours", "hours": "hours", "hr": "hours", "hrs": "hours", "h": "hours",
    "day": "days", "days": "days", "d": "days",
    "week": "weeks", "weeks": "weeks", "wk": "weeks", "wks": "weeks",
    "month": "months", "months": "months", "mo": "months", "mos": "months",
    "year": "years", "years": "years", "yr": "years", "yrs": "years",
}
UNIT = r"(?P<unit>hours?|hrs?|days?|weeks?|wks?|months?|mos?|years?|yrs?)\b"
# "two and a half years", "a year and a half": the half is added to the count.
# "x3 mo": a count glued to the x of "times" still starts a duration.
DURATION = re.compile(rf"(?:(?<=\bx)|(?<=\bX)|(?<![\w./]))(?:{RANGE})(?P<half>\s+and\s+a\s+half)?\s*(?:\+\s*)?-?\s*{UNIT}(?P<half_after>\s+and\s+a\s+half\b)?(?![-\s]+old\b)",
                      re.IGNORECASE)


def parse_number(text: str) -> float | None:
    """'6' -> 6, 'six' -> 6, 'eighty-five' -> 85; None when it is not a number."""
    text = text.strip().lower()
    try:
        return float(text)
    except ValueError:
        pass
    text = re.sub(r"\s+", " ", text)
    if text in _WORDS:
        return _WORDS[text]
    parts = re.split(r"[\s-]", text)
    if len(parts) == 2 and parts[0] in _TENS and parts[1] in _UNITS:
        return _TENS[parts[0]] + _UNITS[parts[1]]
    return None


@dataclass(frozen=True)
class Duration:
    value: float
    unit: str  # hours, days, weeks, months, years
    start: int  # offsets relative to the searched text
    end: int

    def weeks(self) -> float:
        return {"hours": self.value / 168, "days": self.value / 7, "weeks": self.value,
                "months": self.value * WEEKS_PER_MONTH, "years": self.value * 52.1775}[self.unit]

    def months(self) -> float:
        return {"hours": self.value / (24 * DAYS_PER_MONTH), "days": self.value / DAYS_PER_MONTH,
                "weeks": self.value / WEEKS_PER_MONTH, "months": self.value, "years": self.value * 12}[self.unit]


# "three times a day", "once a week", "3x a week", "every 6 hours", "2-3 tablets a day": how often, not how long.
_FREQUENCY_BEFORE = re.compile(
    r"(?:\b(?:times|once|twice|thrice|per|every|each|tabs?|tablets?|pills?|caps?|capsules?|doses?|patch(?:es)?|sprays?)|\dx)\s*$",
    re.IGNORECASE)


def durations(text: str) -> list[Duration]:
    """Every 'N unit' in the text ('6-8 weeks' -> 6 weeks, 'a year' -> 1 year); frequencies are not
    durations ('once a day')."""
    found = []
    for match in DURATION.finditer(text):
        if _FREQUENCY_BEFORE.search(text, max(0, match.start() - 12), match.start()):
            continue
        value = parse_number(match.group("low"))
        if value is None:
            continue
        if match.group("half") or match.group("half_after"):
            value += 0.5
        found.append(Duration(value, UNITS[match.group("unit").lower()], match.start(), match.end()))
    return found


PERCENT = re.compile(
    rf"(?P<low>{NUMBER})(?:\s*(?:-|–|to)\s*(?P<high>{NUMBER}))?\s*(?:%|percent\b|per\s+cent\b)", re.IGNORECASE
)


def percents(text: str) -> list[tuple[float, int, int]]:
    """(value, start, end) for every percentage; a range gives its lower bound."""
    out = []
    for match in PERCENT.finditer(text):
        value = parse_number(match.group("low"))
        high = parse_number(match.group("high")) if match.group("high") else None
        if high is not None and value is not None and not value <= high <= 100:
            # "2023 - 60%": a year or another number before a dash, not a range.
            out.append((high, match.start("high"), match.end()))
            continue
        if value is not None and 0 <= value <= 100:
            out.append((value, match.start(), match.end()))
    return out
