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
# "every 6 (six) hours", "3 (three) times daily": Epic spells the number out in brackets.
_SPELLED = r"(?:\s*\([a-z]+\))?"
_INTERVAL = re.compile(rf"\b(?:q|every\s+)(?P<a>\d{{1,2}}){_SPELLED}(?:\s*(?:-|to)\s*(?P<b>\d{{1,2}}){_SPELLED})?\s*(?:h|hr|hrs|hours?)\b", re.I)
_TIMES_A_DAY = re.compile(rf"\b(?P<n>\d|one|two|three|four|five|six){_SPELLED}\s*(?:x|times)\s*(?:/|a|per\s+)?\s*(?:day|daily)\b"
                          r"|\b(?P<m>\d)\s*x\s*daily\b", re.I)
_MAX_MG_PER_DAY = re.compile(r"\bmax(?:imum)?\s+daily\s+(?:amount|dose)\s*:?\s*(?P<mg>\d+(?:\.\d+)?)\s*mg\b"
                             r"|\bmax(?:imum)?\s*(?:of\s*)?(?P<mg2>\d+(?:\.\d+)?)\s*mg\s*(?:/|per|a)\s*day\b", re.I)
_MAX_PER_DAY = re.compile(r"\b(?:max(?:imum)?|up\s+to|no\s+more\s+than)\s*(?:of\s*)?(?P<n>\d{1,2})\s*(?:tabs?|tablets?|pills?|doses?|times)?\s*(?:/|per|a|in\s+24\s*h(?:ours?)?)\s*(?:day|24\s*h(?:ours?|rs?)?)", re.I)
# "10 mg", "10/325 mg", "5-325 mg", "Norco 10/325": the first number is the opioid's strength.
_STRENGTH_MG = re.compile(r"(?P<v>\d+(?:\.\d+)?)\s*(?:[/-]\s*\d+(?:\.\d+)?\s*)?mg\b|(?P<combo>\d+(?:\.\d+)?)\s*[/-]\s*\d{3}\b", re.I)
_STRENGTH_MCG_H = re.compile(r"(?P<v>\d+(?:\.\d+)?)\s*(?:mcg|µg|micrograms?)(?:\s*/\s*(?:h|hr|hour))?\b", re.I)
PER_DAY_AFTER = re.compile(r"\s*(?:a|per|/|each|every)\s*day\b|\s*daily\b", re.I)
_TABS = re.compile(r"\b(?P<a>\d|one|two|three)(?:\s*(?:-|to)\s*(?P<b>\d|two|three|four))?\s*(?:tabs?|tablets?|pills?|caps?|capsules?|patch)\b", re.I)
STATED_MME = re.compile(
    r"(?P<v>\d+(?:\.\d+)?)\s*(?:MME|MEDD|MED|OME|morphine\s+(?:milligram\s+)?equivalents?)\b"
    r"|\b(?:MME|MEDD|morphine\s+(?:milligram\s+)?equivalents?(?:\s+daily\s+dose)?|morphine\s+equivalent\s+daily\s+dose)"
    r"(?:\s*/\s*day|\s+per\s+day|\s+daily)?\s*(?:is|of|:|=|~|approximately|about)?\s*(?P<w>\d+(?:\.\d+)?)", re.I)
INACTIVE_SECTIONS = {"allergies", "family_history", "plan"}
STOPPED = re.compile(r"\b(?:stopped|discontinued|d/c'?d|weaned\s+off|tapered\s+off|came\s+off|quit|no\s+longer|finished)\b", re.I)
STILL = re.compile(r"\b(?:currently|still|continues|continuing|now\s+(?:on|takes|taking|uses))\b", re.I)
CONTINUED = re.compile(r"\b(?:cont\.?|continue[sd]?|continuing|remains?\s+on|stays?\s+on)\b", re.I)


def active(mention: Mention, note: ReadNote | None = None) -> bool:
    """A drug the patient takes now: not negated, planned, past, about family, or an allergy. In a
    plan, only a drug that is continued ("Oxycodone 5 mg q6h prn continued for now")."""
    if mention.family or mention.negated or mention.section in INACTIVE_SECTIONS - {"plan"}:
        return False
    if mention.section == "plan" or mention.hypothetical:
        return note is not None and bool(CONTINUED.search(note.sentence_of(mention).text))
    if mention.historical and mention.current:
        # Both: "started 3 weeks ago", "on apixaban" in the history are taken now; "Oxycodone 5 mg q4h
        # prn after the TKA, weaned off by 6 weeks" is not (its sig reads as current), unless the
        # sentence says it goes on ("stopped gabapentin, still takes oxycodone").
        return note is not None and not _stopped(note, mention)
    return not mention.historical


def _stopped(note: ReadNote, mention: Mention) -> bool:
    """Whether its sentence stops this drug: "stopped gabapentin", "Flexeril made her groggy so she
    stopped it" (the drug before the word, not the "tramadol" named after it)."""
    sentence = note.sentence_of(mention)
    if STILL.search(sentence.text):
        return False
    drugs = sorted(note.in_sentence(sentence.index, "DRUG"), key=lambda m: m.start)
    for match in STOPPED.finditer(sentence.text):
        start, end = sentence.start + match.start(), sentence.start + match.end()
        named_after = next((m for m in drugs if 0 <= m.start - end <= 3), None)
        owner = named_after or next((m for m in reversed(drugs) if m.end <= start), None)
        if owner is mention:
            return True
    return False


COMBINED_WITH = re.compile(r"\s*(?:[-/+]|with|w/)?\s*", re.I)
# Epic writes a prescription's daily cap as a sentence of its own on the same line.
_CAP_AFTER = re.compile(r"[ \t]*max(?:imum)?\s+daily\s+(?:amount|dose)\b[^\n]*", re.I)
WINDOW_CHARS = 140


def _dose_window(note: ReadNote, mention: Mention) -> tuple[int, str]:
    """The text after a drug that gives its dose: to the next other drug named, the end of its
    sentence (or of a daily cap that follows on its line), at most WINDOW_CHARS."""
    sentence = note.sentence_of(mention)
    end = sentence.end
    cap = _CAP_AFTER.match(note.text, end)
    if cap:
        end = cap.end()
    for other in note.in_sentence(sentence.index, "DRUG"):
        if other.start <= mention.start:
            continue
        # "oxyCODONE (ROXICODONE) 5 MG": the brand in brackets is the same drug; "Hydrocodone/APAP
        # 5/325 mg": the acetaminophen of a combination product is part of it.
        if other.meta.get("generic") == mention.meta.get("generic") or (
                other.meta.get("class") == "acetaminophen" and COMBINED_WITH.fullmatch(note.text, mention.end, other.start)):
            continue
        end = min(end, other.start)
    end = min(end, mention.end + WINDOW_CHARS)
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
        if mention.meta.get("class") != "opioid" or factor is None or not active(mention, note):
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
            if tabs and PER_DAY_AFTER.match(window, tabs.end()) and frequency and frequency[1] <= tabs.start():
                # "q6h prn, typically 2-3 tablets a day": the prescription's frequency stands (what
                # is taken does not lower it); "2 tablets daily" alone is the prescription.
                tabs = None
            per_dose = 1.0
            if tabs:
                per_dose = parse_number(tabs.group("b") or tabs.group("a")) or 1.0
            mg_cap = _MAX_MG_PER_DAY.search(window)
            if cap:
                daily_units, end = float(cap.group("n")), cap.end()
            elif frequency:
                daily_units, end = frequency[0] * per_dose, frequency[1]
            elif mg_cap:
                daily_units, end = float(mg_cap.group("mg") or mg_cap.group("mg2")) / milligrams, mg_cap.end()
            else:
                continue
            if mg_cap:  # "Max Daily Amount: 20 mg" caps what the frequency allows
                capped = float(mg_cap.group("mg") or mg_cap.group("mg2")) / milligrams
                if capped < daily_units:
                    daily_units, end = capped, mg_cap.end()
            mme, end = milligrams * daily_units * factor, max(end, strength.end())
            # One prescription per drug and strength: "Continue oxycodone 5 mg q6h prn" in the plan is
            # the listed "oxycodone 5 mg q6h prn, max 3 tabs/day", which is read first.
            key = (mention.meta.get("generic"), milligrams)
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


LABEL = re.compile(r"\s*:")
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
        if not active(mention, note):
            continue
        if mention.label == "ANTICOAG_CLASS" and LABEL.match(note.text, mention.end):
            continue  # "Anticoagulation: aspirin 81 mg daily only": a heading, not a drug
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
