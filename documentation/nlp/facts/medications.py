"""Medications: opioid MME per day and anticoagulation."""

from __future__ import annotations

import re

from documentation.nlp.facts.evidence import set_fact
from documentation.nlp.facts.quantities import parse_number
from documentation.nlp.note import Mention, ReadNote
from documentation.nlp.pipeline import read_table

FREQUENCIES = {row["phrase"].lower(): float(row["per_day"]) for row in read_table("frequencies.tsv")}
_TABLE_FREQUENCY = re.compile(
    r"(?<![\w.])(?:" + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in sorted(FREQUENCIES, key=len, reverse=True))
    + r")(?![\w])", re.I)
_INTERVAL = re.compile(r"\b(?:q|every\s+)(?P<a>\d{1,2})(?:\s*(?:-|to)\s*(?P<b>\d{1,2}))?\s*(?:h|hr|hrs|hours?)\b", re.I)
_TIMES_A_DAY = re.compile(r"\b(?P<n>\d|one|two|three|four|five|six)\s*(?:x|times)\s*(?:/|a|per)\s*day\b|\b(?P<m>\d)\s*x\s*daily\b", re.I)
_MAX_PER_DAY = re.compile(r"\b(?:max(?:imum)?|up\s+to|no\s+more\s+than)\s*(?:of\s*)?(?P<n>\d{1,2})\s*(?:tabs?|tablets?|pills?|doses?|times)?\s*(?:/|per|a|in\s+24\s*h(?:ours?)?)\s*(?:day|24\s*h(?:ours?|rs?)?)", re.I)
_STRENGTH_MG = re.compile(r"(?P<v>\d+(?:\.\d+)?)\s*(?:/\s*\d+(?:\.\d+)?\s*)?mg\b|(?P<combo>\d+(?:\.\d+)?)\s*/\s*\d{3}\b", re.I)
_STRENGTH_MCG_H = re.compile(r"(?P<v>\d+(?:\.\d+)?)\s*(?:mcg|µg|micrograms?)(?:\s*/\s*(?:h|hr|hour))?\b", re.I)
_TABS = re.compile(r"\b(?P<a>\d|one|two|three)(?:\s*(?:-|to)\s*(?P<b>\d|two|three|four))?\s*(?:tabs?|tablets?|pills?|caps?|capsules?|patch)\b", re.I)
STATED_MME = re.compile(
    r"(?P<v>\d+(?:\.\d+)?)\s*(?:MME|MEDD|MED|OME|morphine\s+(?:milligram\s+)?equivalents?)\b"
    r"|\b(?:MME|MEDD|morphine\s+(?:milligram\s+)?equivalents?(?:\s+daily\s+dose)?|morphine\s+equivalent\s+daily\s+dose)"
    r"(?:\s*/\s*day|\s+per\s+day|\s+daily)?\s*(?:is|of|:|=|~|approximately|about)?\s*(?P<w>\d+(?:\.\d+)?)", re.I)
INACTIVE_SECTIONS = {"allergies", "family_history", "plan"}


def active(mention: Mention) -> bool:
    """A drug the patient takes now: not negated, planned, past, about family, or an allergy."""
    if not mention.affirmed or mention.section in INACTIVE_SECTIONS:
        return False
    return mention.current or not mention.historical


def _dose_window(note: ReadNote, mention: Mention) -> tuple[int, str]:
    sentence = note.sentence_of(mention)
    end = sentence.end
    for other in note.in_sentence(sentence.index, "DRUG"):
        if other.start > mention.start:
            end = min(end, other.start)
    end = min(end, mention.end + 90)
    return mention.end, note.text[mention.end:end]


def _per_day(window: str) -> tuple[float, int] | None:
    found = []
    for match in _INTERVAL.finditer(window):
        hours = min(int(match.group("a")), int(match.group("b") or match.group("a")))
        if hours > 0:
            found.append((24 / hours, match.end()))
    for match in _TIMES_A_DAY.finditer(window):
        value = parse_number(match.group("n") or match.group("m"))
        if value:
            found.append((value, match.end()))
    for match in _TABLE_FREQUENCY.finditer(window):
        found.append((FREQUENCIES[re.sub(r"\s+", " ", match.group(0).lower())], match.end()))
    if not found:
        return None
    return min(found, key=lambda f: f[1])


def extract_mme(note: ReadNote, facts: dict) -> None:
    stated = None
    for sentence in note.sentences:
        if sentence.section in {"family_history"}:
            continue
        for match in STATED_MME.finditer(sentence.text):
            value = float(match.group("v") or match.group("w"))
            stated = (value, sentence.start + match.start(), sentence.start + match.end())
    if stated:
        set_fact(facts, "opioid_mme_per_day", _number(stated[0]), note.text, stated[1], stated[2])
        return
    total, seen, first, last = 0.0, set(), None, None
    for mention in note.of("DRUG"):
        factor = mention.meta.get("mme_factor")
        if mention.meta.get("class") != "opioid" or factor is None or not active(mention):
            continue
        base, window = _dose_window(note, mention)
        transdermal = mention.meta.get("generic") == "fentanyl"
        if transdermal:
            strength = _STRENGTH_MCG_H.search(window)
            if not strength:
                continue
            mme, end = float(strength.group("v")) * factor, strength.end()
            key = ("fentanyl", strength.group("v"))
        else:
            strength = _STRENGTH_MG.search(window)
            if not strength:
                continue
            milligrams = float(strength.group("v") or strength.group("combo"))
            cap = _MAX_PER_DAY.search(window)
            frequency = _per_day(window)
            tabs = _TABS.search(window)
            per_dose = 1.0
            if tabs:
                per_dose = parse_number(tabs.group("b") or tabs.group("a")) or 1.0
            if cap:
                daily_units, end = float(cap.group("n")), cap.end()
            elif frequency:
                daily_units, end = frequency[0] * per_dose, frequency[1]
            else:
                continue
            mme, end = milligrams * daily_units * factor, max(end, strength.end())
            key = (mention.meta.get("generic"), milligrams, daily_units)
        if key in seen:
            continue
        seen.add(key)
        total += mme
        first = mention.start if first is None else first
        last = base + end
    if first is not None:
        set_fact(facts, "opioid_mme_per_day", _number(round(total, 1)), note.text, first, last)


def _number(value: float) -> float | int:
    return int(value) if value == int(value) else value


_ASPIRIN_DOSE = re.compile(r"(?P<v>\d{2,4})\s*(?:mg)?", re.I)
LOW_DOSE = re.compile(r"\b(?:baby|low[\s-]dose|81)\b", re.I)


def extract_anticoagulation(note: ReadNote, facts: dict) -> None:
    negative = None
    low_dose_aspirin = None
    for mention in note.of("DRUG") + note.of("ANTICOAG_CLASS"):
        drug_class = mention.meta.get("class") if mention.label == "DRUG" else "anticoagulant"
        if drug_class not in {"anticoagulant", "antiplatelet", "aspirin"}:
            continue
        if mention.family or mention.section in {"allergies", "family_history"}:
            continue
        if mention.negated:
            negative = negative or mention
            continue
        if not active(mention):
            continue
        if drug_class == "aspirin":
            _, window = _dose_window(note, mention)
            dose = _ASPIRIN_DOSE.match(window.strip())
            before = note.text[max(0, mention.start - 12):mention.start]
            if LOW_DOSE.search(before) or mention.text.lower() == "baby aspirin" or (dose and int(dose.group("v")) <= 162):
                low_dose_aspirin = low_dose_aspirin or mention
                continue
            if dose and int(dose.group("v")) > 162:
                set_fact(facts, "anticoagulated", True, note.text, mention.start, mention.end)
                return
            continue
        set_fact(facts, "anticoagulated", True, note.text, mention.start, mention.end)
        return
    chosen = negative or low_dose_aspirin
    if chosen is not None:
        set_fact(facts, "anticoagulated", False, note.text, chosen.start, chosen.end)
