"""Dates: the note's own date (from its header) and 'since March 2024' onsets."""

from __future__ import annotations

import datetime
import re

MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
}
MONTH = (r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
         r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")

# A month named without a year ("since January", "since August 25"). "may" must be written "May": the verb is far commoner.
_BARE_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|(?-i:May)|june?|july?|aug(?:ust)?"
               r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?")

_DATE_LABEL = (r"(?:date\s+of\s+service|dos|date\s+of\s+visit|visit\s+date|encounter\s+date|service\s+date"
               r"|date\s+of\s+encounter|note\s+date|exam\s+date|discharge\s+date|call\s+date"
               r"|date\s+of\s+(?:discharge|consultation|consult|report|letter|dictation|call)|date(?:\s*/\s*time)?)")
_HEADER_DATES = [
    re.compile(rf"\b{_DATE_LABEL}\s*[:#-]?\s*(?P<y>\d{{4}})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}})\b", re.I),
    re.compile(rf"\b{_DATE_LABEL}\s*[:#-]?\s*(?P<m>\d{{1,2}})/(?P<d>\d{{1,2}})/(?P<y>\d{{4}}|\d{{2}})\b", re.I),
    re.compile(rf"\b{_DATE_LABEL}\s*[:#-]?\s*{MONTH}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b", re.I),
    re.compile(rf"\b{_DATE_LABEL}\s*[:#-]?\s*(?P<d>\d{{1,2}})\s+{MONTH}\s+(?P<y>\d{{4}})\b", re.I),
]
HEADER_CHARS = 1500


def full_year(text: str) -> int:
    """'25' -> 2025, '2025' -> 2025."""
    year = int(text)
    return year + 2000 if year < 100 else year


def _month(text: str) -> int:
    return MONTHS[text.lower()[:4].rstrip("e") if text.lower().startswith("sept") else text.lower()[:3]]


def note_date_in_header(text: str) -> datetime.date | None:
    """The date of service a note states near its top ('DOS: 06/02/2025'), if any."""
    head = text[:HEADER_CHARS]
    for pattern in _HEADER_DATES:
        match = pattern.search(head)
        if not match:
            continue
        try:
            month = int(match.group("m")) if "m" in match.groupdict() and match.group("m") else _month(match.group("month"))
            return datetime.date(full_year(match.group("y")), month, int(match.group("d")))
        except (ValueError, KeyError, IndexError):
            continue
    return None


SINCE = re.compile(
    rf"\b(?:(?:since|starting\s+in|started\s+in|began\s+in|beginning\s+in|onset\s+in|onset|began|started"
    # "since a fall at work in May 2016", "since her fusion in April 2021": an event, then its date.
    # "began after a rear-end collision in August 2024", "she dates the onset to August 2025"
    rf"|(?:since|began|started|onset)\s+(?:[\w'/-]+\s+){{1,8}}?(?:in|on|of)(?:\s+(?:early|mid|late))?"
    rf"|dates?\s+(?:the|its|her|his|their)\s+onset\s+(?:to|from)"
    # a form's "Date of injury: 11/06/2025"
    rf"|(?:date\s+of\s+(?:injury|onset)|(?:injury|onset)\s+date|DOI)\s*[:#-]?)\s+"
    # "since childbirth (Dec 2023)": an event, then its date in brackets.
    rf"|since\s+(?:[\w'/-]+\s+){{0,7}}?[\w'/-]+\s*\((?=[^)]{{0,20}}\)))"
    rf"(?:(?:early|mid|late)[\s-]+)?(?:{MONTH}(?:\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?)?,?\s+(?P<year>\d{{4}})"
    rf"|(?P<nm>\d{{1,2}})/(?:(?P<nd>\d{{1,2}})/)?(?P<ny>\d{{4}}|\d{{2}})\b"
    # "since January", "since August 25": the last such date before the note. "may" must be written "May".
    rf"|(?P<bare>{_BARE_MONTH})(?:\s+(?P<bare_day>\d{{1,2}})(?:st|nd|rd|th)?\b)?(?!\s*,?\s*\d))",
    re.I,
)


def months_since(match: re.Match, note_date: datetime.date) -> float | None:
    """Months from a SINCE match's date to the note date; None if the date is invalid or later."""
    try:
        if match.group("bare"):
            month, day = _month(match.group("bare")), int(match.group("bare_day") or 1)
            year = note_date.year if (month, day) <= (note_date.month, note_date.day) else note_date.year - 1
            start = datetime.date(year, month, day)
        elif match.group("month"):
            start = datetime.date(int(match.group("year")), _month(match.group("month")),
                                  int(match.group("day") or 1))
        else:
            start = datetime.date(full_year(match.group("ny")), int(match.group("nm")), int(match.group("nd") or 1))
    except (ValueError, KeyError):
        return None
    days = (note_date - start).days
    if days < 0:
        return None
    return days / 30.44
