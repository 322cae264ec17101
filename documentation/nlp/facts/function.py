"""Function: Oswestry and Neck Disability Index, limits on daily activities."""

from __future__ import annotations

import re

from documentation.nlp.facts.evidence import set_fact
from documentation.nlp.note import ReadNote

_SCORE = (r"\s*(?:\(\s*[A-Za-z]+\s*\)\s*)?(?:score|total)?\s*(?:is|was|of|at|=|:|-)?\s*(?:score\s*)?(?:of\s*)?"
          r"(?P<v>\d{1,3}(?:\.\d+)?)\s*(?P<unit>%|percent\b|/\s*50\b|/\s*100\b|out\s+of\s+50\b|out\s+of\s+100\b)?")
INDEX = {
    "function.odi_percent": re.compile(rf"\b(?:ODI|Oswestry(?:\s+Disability)?(?:\s+Index)?(?:\s+Questionnaire)?){_SCORE}", re.I),
    "function.ndi_percent": re.compile(rf"\b(?:NDI|Neck\s+Disability(?:\s+Index)?){_SCORE}", re.I),
}


def extract_function(note: ReadNote, facts: dict) -> None:
    for path, pattern in INDEX.items():
        found = None
        # The whole text, not sentence by sentence: "ODI:" alone on a line is a header.
        for match in pattern.finditer(note.text):
            value = float(match.group("v"))
            unit = (match.group("unit") or "").replace(" ", "").lower()
            if unit in {"/50", "outof50"}:
                value = value * 2
            if 0 <= value <= 100:
                found = (value, match.start(), match.end())
        if found:  # the last statement is the most recent
            value, start, end = found
            set_fact(facts, path, int(value) if value == int(value) else round(value, 1), note.text, start, end)
    _adl(note, facts)


ADL_FALSE = re.compile(
    r"\b(?:independent\s+(?:in|with)\s+(?:all\s+)?(?:ADLs|activities\s+of\s+daily\s+living)|no\s+functional\s+limitations?"
    r"|no\s+limitations?\s+(?:in|with|on)\s+(?:ADLs|activities|daily\s+activities|work)|full\s+(?:duty|function))\b", re.I)


def _adl(note: ReadNote, facts: dict) -> None:
    mentions = [m for m in note.of("ADL_LIMIT") if not m.family and not m.hypothetical]
    affirmed = [m for m in mentions if not m.negated]
    if affirmed:
        set_fact(facts, "function.adl_limited", True, note.text, affirmed[0].start, affirmed[0].end)
        return
    for sentence in note.sentences:
        match = ADL_FALSE.search(sentence.text)
        if match:
            set_fact(facts, "function.adl_limited", False, note.text,
                     sentence.start + match.start(), sentence.start + match.end())
            return
    if mentions:
        set_fact(facts, "function.adl_limited", False, note.text, mentions[0].start, mentions[0].end)
