"""Function: Oswestry and Neck Disability Index, limits on daily activities."""

from __future__ import annotations

import re

from documentation.nlp.facts.evidence import set_fact
from documentation.nlp.note import ReadNote, unticked_box_before

# Between the index's name and its value: "(NDI)", "score", "today", "is now", "was", ":" in any order.
# "(NDI)", "(patient completed, MA totaled)": a bracket without numbers.
_FILLER = (r"(?:\s*(?:\([^()\d\n]{1,40}\)|score|total|today|now|currently|presently|this\s+visit|at\s+this\s+visit|measured"
           r"|is|was|of|at|=|:|-|down|up|improved|decreased|increased|dropped|went|from))*")
_SCORE = (rf"{_FILLER}\s*"
          r"(?P<v>\d{1,3}(?:\.\d+)?)\s*(?P<unit>%|percent\b|/\s*50\b|/\s*100\b|out\s+of\s+50\b|out\s+of\s+100\b)?")
LATER_VALUE = re.compile(r"\s*(?:%|/\s*50\b|/\s*100\b)?\s*(?:to|->|→)\s*(?P<v>\d{1,3}(?:\.\d+)?)\s*(?P<unit>%|/\s*50\b|/\s*100\b)?", re.I)
INDEX = {
    "function.odi_percent": re.compile(rf"\b(?:ODI|Oswestry(?:\s+Disability)?(?:\s+Index)?(?:\s+Questionnaire)?){_SCORE}", re.I),
    "function.ndi_percent": re.compile(rf"\b(?:NDI|Neck\s+Disability(?:\s+Index)?){_SCORE}", re.I),
}


def extract_function(note: ReadNote, facts: dict) -> None:
    for path, pattern in INDEX.items():
        found = None
        # The whole text, not sentence by sentence: "ODI:" alone on a line is a header.
        for match in pattern.finditer(note.text):
            later = LATER_VALUE.match(note.text, match.end())  # "ODI down from 52% to 30%"
            end = later.end() if later else match.end()
            value = float((later or match).group("v"))
            unit = ((later or match).group("unit") or match.group("unit") or "").replace(" ", "").lower()
            if unit in {"/50", "outof50"}:
                value = value * 2
            if 0 <= value <= 100:
                found = (value, match.start(), end)
        if found:  # the last statement is the most recent
            value, start, end = found
            set_fact(facts, path, int(value) if value == int(value) else round(value, 1), note.text, start, end)
    _adl(note, facts)


ADL_FALSE = re.compile(
    r"\b(?:independent\s+(?:in|with)\s+(?:all\s+)?(?:ADLs|activities\s+of\s+daily\s+living)|no\s+functional\s+limitations?"
    r"|no\s+limitations?\s+(?:in|with|on)\s+(?:ADLs|activities|daily\s+activities|work)|full\s+(?:duty|function))\b", re.I)


# Limits on daily life or work stated in plain words; a family the target phrases cannot list.
_ACTIVITY = (r"(?:golf(?:ing)?|garden(?:ing)?|(?:grocery\s+)?shopping|driv(?:e|ing)|work(?:ing)?|walk(?:ing|s)?|run(?:ning)?"
             r"|jog(?:ging)?|exercis(?:e|ing)|hik(?:e|ing)|cook(?:ing)?|clean(?:ing)?|bowling|fishing|danc(?:e|ing)|swim(?:ming)?"
             r"|cycling|bik(?:e|ing)|play(?:ing)?|lift(?:ing)?"
             r"|(?:taking|using|climbing|doing|managing|manage|take|use|climb|do)\s+(?:the\s+)?(?:stairs|steps|housework|chores|yard\s?work)"
             r"|stairs|housework|chores|yard\s?work|mow(?:ing)?|vacuum(?:ing)?|travel(?:ing|ling)?|stand(?:ing)?|sit(?:ting)?"
             r"|dress(?:ing)?|bath(?:e|ing)|shower(?:ing)?|kneel(?:ing)?|bend(?:ing)?|carry(?:ing)?|mop(?:ping)?|laundry"
             r"|overhead\s+work|lie\s+on|lying\s+on|sleep(?:ing)?\s+on|get\s+through\s+a\s+(?:full\s+)?(?:shift|day|workday)"
             r"|(?:(?:his|her|their)\s+)?(?:\w+\s+)?(?:hobbies|job|usual\s+activities))")
_SELF_CARE = r"(?:dressing|bathing|showering|toileting|grooming|(?:putting\s+on\s+)?(?:his|her|their)?\s*(?:socks|shoes|pants)|putting\s+on\s+\w+|self[-\s]care|ADLs|activities\s+of\s+daily\s+living|getting\s+dressed|housework|chores)"
ADL_TRUE = re.compile(
    r"\b(?:"
    r"(?:out\s+of|off(?:\s+of)?)\s+work|(?:missed|missing|misses)\s+(?:\w+\s+){0,4}?(?:work|shifts?)|(?:has|had|have)\s+missed\s+(?:\w+\s+){0,2}?days\b"
    r"|(?:has\s+not|hasn't|have\s+not|haven't|not)\s+(?:been\s+(?:able\s+to\s+)?)?(?:worked|work|returned\s+to\s+work|been\s+working)"
    r"|(?:unable\s+to|cannot|can't|can\s+not|could\s+not|couldn't|can\s+no\s+longer|no\s+longer\s+able\s+to|not\s+able\s+to)\s+(?:\w+\s+){0,1}?" + _ACTIVITY +
    r"|(?:stopped|quit|given\s+up|gave\s+up|give\s+up|had\s+to\s+(?:stop|quit|give\s+up|leave)|no\s+longer)\s+(?:\w+\s+){0,1}?" + _ACTIVITY +
    # "has not been able to do her own shopping", "can no longer manage the stairs down to her basement"
    r"|(?:has\s+not|hasn't|have\s+not|haven't)\s+been\s+able\s+to\s+(?:\w+\s+){0,3}?" + _ACTIVITY +
    r"|can\s+no\s+longer\s+(?:\w+\s+){0,3}?" + _ACTIVITY +
    # "cannot stand more than 20 min", "limited standing at the stove", "stairs are hard"
    r"|(?:cannot|can't|can\s+not|unable\s+to|not\s+able\s+to)\s+(?:stand|sit|walk|drive|lift)\s+(?:for\s+)?(?:more|longer)\s+than"
    r"|(?:still\s+)?limited\s+(?:in\s+)?(?:standing|sitting|walking|driving|lifting|bending)"
    r"|(?:stairs|walking|standing|sitting|driving|lifting|bending|sleeping)\s+(?:is|are|remains?)\s+(?:\w+\s+)?(?:hard|difficult|limited)"
    r"|(?:trouble|difficulty|difficulties)\s+(?:with\s+)?(?:\w+\s+){0,2}?" + _ACTIVITY +
    r"|keeps?\s+(?:him|her|them|me|you)\s+from\s+(?:\w+\s+){0,2}?(?:work|daily\s+activities|activities)" +
    r"|(?:leaving|left|leaves)\s+work\s+early|(?:on|taking|took)\s+(?:FMLA|medical\s+leave|short[-\s]term\s+disability|long[-\s]term\s+disability|disability\s+leave|workers'?\s+comp\w*)"
    r"|(?:needs?|needing|requires?|requiring)\s+(?:\w+\s+)?(?:\w+'s\s+)?(?:help|assistance)\s+(?:with\s+|w/\s*|for\s+|to\s+)?(?:\w+\s+){0,2}?"
    r"(?:" + _SELF_CARE + r"|" + _ACTIVITY + r"|lift|put\s+on)" +
    r"|(?:limits?|limited|limiting|restricts?|restricted|interferes?\s+with|interfering\s+with)\s+(?:his|her|their|the\s+patient's)\s+(?:ability\s+to\s+)?" + _ACTIVITY +
    r"|(?:difficulty|trouble|struggles?|struggling)\s+(?:with\s+)?" + _SELF_CARE +
    # "can't tolerate a bra", "unable to tolerate sitting >20 min", "not able to return to his usual duties"
    r"|(?:can't|cannot|can\s+not|unable\s+to|not\s+able\s+to|could\s+not|couldn't)\s+tolerate\s+(?:\w+\s+){0,2}?"
    r"(?:sitting|standing|walking|driving|lifting|bending|working|work|clothing|clothes|shirts?|a\s+bra|bras?|being\s+touched|stairs)"
    r"|(?:not\s+able|unable|cannot|can't|can\s+not)\s+to\s+(?:return|go\s+back)\s+to\s+(?:\w+\s+){0,4}?(?:work|duty|duties|job)"
    r"|(?:cannot|can't|can\s+not)\s+(?:return|go\s+back)\s+to\s+(?:\w+\s+){0,4}?(?:work|duty|duties|job)" +
    # "her son now does the laundry and grocery shopping for her": someone else does the patient's chores.
    r"|(?:son|daughter|husband|wife|spouse|partner|family|caregiver|neighbou?r|friends?|children|kids)\s+"
    r"(?:now\s+|has\s+to\s+|have\s+to\s+|to\s+|has\s+been\s+|is\s+)?"
    r"(?:does|do|doing|help(?:s|ing)?\s+(?:her|him)\s+with|takes?\s+care\s+of|handles?)\s+(?:all\s+)?(?:of\s+)?(?:the\s+|her\s+|his\s+)?(?:\w+\s+)?"
    r"(?:laundry|shopping|cleaning|housework|chores|cooking|yard\s*work|errands)" +
    r")\b", re.I)
# "He does not need help", "never missed work": the limit is denied.
ADL_DENIED = re.compile(r"\b(?:no|not|never|denies|denied|without|none)\b[^.;,]{0,15}$", re.I)
ADL_CONDITIONAL = re.compile(r"\b(?:if|unless|should|would|return\s+(?:precautions|sooner|if)|goals?)\b", re.I)
# Sections where such words describe the exam, the plan or someone else, not the patient's daily life.
NOT_DAILY_LIFE = {"family_history", "physical_exam", "plan", "assessment_and_plan", "imaging", "medications"}


def _adl(note: ReadNote, facts: dict) -> None:
    mentions = [m for m in note.of("ADL_LIMIT") if not m.family and not m.hypothetical and not _names_an_index(note, m)]
    affirmed = [m for m in mentions if not m.negated]
    if affirmed:
        set_fact(facts, "function.adl_limited", True, note.text, affirmed[0].start, affirmed[0].end)
        return
    for sentence in note.sentences:
        if sentence.section in NOT_DAILY_LIFE or ADL_CONDITIONAL.search(sentence.text):
            continue
        for match in ADL_TRUE.finditer(sentence.text):
            if ADL_DENIED.search(sentence.text[:match.start()]) and not match.group().lower().startswith(("not", "has", "have")):
                continue
            if unticked_box_before(note.text, sentence.start + match.start()):
                continue
            set_fact(facts, "function.adl_limited", True, note.text,
                     sentence.start + match.start(), sentence.start + match.end())
            return
    for sentence in note.sentences:
        match = next((m for m in ADL_FALSE.finditer(sentence.text)
                      if not unticked_box_before(note.text, sentence.start + m.start())), None)
        if match:
            set_fact(facts, "function.adl_limited", False, note.text,
                     sentence.start + match.start(), sentence.start + match.end())
            return
    if mentions:
        set_fact(facts, "function.adl_limited", False, note.text, mentions[0].start, mentions[0].end)


def _names_an_index(note: ReadNote, mention) -> bool:
    """'Disability' in 'Neck Disability Index' or 'Oswestry Disability' names a score, not a limit."""
    before = note.text[max(0, mention.start - 12):mention.start].lower()
    after = note.text[mention.end:mention.end + 12].lower()
    return "oswestry" in before or "neck" in before or after.lstrip().startswith(("index", "questionnaire", "score"))
