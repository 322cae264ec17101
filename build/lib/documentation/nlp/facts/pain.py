"""Pain: regions, laterality, duration, current NRS, radicular and axial character."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

from documentation.nlp.facts.dates import SINCE, months_since
from documentation.nlp.facts.evidence import set_fact
from documentation.nlp.facts.quantities import NUMBER, durations, parse_number
from documentation.nlp.note import Mention, ReadNote

# Sections whose mentions are not about the pain being treated now.
NOT_THE_COMPLAINT = {"family_history", "past_medical_history", "past_surgical_history", "allergies",
                     "social_history", "medications", "review_of_systems"}
REGION_ORDER = ["cervical", "thoracic", "lumbar", "sacroiliac", "knee", "hip", "shoulder", "other"]


# "neck and left arm pain", "pain in low back and L leg", "knee/hip pain": a body region the pain is
# named with, where the target phrases ("neck pain") do not reach.
_REGION_WORD = (r"(?P<cervical>neck)|(?P<lumbar>low(?:er)?\s+back|lumbar)|(?P<thoracic>mid[-\s]?back|thoracic)"
                r"|(?P<knee>knees?)|(?P<hip>hips?)|(?P<shoulder>shoulders?)|(?P<sacroiliac>SI\s+joints?|sacroiliac)")
_SIDE = r"(?:(?:left|right|bilateral|both|L|R)\s+)?"
PAIN_NOUN = r"(?:pain|ache|aching|discomfort|soreness)"
REGION_WORD = re.compile(_REGION_WORD, re.I)
_ANY_REGION = re.sub(r"\(\?P<\w+>", "(?:", _REGION_WORD)
REGION_PAIN = re.compile(
    rf"\b{_SIDE}(?:{_ANY_REGION})(?:\s*(?:and|&|/)\s*{_SIDE}(?:upper\s+|lower\s+)?(?:arms?|legs?|shoulders?|hips?|buttocks?|thighs?|knees?"
    rf"|back|neck|groin|foot|feet|hands?))?\s+{PAIN_NOUN}\b"
    rf"|\b{PAIN_NOUN}\s+(?:in|of|over|across)\s+(?:the\s+|his\s+|her\s+|their\s+|both\s+)?{_SIDE}(?:{_ANY_REGION})\b", re.I)
DENIED_BEFORE = re.compile(r"\b(?:no|denies|denied|without|not|never)\s+(?:\w+\s+){0,3}$", re.I)
RELATIVE_BEFORE = re.compile(r"\b(?:mother|father|mom|dad|brother|sister|son|daughter|aunt|uncle|grandmother|grandfather"
                             r"|cousin|parents?|siblings?|family\s+history)\b", re.I)


def _complaint_matches(note: ReadNote, pattern: re.Pattern) -> Iterator[re.Match]:
    """Matches of ``pattern`` where the note tells the patient's complaint, neither denied nor a relative's."""
    for sentence in note.sentences:
        if sentence.section in NOT_THE_COMPLAINT | {"physical_exam", "imaging", "procedure", "plan", "family_history"}:
            continue
        for match in pattern.finditer(sentence.text):
            if DENIED_BEFORE.search(sentence.text, max(0, match.start() - 25), match.start()):
                continue
            if any(m.family for m in note.in_sentence(sentence.index)) or RELATIVE_BEFORE.search(sentence.text, 0, match.start()):
                continue
            yield match


def _regions_in_words(note: ReadNote) -> set[str]:
    regions = set()
    for match in _complaint_matches(note, REGION_PAIN):
        region = REGION_WORD.search(match.group())
        regions |= {name for name, value in region.groupdict().items() if value}
    return regions


# Buttock pain is as often referred from the lumbar spine as it comes from the SI joint, so alone it
# names no region. Three or more positive SI provocation tests localise it to the joint (the
# threshold the tests are validated at, and the one payers ask for): "Right buttock pain ... 4 of 5 SI
# provocative tests positive" is sacroiliac pain.
BUTTOCK_PAIN = re.compile(
    rf"\b{_SIDE}(?:buttocks?|gluteal)\s+(?:region\s+|area\s+)?{PAIN_NOUN}\b"
    rf"|\b{PAIN_NOUN}\s+(?:in|over|of)\s+(?:the\s+|his\s+|her\s+|both\s+)?{_SIDE}(?:buttocks?|gluteal\s+region)\b", re.I)
SI_JOINT_LOCALISED = 3


def _buttock_pain_of_the_si_joint(note: ReadNote, facts: dict) -> bool:
    if (facts["exam"]["si_provocative_positive"] or 0) < SI_JOINT_LOCALISED:
        return False
    return next(_complaint_matches(note, BUTTOCK_PAIN), None) is not None


def extract_pain(note: ReadNote, facts: dict, note_date: datetime.date | None) -> None:
    """The pain facts; reads ``facts["exam"]``, so the exam is read first."""
    sites = [m for m in note.of("PAIN_SITE") if m.affirmed and m.section not in NOT_THE_COMPLAINT]
    regions = {m.meta.get("region") for m in sites} - {None}
    regions |= _regions_in_words(note)
    if _buttock_pain_of_the_si_joint(note, facts):
        regions.add("sacroiliac")
    facts["pain"]["regions"] = [r for r in REGION_ORDER if r in regions]
    _laterality(note, facts, sites)
    _duration(note, facts, note_date)
    _nrs(note, facts)
    _radicular(note, facts)
    _axial(note, facts)


LATERALITY = re.compile(r"\b(left|right|bilateral|bilaterally|bilat|both\s+(?:legs|arms|sides|lower\s+extremities|knees|hips|buttocks|thighs|shoulders))\b"
                        r"(?![-\s]handed)", re.I)
_BODY = (r"(?:knees?|hips?|shoulders?|SI\b|SIJ|sacroiliac|legs?|arms?|buttocks?|groin|thighs?|calf|calves|neck|(?:low|lower|upper|mid)[-\s]?back"
         r"|back|trapezius|scapula|shoulder\s+blade|flank|gluteal|paraspinal|foot|feet|hands?|elbow|ankle|sciatica|lumbar|cervical|thoracic"
         r"|coccyx|sided|side)")
# A side named in a sentence without a recognised site: "left groin and thigh pain", "R knee",
# "left-sided, band-like pain". "L"/"R" count only right before a body part.
SIDE_OF_BODY = re.compile(
    rf"\b(?:(?P<word>left|right|bilateral)(?:[-\s]sided\b|\s+(?:\w+[\s/-]+){{0,2}}?{_BODY}\b)|(?P<letter>[LR])\.?\s+{_BODY}\b)", re.I)
# "bilateral L3-L5 medial branch blocks": the side of a procedure or a study, not of the pain.
SIDE_OF_SOMETHING_ELSE = {"PROCEDURE", "IMAGING", "FINDING"}


def _laterality(note: ReadNote, facts: dict, sites: list[Mention]) -> None:
    radicular = [m for m in note.of("RADICULAR") if m.affirmed and m.section not in NOT_THE_COMPLAINT]
    with_site = {m.sentence for m in sites + radicular}
    for sentence in note.sentences:
        if sentence.section in NOT_THE_COMPLAINT | {"physical_exam", "imaging", "procedure", "plan"}:
            continue
        if sentence.index in with_site:
            found = [m for m in LATERALITY.finditer(sentence.text) if not _names_another_side(note, sentence, m)]
            spans = [(m.start(), m.end(), m.group(1).lower().split()[0]) for m in found]
            spans += [(m.start(), m.end(), {"l": "left", "r": "right"}[m.group("letter").lower()])
                      for m in SIDE_OF_BODY.finditer(sentence.text) if m.group("letter")]
            spans.sort()
        elif PAIN_WORD.search(sentence.text) or len(sentence.text.split()) <= 4:
            found = [m for m in SIDE_OF_BODY.finditer(sentence.text) if not _names_another_side(note, sentence, m)]
            spans = [(m.start(), m.end(), (m.group("word") or {"l": "left", "r": "right"}[m.group("letter").lower()]).lower())
                     for m in found]
        else:
            continue
        if not spans:
            continue
        words = {word for _, _, word in spans}
        side = "bilateral" if words & {"bilateral", "bilaterally", "bilat", "both"} or {"left", "right"} <= words else words.pop()
        set_fact(facts, "pain.laterality", side, note.text, sentence.start + spans[0][0], sentence.start + spans[-1][1])
        return


_BODY_WORD = re.compile(rf"\b{_BODY}", re.I)


def _names_another_side(note: ReadNote, sentence, match) -> bool:
    """The side word qualifies a procedure, study or finding that follows it without naming a body
    part or pain on the way ('bilateral L3, L4 medial branch radiofrequency ablation')."""
    end = sentence.start + match.end()
    for mention in note.in_sentence(sentence.index):
        if mention.label in SIDE_OF_SOMETHING_ELSE and end <= mention.start <= end + 60:
            between = note.text[end:mention.start]
            if not (re.search(r"[;.]", between) or PAIN_WORD.search(between) or _BODY_WORD.search(between)):
                return True
    return False


PAIN_WORD = re.compile(r"\b(?:pain|ache|aching|symptoms|sciatica|radiculopathy|lbp|cervicalgia|lumbago|discomfort)\b", re.I)
DURATION_CUE = re.compile(
    r"(?:\bfor|\bx|×|\bover|\bpast|\blast|\blasting|\bof|\bnow|\bapproximately|\babout|\bnearly|\balmost|~|\bthe|\bsome"
    r"|\bduration\s*[:-]?|\bhistory\s*[:-]|\blong-?standing\s*\(?"
    # "low back pain, 9 months": the duration right after the pain it qualifies.
    r"|\b(?:pain|ache|symptoms|sciatica|radiculopathy)\s*[,:(–-])\s*$", re.I)
# Qualifiers between the cue and the number: "for more than 5 years", "(>10 years)".
QUALIFIER = re.compile(r"(?:\s*(?:more\s+than|greater\s+than|over|at\s+least|nearly|almost|about|approximately|roughly|around|>|≥|~|\+))+\s*$", re.I)
PAIN_OF = re.compile(r"\s*of\s+(?:[\w/-]+\s+){0,4}?(?:pain|ache|symptoms|sciatica|radiculopathy|discomfort)\b", re.I)
# "Onset 10 months ago", "rear-ended 14 weeks ago", a template's "Duration: 7 months": the complaint's
# start or length told without the word pain.
ONSET = re.compile(r"\b(?:duration|onset|began|begun|started|starting|injury|injured|accident|fall|fell|collision|rear-ended|MVA|MVC|lifting|twisted)\b", re.I)
NOT_PAIN_DURATION = {"CARE", "DRUG", "PROCEDURE", "IMAGING"}
# Words that make a nearby duration that of a treatment's relief, not of the pain.
RELIEF_WORDS = re.compile(r"\b(?:relief|lasted|wore\s+off|benefit|improvement|better)\b", re.I)


# A form's question answered on the next line: "How long have you had this pain?\n  since ...".
DURATION_QUESTION = re.compile(r"\bhow\s+long\s+have\s+you\s+had\b|\bduration\s+of\s+(?:pain|symptoms)\b", re.I)


def _duration(note: ReadNote, facts: dict, note_date: datetime.date | None) -> None:
    for sentence in note.sentences:
        if sentence.section in NOT_THE_COMPLAINT | {"imaging", "procedure", "plan", "physical_exam"}:
            continue
        previous = note.sentences[sentence.index - 1] if sentence.index else None
        asked = previous is not None and bool(DURATION_QUESTION.search(previous.text))
        found = _durations_in(note, sentence, note_date, asked)
        if found:
            months, start, end = min(found, key=lambda candidate: candidate[1])
            set_fact(facts, "pain.duration_months", round(months, 1), note.text, sentence.start + start, sentence.start + end)
            return


def _durations_in(note: ReadNote, sentence, note_date: datetime.date | None,
                  asked: bool = False) -> list[tuple[float, int, int]]:
    """(months, start, end) of each statement of the pain's duration in the sentence; ``asked`` when
    the sentence answers a question about it."""
    text = sentence.text
    pain_words = [m.start() for m in PAIN_WORD.finditer(text)] or ([0] if asked else [])
    others = [m.start - sentence.start for m in note.in_sentence(sentence.index) if m.label in NOT_PAIN_DURATION]
    onset_only = not pain_words
    if onset_only and (others or not ONSET.search(text)):
        return []
    found = []
    for duration in durations(text):
        before = QUALIFIER.sub("", text[max(0, duration.start - 30):duration.start])
        after = text[duration.end:duration.end + 50]
        ago = after.lstrip().lower().startswith("ago")
        if onset_only and not (ago or re.search(r"\bduration\s*[:-]?\s*$", before, re.I)):
            continue
        if not (DURATION_CUE.search(before) or ago or after.lstrip().lower().startswith(("history", "hx", "duration"))
                or PAIN_OF.match(after)):
            continue
        if re.match(r"\s*(?:of|with)\s+(?:\w+\s+){0,2}(?:therapy|pt|relief|treatment|physical)\b", after, re.I):
            continue
        if RELIEF_WORDS.search(text[max(0, duration.start - 50):duration.start]):
            continue
        if pain_words:
            pain_distance = min(abs(p - duration.start) for p in pain_words)
            if any(abs(o - duration.start) < pain_distance for o in others):
                continue
        found.append((duration.months(), duration.start, duration.end))
    if note_date is not None and (pain_words or onset_only):
        for match in SINCE.finditer(text):
            months = months_since(match, note_date)
            if months is not None:
                found.append((months, match.start(), match.end()))
    return found


NRS_PATTERNS = [
    # 7/10, 4-9/10, 7 out of 10
    re.compile(r"(?<![\d/.])(?:(?P<low>\d{1,2})\s*(?:-|–|to)\s*)?(?P<v>\d{1,2}(?:\.\d)?)\s*(?:/\s*10|out\s+of\s+(?:10|ten))(?![\d/])", re.I),
    # VAS 70/100, VAS 70 mm
    re.compile(r"\bVAS\s*(?:score|of|is|:|=)?\s*(?P<v100>\d{1,3})\s*(?:/\s*100|mm)\b", re.I),
    # NRS 7, pain score 7, rates pain at 7
    re.compile(r"\b(?:NRS|VAS|pain\s+(?:score|level|rating|intensity|scale)|rates?\s+(?:his\s+|her\s+|the\s+)?pain(?:\s+(?:at|as))?|pain\s+(?:is|of))"
               r"\s*(?:is|of|at|:|=|-|today)?\s*(?:(?P<low>\d{1,2})\s*(?:-|–|to)\s*)?(?P<v>\d{1,2})\b(?!\s*(?:/|%|mg|out|percent|week|month|day|year))", re.I),
]
NRS_HINT = re.compile(r"10\b|NRS|VAS|pain", re.I)
NOW = re.compile(r"\b(?:today|current|currently|now|at present|presently|this visit|at this visit|on presentation|in clinic)\b", re.I)
THEN = re.compile(r"\b(?:worst|best|at intake|intake|initial|initially|previously|was|were|prior|before|pre-?(?:procedure|injection|block|op|operative|treatment|RFA|ESI)|post-?procedure|after|following|baseline|last visit|at its worst|down to|from|used to|had been|at best|average|averages|usually|typically|goal)\b", re.I)
RANGE_WORDS = re.compile(r"\b(?:ranges?|ranged|ranging|varies|fluctuates|between)\b", re.I)
STRONG_SECTIONS = {"assessment", "assessment_and_plan", "chief_complaint"}


# A form's scale question, answered on the next line: "Rate your pain (0 = no pain, 10 = worst):\n
# Right now: 6   Average past week: 5   Worst past week: 9".
SCALE_QUESTION = re.compile(r"\brate\s+(?:your|the)\s+pain\b|\bpain\s+(?:scale|score|rating)\b|\b0\s*(?:=|-|to)\s*(?:no\s+pain|10)\b", re.I)
ANSWER_NOW = re.compile(r"\b(?:right\s+now|now|currently|current|today)\s*[:=-]\s*(?P<v>\d{1,2})\b(?![\d/%.])", re.I)


def _nrs(note: ReadNote, facts: dict) -> None:
    candidates = []
    for sentence in note.sentences:
        if sentence.section in {"family_history"}:
            continue
        text = sentence.text
        previous = note.sentences[sentence.index - 1] if sentence.index else None
        if previous is not None and SCALE_QUESTION.search(previous.text):
            match = ANSWER_NOW.search(text)
            if match and 0 <= int(match.group("v")) <= 10:
                candidates.append((3, sentence.start + match.start(), sentence.start + match.end(), int(match.group("v"))))
        if not NRS_HINT.search(text):
            continue
        spans = []
        for pattern in NRS_PATTERNS:
            for match in pattern.finditer(text):
                if any(s < match.end() and match.start() < e for s, e, *_ in spans):
                    continue
                if match.groupdict().get("v100"):
                    value = round(int(match.group("v100")) / 10)
                else:
                    value = float(match.group("v"))
                    if match.groupdict().get("low"):
                        value = float(match.group("low"))
                if not 0 <= value <= 10:
                    continue
                spans.append((match.start(), match.end(), int(round(value)), bool(match.groupdict().get("low"))))
        spans.sort()
        for position, (start, end, value, is_range) in enumerate(spans):
            # The clause around this score, bounded by punctuation and by its neighbouring scores.
            # A bracket starts another clause: "4/10 today (was 8/10 pre-injection)".
            left = max(text.rfind(",", 0, start), text.rfind(";", 0, start), text.rfind(".", 0, start),
                       text.rfind("(", 0, start), spans[position - 1][1] if position else -1)
            right_candidates = [i for i in (text.find(",", end), text.find(";", end), text.find(". ", end),
                                            text.find("(", end)) if i >= 0]
            if position + 1 < len(spans):
                right_candidates.append(spans[position + 1][0])
            right = min(right_candidates) if right_candidates else len(text)
            clause = text[left + 1:start] + " " + text[end:right]
            score = 0
            if NOW.search(clause):
                score += 2
            if THEN.search(clause):
                score -= 2
            if is_range or RANGE_WORDS.search(clause):
                score -= 1
            if sentence.section in STRONG_SECTIONS:
                score += 1
            candidates.append((score, sentence.start + start, sentence.start + end, value))
    if candidates:
        score, start, end, value = max(candidates, key=lambda c: (c[0], c[1]))
        set_fact(facts, "pain.nrs_current", value, note.text, start, end)


# "radiating to the right trapezius and occiput": spreading pain that stays off the limbs is not radicular.
TO_THE_TRUNK = re.compile(r"\W+(?:(?:to|into|toward|towards|up|around)\s+)?(?:the\s+)?(?:(?:left|right|both|bilateral|his|her)\s+)?"
                          r"(?:trapezi|occip|head|temple|forehead|scapul|shoulder\s+blade|upper\s+back|mid\s+back|flank|hip|groin)", re.I)


def _radicular(note: ReadNote, facts: dict) -> None:
    mentions = [m for m in note.of("RADICULAR") if not m.family and not m.hypothetical
                and m.section not in {"family_history", "past_medical_history"}
                and not (m.text.lower().startswith("radiat") and TO_THE_TRUNK.match(note.text, m.end))]
    affirmed = [m for m in mentions if not m.negated]
    # "Pain into the thigh, no pain below the knee": referred pain, unless a radiculopathy is named.
    distal_denied = [m for m in mentions if m.negated and m.meta.get("distal")]
    if distal_denied and not any(NAMED_RADICULOPATHY.match(m.text) for m in affirmed):
        affirmed = []
    chosen = affirmed[0] if affirmed else (distal_denied or [m for m in mentions if m.negated] or [None])[0]
    if chosen is not None:
        set_fact(facts, "pain.radicular", not chosen.negated, note.text, chosen.start, chosen.end)


NAMED_RADICULOPATHY = re.compile(r"radicul|sciatica", re.I)


_LIMB = r"(?:leg|legs|arm|arms|extremity|extremities|radicular|buttock|thigh|lower\s+extremity|upper\s+extremity|sciatica|sciatic)"
_AXIAL = r"(?:axial|back|neck|low\s+back|lumbar|cervical|spine|spinal)"
_MORE = (r"(?:>>?|≫|greater\s+than|more\s+than|exceeds|predominates\s+over|over|outweighs"
         r"|(?:much\s+|far\s+|significantly\s+|a\s+lot\s+|considerably\s+)?(?:worse|stronger|more\s+severe|more\s+bothersome|more\s+intense|more\s+troublesome)\s+than"
         r"|bothers?\s+(?:him|her|them|the\s+patient)\s+(?:much\s+|far\s+)?more\s+than)")
# "the leg pain is (now) (still) ...": a copula and a few adverbs between the pain and the comparison.
_IS = r"(?:\s+(?:is|are|has\s+been|remains?|now|still|really|currently|clearly|by\s+far))*"
_MAIN = (r"(?:the\s+|his\s+|her\s+|their\s+)?(?:main|dominant|predominant|primary|chief|major|principal|biggest|worst|most\s+bothersome)"
         r"\s+(?:problem|complaint|issue|concern|symptom|pain\s+generator|source\s+of\s+pain|pain)")
_MOST = r"what\s+bothers\s+(?:him|her|them|the\s+patient)\s+(?:the\s+)?most"
_PAIN = r"(?:\s+(?:pain|symptoms?|component|complaints?))?"
AXIAL_TRUE = [
    re.compile(rf"\b(?:predominantly|primarily|mainly|mostly|predominately|purely|largely|principally|exclusively|entirely|strictly)\s+{_AXIAL}\b", re.I),
    re.compile(rf"\b{_AXIAL}{_PAIN}{_IS}\s+{_MORE}\s+(?:the\s+|any\s+|his\s+|her\s+|their\s+)?{_LIMB}", re.I),
    re.compile(rf"\b{_AXIAL}{_PAIN}{_IS}\s+(?:predominates|predominant|dominant|dominates|{_MAIN}|{_MOST})\b", re.I),
    re.compile(rf"\b{_LIMB}{_PAIN}{_IS}\s+(?:<|less\s+than|milder\s+than|minor|minimal)", re.I),
    # "axial low back pain", "pain is axial", "both axial": the pain is described as axial.
    re.compile(r"\baxial\s+(?:(?:(?:low|lower|mid|upper)\s+)?(?:back|neck|spine|spinal|lumbar|cervical|thoracic|lumbosacral)?\s*pain|LBP)\b", re.I),
    re.compile(r"\b(?:pain|symptoms|both)\s+(?:(?:is|are|remains?)\s+)?(?:(?:purely|entirely|all)\s+)?axial\b(?!\s+(?:and|&|with|plus|as\s+well)\b)", re.I),
]
AXIAL_FALSE = [
    re.compile(r"\b(?:predominantly|primarily|mainly|mostly|predominately|largely|principally)\s+(?:radicular|leg|arm|extremity|limb)\b", re.I),
    re.compile(rf"\b{_LIMB}{_PAIN}{_IS}\s+{_MORE}\s+(?:the\s+|any\s+|his\s+|her\s+|their\s+)?{_AXIAL}", re.I),
    re.compile(rf"\b{_LIMB}{_PAIN}{_IS}\s+(?:predominates|predominant|dominant|dominates|{_MAIN}|{_MOST})\b", re.I),
    re.compile(rf"\b{_AXIAL}{_PAIN}{_IS}\s+(?:<|less\s+than|milder\s+than|minor|minimal)", re.I),
]
# "axial and radicular pain", "both axial and leg pain": neither predominates.
AXIAL_MIXED = re.compile(rf"\baxial\s+(?:and|&|plus|with)\s+(?:\w+\s+)?{_LIMB}|{_LIMB}\s+(?:\w+\s+)?(?:and|&|plus)\s+axial\b|about\s+equal|equally", re.I)
def _share_of(name: str) -> str:
    return rf"(?P<{name}>\d{{1,3}}\s*%|{NUMBER}\s+(?:percent|per\s+cent))"



PERCENT_SPLIT = re.compile(
    _share_of("a") + rf"\s*(?:of\s+(?:the\s+|his\s+|her\s+)?(?:pain\s+)?(?:is\s+)?(?:in\s+(?:the\s+)?)?)?(?P<first>{_AXIAL}|{_LIMB})\b[^.;%]{{0,30}}?"
    + _share_of("b") + rf"\s*(?:of\s+(?:the\s+|his\s+|her\s+)?(?:pain\s+)?(?:is\s+)?(?:in\s+(?:the\s+)?)?)?(?P<second>{_AXIAL}|{_LIMB})\b", re.I)


# Words without which no pattern below can match: a substring test on the lowered sentence is
# several times cheaper than a regular expression over every sentence of the note.
AXIAL_KEYWORDS = ("predomin", "primarily", "mainly", "mostly", "purely", "largely", "principally", "dominant", "dominat",
                  "than", "exceed", "outweigh", "bother", "axial", "main", "chief", "major", "primary", "worst",
                  "percent", "per cent", "%", "<", ">", "equal", "minor", "minimal", "exclusively", "entirely", "strictly")


PERCENT_SIGN = re.compile(r"%|\bper\s?cent\b", re.I)
AXIAL_OR_LIMB = re.compile(rf"\b(?:{_AXIAL}|{_LIMB})\b", re.I)


def _axial(note: ReadNote, facts: dict) -> None:
    for sentence in note.sentences:
        lowered = sentence.text.lower()
        if sentence.section in {"family_history"} or not any(word in lowered for word in AXIAL_KEYWORDS) \
                or not AXIAL_OR_LIMB.search(sentence.text):
            continue
        if AXIAL_MIXED.search(sentence.text):
            continue
        # Two shares are needed for a split; the pattern is costly, so count first.
        split = PERCENT_SPLIT.search(sentence.text) if len(PERCENT_SIGN.findall(sentence.text)) >= 2 else None
        if split:
            first_axial = re.fullmatch(_AXIAL, split.group("first"), re.I) is not None
            second_axial = re.fullmatch(_AXIAL, split.group("second"), re.I) is not None
            if first_axial != second_axial:
                a, b = _share(split.group("a")), _share(split.group("b"))
                axial_share, limb_share = (a, b) if first_axial else (b, a)
                if axial_share != limb_share:
                    set_fact(facts, "pain.axial", axial_share > limb_share, note.text,
                             sentence.start + split.start(), sentence.start + split.end())
                    return
        for value, patterns in ((False, AXIAL_FALSE), (True, AXIAL_TRUE)):
            for pattern in patterns:
                match = pattern.search(sentence.text)
                if match:
                    set_fact(facts, "pain.axial", value, note.text,
                             sentence.start + match.start(), sentence.start + match.end())
                    return


def _share(text: str) -> float:
    return parse_number(re.sub(r"\s*(?:%|percent|per\s+cent)$", "", text, flags=re.I)) or 0.0
