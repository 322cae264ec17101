"""Red flags, psychological evaluation and the ICD-10 codes written in the note."""

from __future__ import annotations

import re

from documentation.nlp.facts.evidence import evidence, set_fact
from documentation.nlp.note import ReadNote

FLAG_ORDER = ["bowel_bladder_dysfunction", "saddle_anesthesia", "progressive_weakness", "fever_or_infection",
              "unexplained_weight_loss", "history_of_cancer"]
# "weight loss" is a red flag only when unexplained or screened for; "lose weight" is care.
WEIGHT_LOSS_AS_CARE = re.compile(r"\b(?:lose|losing|program|diet|counsel|goal|encourag|recommend|advis|bmi)", re.I)


def extract_red_flags(note: ReadNote, facts: dict) -> None:
    chosen: dict[str, tuple[bool, int, int]] = {}
    for mention in note.of("RED_FLAG"):
        if mention.family or mention.hypothetical:
            continue
        flag = mention.meta.get("flag")
        if flag == "unexplained_weight_loss" and mention.text.lower() == "weight loss":
            if WEIGHT_LOSS_AS_CARE.search(note.sentence_of(mention).text) or not (
                    mention.negated or mention.section == "review_of_systems"):
                continue
        if flag == "history_of_cancer" and mention.section == "family_history":
            continue
        present = not mention.negated
        if flag not in chosen or (present and not chosen[flag][0]):
            chosen[flag] = (present, mention.start, mention.end)
    facts["red_flags"] = [
        {"flag": flag, "present": chosen[flag][0], "evidence": evidence(note.text, chosen[flag][1], chosen[flag][2])}
        for flag in FLAG_ORDER if flag in chosen
    ]


CLEARED = re.compile(r"\b(?:cleared|clearance\s+(?:obtained|received|granted|given)|passed|approved|appropriate\s+candidate|suitable\s+candidate|no\s+(?:psychological\s+)?contraindications?)\b", re.I)
NOT_CLEARED = re.compile(r"\b(?:not\s+cleared|did\s+not\s+clear|not\s+(?:a\s+)?(?:suitable|appropriate)\s+candidate|failed|not\s+approved|contraindicat(?:ed|ion)s?\s+(?:identified|noted|found))\b", re.I)
DONE = re.compile(r"\b(?:completed|performed|done|obtained|underwent|undergone|was\s+seen|evaluated|results?|on\s+file|received)\b", re.I)
PENDING = re.compile(r"\b(?:pending|scheduled|will|needs?|required|requires|to\s+be|awaiting|referred|referral|order(?:ed)?|not\s+yet)\b", re.I)


def extract_psych(note: ReadNote, facts: dict) -> None:
    for mention in note.of("PSYCH_EVAL"):
        if mention.family:
            continue
        sentence = note.sentence_of(mention)
        text = sentence.text
        tail = text[mention.start - sentence.start:]
        if NOT_CLEARED.search(tail):
            set_fact(facts, "psych_eval.done", True, note.text, mention.start, mention.end)
            set_fact(facts, "psych_eval.cleared", False, note.text, mention.start, mention.end)
            return
        if CLEARED.search(text) and not mention.negated:
            set_fact(facts, "psych_eval.done", True, note.text, mention.start, mention.end)
            set_fact(facts, "psych_eval.cleared", True, note.text, mention.start, mention.end)
            return
        if mention.negated or mention.hypothetical or PENDING.search(text):
            set_fact(facts, "psych_eval.done", False, note.text, mention.start, mention.end)
            continue
        if DONE.search(text):
            set_fact(facts, "psych_eval.done", True, note.text, mention.start, mention.end)
            return


# ICD-10-CM: a letter, two digits, then a dot and up to four characters. Codes without their dot
# ("M5416") are taken only after the word ICD; bare L4/C5/T12 spinal levels never match.
ICD10 = re.compile(r"(?<![\w.])(?P<code>[A-TV-Z][0-9][0-9AB]\.[0-9A-Z]{1,4})(?!\w|\.\w)")
ICD10_UNDOTTED = re.compile(r"\bICD(?:-?10)?(?:-CM)?\s*(?:code)?s?\s*[:#]?\s*(?P<code>[A-TV-Z][0-9][0-9AB][0-9A-Z]{0,4})\b")


def extract_icd10(note: ReadNote, facts: dict) -> None:
    codes: list[str] = []
    for text in [note.text[:len(note.text)]]:
        for pattern in (ICD10, ICD10_UNDOTTED):
            for match in pattern.finditer(text):
                code = match.group("code")
                if pattern is ICD10_UNDOTTED and len(code) > 3:
                    code = code[:3] + "." + code[3:]
                if code not in codes:
                    codes.append(code)
    facts["icd10_codes"] = codes
