"""Red flags, psychological evaluation and the ICD-10 codes written in the note."""

from __future__ import annotations

import re

from documentation.nlp.facts.evidence import evidence, set_fact
from documentation.nlp.note import Mention, ReadNote, Sentence

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
        # "afebrile" says the flag is absent; plain "weakness" is a fact only when denied.
        present = not mention.negated and not mention.meta.get("absent")
        if present and mention.meta.get("denial_only"):
            continue
        if flag not in chosen or (present and not chosen[flag][0]):
            chosen[flag] = (present, mention.start, mention.end)
    facts["red_flags"] = [
        {"flag": flag, "present": chosen[flag][0], "evidence": evidence(note.text, chosen[flag][1], chosen[flag][2])}
        for flag in FLAG_ORDER if flag in chosen
    ]


# A clearance is often stated in the sentence after the one naming the evaluation ("Psychological
# evaluation: completed 07/2025. He is cleared to proceed."), so the sentences that follow it in the
# same section are read too. Other clearances (medical, cardiac, surgical) are not psychological.
_OTHER_CLEARANCE = r"(?<!medically\s)(?<!medical\s)(?<!cardiac\s)(?<!surgical\s)(?<!dental\s)"
CLEARED = re.compile(
    rf"\b(?:{_OTHER_CLEARANCE}cleared|{_OTHER_CLEARANCE}clearance\s+(?:obtained|received|granted|given|on\s+file|documented|completed)"
    r"|(?:psych\w*\s+)?clearance\s+(?:is\s+|was\s+)?(?:on\s+file|in\s+(?:the\s+)?chart)"
    r"|(?:an?\s+)?(?:appropriate|suitable|good|acceptable|reasonable|excellent)\s+candidate"
    r"|no\s+(?:psychological\s+|psychiatric\s+|behavioral\s+)?(?:contraindications?|barriers?|concerns?\s+(?:that\s+)?(?:would\s+)?preclud\w*)"
    r"|recommend(?:s|ed)?\s+(?:proceeding|that\s+(?:we|he|she|they|the\s+patient)\s+proceed|moving\s+forward)"
    r"|(?:ok|okay|fine|safe)\s+to\s+proceed|(?:may|can)\s+proceed|supports?\s+(?:proceeding|the\s+trial|implant))",
    re.I)
NOT_CLEARED = re.compile(
    r"\b(?:not\s+(?:been\s+|yet\s+been\s+)?(?:psychologically\s+)?cleared\s+(?:for|to|by)|not\s+(?:been\s+)?(?:psychologically\s+)?cleared(?!\s+yet)|did\s+not\s+clear|(?:does|did|would)\s+not\s+(?:recommend|support)\s+(?:proceeding|the\s+trial|implant)"
    r"|not\s+(?:a\s+|an\s+)?(?:suitable|appropriate|good)\s+candidate|(?:a\s+)?poor\s+candidate|recommend(?:s|ed)?\s+against"
    r"|clearance\s+(?:was\s+|is\s+|has\s+been\s+)?(?:withheld|denied|deferred)"
    r"|contraindicat(?:ed|ions?)\s+(?:identified|noted|found|present))\b", re.I)
DONE = re.compile(r"\b(?:completed|performed|done|obtained|underwent|undergone|was\s+seen|evaluated|results?|on\s+file|received)\b", re.I)
PENDING = re.compile(r"\b(?:pending|scheduled|will|needs?|required|requires|to\s+be|awaiting|referred|referral|order(?:ed)?|not\s+yet)\b", re.I)
# Read only after the evaluation's own name, in its sentence: "failed PT; psych eval passed".
FAILED = re.compile(r"\b(?:failed|not\s+approved)\b", re.I)
PASSED = re.compile(r"\b(?:passed|approved)\b", re.I)
# Sentences after the evaluation's own that may carry its result.
FOLLOWING_SENTENCES = 2
PARAGRAPH_SENTENCES = 8


# "From a psychological standpoint, she is cleared to proceed": a psychologist's own letter states its
# result far from the words "psychological evaluation".
PSYCHOLOGICAL = re.compile(r"\bpsycholog\w*|\bpsych\b", re.I)


def extract_psych(note: ReadNote, facts: dict) -> None:
    _extract_psych_near_mentions(note, facts)
    if facts["psych_eval"]["cleared"] is not None or not note.of("PSYCH_EVAL") or facts["psych_eval"]["done"] is False:
        return
    for sentence in note.sentences:
        if sentence.section == "family_history" or not PSYCHOLOGICAL.search(sentence.text):
            continue
        for pattern, cleared in ((NOT_CLEARED, False), (CLEARED, True)):
            match = pattern.search(sentence.text)
            if match and not PENDING.search(sentence.text):
                start, end = sentence.start + match.start(), sentence.start + match.end()
                if facts["psych_eval"]["done"] is None:
                    set_fact(facts, "psych_eval.done", True, note.text, start, end)
                set_fact(facts, "psych_eval.cleared", cleared, note.text, start, end)
                return


def _extract_psych_near_mentions(note: ReadNote, facts: dict) -> None:
    for mention in note.of("PSYCH_EVAL"):
        if mention.family:
            continue
        if mention.hypothetical:
            set_fact(facts, "psych_eval.done", False, note.text, mention.start, mention.end)
            continue
        sentence = note.sentence_of(mention)
        result = _result(note, sentence, mention)
        if result is not None:
            cleared, start, end = result
            set_fact(facts, "psych_eval.done", True, note.text, mention.start, mention.end)
            set_fact(facts, "psych_eval.cleared", cleared, note.text, start, end)
            return
        if mention.negated or PENDING.search(sentence.text):
            set_fact(facts, "psych_eval.done", False, note.text, mention.start, mention.end)
            continue
        if DONE.search(sentence.text):
            set_fact(facts, "psych_eval.done", True, note.text, mention.start, mention.end)
            return


def _result(note: ReadNote, sentence: Sentence, mention: Mention) -> tuple[bool, int, int] | None:
    """(cleared, start, end) stated in the evaluation's sentence or the next ones of its section."""
    window = [sentence]
    for position, following in enumerate(note.sentences[sentence.index + 1:sentence.index + 1 + PARAGRAPH_SENTENCES]):
        # The evaluation's paragraph goes on through an inline "Impression: ..." (which the
        # sectionizer takes for a header) to its "Conclusion: ..."; a blank line or a new line in
        # another section ends it. Past the first sentences, only within the paragraph.
        between = note.text[window[-1].end:following.start]
        if "\n\n" in between or (following.section != sentence.section and "\n" in between):
            break
        if position >= FOLLOWING_SENTENCES and "\n" in between:
            break
        window.append(following)
    for part in window:
        text = part.text
        if PENDING.search(text) and not DONE.search(text) and not NOT_CLEARED.search(text):
            continue
        not_cleared = NOT_CLEARED.search(text)
        if part is sentence and not not_cleared:
            not_cleared = FAILED.search(text, mention.start - sentence.start)
        if not_cleared:
            return False, part.start + not_cleared.start(), part.start + not_cleared.end()
        if mention.negated and part is sentence:
            continue
        cleared = CLEARED.search(text)
        if not cleared and part is sentence:
            cleared = PASSED.search(text, mention.start - sentence.start)
        if cleared:
            return True, part.start + cleared.start(), part.start + cleared.end()
    return None


# ICD-10-CM: a letter, two digits, then a dot and up to four characters. Codes without their dot
# ("M5416") are taken only after the word ICD; bare L4/C5/T12 spinal levels never match.
ICD10 = re.compile(r"(?<![\w.])(?P<code>[A-TV-Z][0-9][0-9AB]\.[0-9A-Z]{1,4})(?!\w|\.\w)")
ICD10_UNDOTTED = re.compile(r"\bICD(?:-?10)?(?:-CM)?\s*(?:code)?s?\s*[:#]?\s*(?P<code>[A-TV-Z][0-9][0-9AB][0-9A-Z]{0,4})\b(?!\.\w)")
# A three-character category without a dot ("Hypertension (I10)", "Diagnoses: ... F54 Psychological
# factors"): in brackets, or opening an item of a diagnosis list. T codes are left out: T10-T12 are
# spinal levels far more often than injury categories.
ICD10_CATEGORY = re.compile(
    r"[(\[](?P<code>[A-SU-Z][0-9]{2})[)\]]"
    r"|(?:^|[:;,]\s*|\d\.\s+)(?P<listed>[A-SU-Z][0-9]{2})\s+[A-Z][a-z]", re.M)
DIAGNOSIS_LINE = re.compile(r"\b(?:diagnos[ie]s|dx|assessment|impression|problems?)\b", re.I)


def extract_icd10(note: ReadNote, facts: dict) -> None:
    codes: list[str] = []
    for pattern in (ICD10, ICD10_UNDOTTED, ICD10_CATEGORY):
        for match in pattern.finditer(note.text):
            code = match.group("code") or match.group("listed")
            if pattern is ICD10_UNDOTTED and len(code) > 3:
                code = code[:3] + "." + code[3:]
            if pattern is ICD10_CATEGORY and match.group("listed"):
                line_start = note.text.rfind("\n", 0, match.start()) + 1
                if not DIAGNOSIS_LINE.search(note.text, line_start, match.start() + 1) and not DIAGNOSIS_LINE.search(
                        note.text[max(0, line_start - 80):line_start]):
                    continue
            if code not in codes:
                codes.append(code)
    facts["icd10_codes"] = codes
