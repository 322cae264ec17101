"""Conservative care: one entry per modality with its status, weeks and response."""

from __future__ import annotations

import datetime
import re

from documentation.nlp.facts.clauses import FULL_STOP, clause_around, distance as span_distance
from documentation.nlp.facts.dates import SINCE, months_since
from documentation.nlp.facts.evidence import evidence
from documentation.nlp.facts.quantities import WEEKS_PER_MONTH, durations
from documentation.nlp.note import Mention, ReadNote

MODALITIES = ["physical_therapy", "chiropractic", "home_exercise", "nsaid", "acetaminophen", "muscle_relaxant",
              "gabapentinoid", "antidepressant", "opioid", "topical", "activity_modification", "tens",
              "acupuncture", "massage", "bracing", "cognitive_behavioral_therapy", "weight_loss", "oral_steroid"]
RESPONSE_RANK = {"not_tolerated": 4, "failed": 3, "partial": 2, "helped": 1, None: 0}
STATUS_RANK = {"ongoing": 4, "completed": 3, "not_done": 2, "planned": 1}

RESPONSES = [
    ("not_tolerated", re.compile(
        r"\b(?:not\s+tolerat\w*|poorly\s+tolerat\w*|(?:could|did|does|can)\s*(?:not|n't)\s+tolerate|intoleran\w*|side[\s-]effects?|adverse"
        r"|GI\s+upset|upset\s+stomach|stomach\s+upset|dyspepsia|gastritis|heartburn|reflux|GI\s+bleed\w*|ulcers?|nausea|nauseated|nauseous"
        r"|vomiting|drowsiness|drowsy|sleepy|groggy|loopy|tired|fatigue|sedation|sedating|sedated|dizziness|dizzy|constipation|dry\s+mouth"
        r"|rash|hives|itching|itchy|pruritus|(?:skin\s+)?irritation|allergic\s+reaction|fogginess|foggy|brain\s+fog|confusion|confused"
        r"|hallucinat\w*|palpitations|insomnia|jittery|mood\s+changes|weight\s+gain|swelling|edema|fluid\s+retention|urinary\s+retention"
        r"|elevated\s+(?:blood\s+pressure|BP|creatinine|liver\s+enzymes)|kidney\s+(?:injury|function)|creatinine\s+(?:rose|went\s+up|increased)"
        r"|(?:too\s+)?uncomfortable|somnolence|caused|triggered|zombie|hangover|pressure\s+(?:area|sore|ulcer)|skin\s+breakdown)\b",
        re.I)),
    ("failed", re.compile(
        r"\b(?:without\s+(?:\w+\s+)?(?:relief|improvement|benefit|help|success|change|effect|gains?|progress)"
        r"|w/o\s+(?:\w+\s+)?(?:relief|improvement|benefit)"
        r"|no\s+(?:\w+\s+)?(?:relief|improvement|benefit|change|help|response|difference|effect|gains?|progress)"
        r"|(?:did|does|do|has|have|had|was|were|is)\s*(?:not|n't)\s+(?:really\s+|much\s+|seem\s+to\s+)?(?:help|work|improv|reliev|provid|benefit|effective|beneficial|do\s+(?:anything|much))\w*"
        r"|never\s+(?:really\s+)?(?:help|work)\w*|not\s+(?:helpful|effective|beneficial|improved|better)|not\s+much\s+(?:help|relief|benefit|better)"
        r"|ineffective|useless|did\s+nothing|didn'?t\s+(?:do|change)\s+(?:anything|a\s+thing|much)|not\s+really|no\s+good|failed|fail|unsuccessful|minimal\s+(?:\w+\s+)?(?:relief|improvement|benefit|help)"
        r"|(?<!\ba\s)little\s+(?:\w+\s+)?(?:relief|improvement|benefit)|no\s+better|despite|refractory|worsened|plateaued"
        r"|made\s+(?:it|pain|things)\s+worse|no\s+lasting)\b",
        re.I)),
    ("partial", re.compile(
        r"\b(?:partial(?:ly)?|some\s+(?:\w+\s+)?(?:relief|improvement|benefit|help)|mild(?:ly)?\s+(?:relief|improvement|benefit|helpful|improved|better)"
        r"|modest(?:ly)?|moderate\s+(?:relief|improvement|benefit)|temporary|temporarily|short[\s-]lived|transient|limited\s+(?:relief|improvement|benefit)"
        r"|somewhat|slight(?:ly)?|incomplete|a\s+little\s+(?:\w+\s+)?(?:relief|improvement|benefit|better)|t(?:ake|akes|ook|aking)\s+the\s+edge\s+off|(?:down|better)\s+some\b"
        r"|help(?:s|ed|ing)?\s+(?:(?:only\s+)?(?:a\s+)?little(?:\s+bit)?|a\s+bit|some(?:what)?|slightly|marginally|mildly)"
        # relief that lasts hours or a day or two is temporary: "helps for a day or so"
        r"|(?:help(?:s|ed|ing)?|relief|better)\s+for\s+(?:only\s+)?(?:a|an|one|two|a\s+few|a\s+couple(?:\s+of)?)\s+(?:hours?|days?)"
        # "about a week of benefit": short-lived
        r"|(?:a|an|one|two|a\s+few|a\s+couple\s+of)\s+(?:hours?|days?|weeks?)\s+of\s+(?:benefit|relief|improvement))\b",
        re.I)),
    ("helped", re.compile(
        r"\b(?:helped|helps|helpful|improved|improvement|relief|effective|benefit|benefited|beneficial|good\s+response|resolved|works\s+well"
        r"|working\s+well|better|improving|helping|responded|help(?!\s+(?:with|from|of|to|for))(?=\W|$))\b", re.I)),
]
CLAUSE_BREAK = re.compile(rf";|{FULL_STOP}|\bbut\b|\bhowever\b|\balthough\b|\bwhereas\b|(?<!\ba\s)\bwhile\b", re.I)  # not "for a while"
CURRENT_WORDS = re.compile(
    r"\b(?:currently|continues|continuing|ongoing|still|now\s+(?:on|in|doing|taking|using|wearing)|is\s+(?:on|in|taking|doing|attending|using|wearing)"
    r"|takes|taking|attending|uses|using|wears|wearing|doing|goes\s+(?:to|for)|helps|is\s+helping|so\s+far|for\s+the\s+(?:past|last)|since"
    r"|ha(?:s|ve)\s+been\s+\w+ing|keeps?\s+up|maintains|sticks?\s+with|gets|receives|sees)\b", re.I)
# A course placed in the past: "in 2023", "last in 2022", "(completed 2024)", "did PT", "last year", "stopped".
PAST_IN_CLAUSE = re.compile(
    r"\b(?:in|during|last\s+in|completed|finished|ended|stopped|through|until)\s+(?:(?:early|mid|late|the\s+spring\s+of|the\s+fall\s+of)\s+)?"
    r"(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*\s+)?(?:19|20)\d{2}\b|\blast\s+(?:year|spring|summer|fall|autumn|winter)\b"
    r"|\b(?:did|completed|finished|tried|trialed|took|used|wore|stopped|discontinued|d/c'?d|quit|came\s+off|weaned\s+off|tapered\s+off"
    r"|no\s+longer)\b"
    # a bare year or season: "PT x2 courses (2022, 2024)", "Chiro ~6 months 2023", "6 wks, spring 2025"
    r"|(?<![/\d-])(?:19|20)\d{2}\b(?![/-]\d)", re.I)
# "Continue gabapentin", "will continue pregabalin and her home exercises": already being done, not
# a plan, unless something new is started after the "continue" ("continue HEP and start PT").
CONTINUED = re.compile(r"\b(?:cont\.?|continue[sd]?|continuing)\s", re.I)
NEW_PLAN = re.compile(r"\b(?:start|begin|add|try|trial|refer\w*|consider|schedul\w*|order\w*|recommend\w*|new)\b", re.I)


def _continued(before: str) -> bool:
    """Whether the clause before a mention continues it."""
    matches = list(CONTINUED.finditer(before))
    return bool(matches) and not NEW_PLAN.search(before, matches[-1].end())


# "started 6 weeks ago" is a course's length so far; "relief for 3 days", "helps for a day" is not.
STARTED = re.compile(r"\b(?:started|starting|began|begun|initiated|begin)\b", re.I)
RELIEF_BEFORE = re.compile(r"\b(?:relief|helps?|helped|helping|better|lasted|lasting|lasts|wore\s+off)\b", re.I)
COMBINATION_GAP = re.compile(r"\s*(?:[-/+]|\s|with|w/)\s*", re.I)
# "Pain at rest", "worse with rest": a time of pain, not resting as a treatment.
AT_REST = re.compile(r"\b(?:at|with|during|by|after|on|of|and|even)\s+$", re.I)
SOURCE_OF = re.compile(r"\b(?:from|taught\s+(?:in|by|at)|learned\s+(?:in|at)|given\s+(?:in|by|at))\s+(?:his\s+|her\s+|the\s+)?$", re.I)
TOPICAL_FORM = re.compile(r"[^.;,\n]{0,12}?\b(?:patch(?:es)?|gel|cream|ointment|lotion|spray|topical)\b", re.I)
STOPPED_AT_START = re.compile(r"\s*(?:(?:was|were|then|but|and|later|eventually)\s+)*(?:stopped|discontinued|d/c'?d|quit|weaned|tapered\s+off|came\s+off)\b", re.I)
NO_SIDE_EFFECT = re.compile(r"\b(?:no|without|denies|not)\s+(?:\w+\s+)?$", re.I)
# "PT home exercises", "PT exercises": the program PT taught, not more PT.
TAUGHT_PROGRAM_AFTER = re.compile(r"\s+(?:home\s+)?(?:exercises?|program|stretches|HEP)\b", re.I)
NEXT_ITEM = re.compile(r"[\s,]*(?:and|&|plus|also)\b", re.I)
INJECTION_WORDS = re.compile(r"\b(?:inject\w*|epidural|block|ablation|infiltrat\w*|instilled|administered|depo)\b", re.I)
NOT_ABOUT_THE_PATIENT_NOW = {"allergies", "family_history"}


def _clause(text: str, position: int) -> tuple[int, int]:
    return clause_around(text, position, CLAUSE_BREAK)


def _responses(text: str) -> tuple[tuple[str, int, int], ...]:
    """The response phrases of a clause, the stronger kind first where two overlap."""
    found: list[tuple[str, int, int]] = []
    for name, pattern in RESPONSES:
        for match in pattern.finditer(text):
            if any(s < match.end() and match.start() < e for _, s, e in found):
                continue
            if name == "not_tolerated" and NO_SIDE_EFFECT.search(text, max(0, match.start() - 12), match.start()):
                continue  # "helps some, no sedation"
            found.append((name, match.start(), match.end()))
    return tuple(found)


def _modality(mention: Mention, text: str | None = None) -> str | None:
    if mention.label == "CARE":
        return mention.meta.get("modality")
    drug_class = mention.meta.get("class")
    # "Lidocaine 4% patch", "diclofenac 1% gel": the form makes an oral or injected drug topical.
    if text is not None and TOPICAL_FORM.match(text, mention.end):
        return "topical"
    return drug_class if drug_class in MODALITIES else None


def _status(note: ReadNote, mention: Mention, sentence_text: str, has_dose: bool) -> str:
    if mention.negated:
        return "not_done"
    sentence = note.sentence_of(mention)
    local = mention.start - sentence.start
    start, end = _clause(sentence_text, local)
    if _continued(sentence_text[start:local]):
        return "ongoing"
    if mention.hypothetical:
        return "planned"
    # The mention's own clause speaks first, the nearer of its present and past words winning: "PT 8
    # weeks in 2024" is done even in a medication list, "stopped gabapentin and now takes Lyrica" is
    # one of each.
    local_in_clause = local - start
    clause = sentence_text[start:end]
    current = _nearest_match(CURRENT_WORDS, clause, local_in_clause, len(mention.text))
    past = _nearest_match(PAST_IN_CLAUSE, clause, local_in_clause, len(mention.text))
    if (current is not None and (past is None or current <= past)) or (mention.current and past is None and not mention.historical):
        return "ongoing"
    if past is not None or mention.historical or _next_clause_stops(note, sentence, end):
        return "completed"
    if mention.section == "medications" and mention.label == "DRUG":
        return "ongoing"
    if mention.section == "plan":
        return "planned"
    if CURRENT_WORDS.search(sentence_text) or (mention.label == "DRUG" and has_dose):
        return "ongoing"
    return "completed"


def _next_clause_stops(note: ReadNote, sentence, clause_end: int) -> bool:
    """"Celecoxib 200 mg daily for about a year; stopped in June when her creatinine rose": the next
    clause, naming no care of its own, ends the course."""
    care = [m for m in note.in_sentence(sentence.index) if m.label in {"CARE", "DRUG"}]
    following = _next_clause_without_care(sentence.text, clause_end, care, sentence.start)
    return following is not None and bool(STOPPED_AT_START.match(sentence.text, following[0]))


def _next_clause_without_care(text: str, clause_end: int, care: list[Mention], base: int) -> tuple[int, int] | None:
    """(start, end) of the clause after the one ending at ``clause_end`` in a sentence's ``text``
    (which starts at ``base`` in the note), unless it names one of ``care``."""
    after = CLAUSE_BREAK.match(text, clause_end)
    if after is None:
        return None
    start, end = _clause(text, after.end())
    if any(start <= m.start - base < end for m in care):
        return None
    return start, end


def _nearest_match(pattern: re.Pattern, text: str, start: int, length: int) -> int | None:
    """Characters between the span [start, start + length) and the nearest match of ``pattern``."""
    distances = [span_distance(start, start + length, m.start(), m.end()) for m in pattern.finditer(text)]
    return min(distances, default=None)


_DOSE = re.compile(r"^\s*(?:\d+(?:\.\d+)?\s*(?:/\s*\d+\s*)?(?:mg|mcg|g|ml|%)\b|\d+\s*/\s*\d{3}\b)", re.I)


def extract_conservative_care(note: ReadNote, facts: dict, note_date: datetime.date | None) -> None:
    entries: dict[str, dict] = {}
    care = [m for m in note.mentions if m.label in {"CARE", "DRUG"} and _modality(m, note.text)]
    # "weight loss" read as a red flag can be care: "counseled on weight loss".
    for mention in note.of("RED_FLAG"):
        if mention.meta.get("flag") == "unexplained_weight_loss" and mention.text.lower() == "weight loss":
            if re.search(r"\b(?:lose|losing|program|diet|counsel|goal|encourag|recommend|advis)", note.sentence_of(mention).text, re.I):
                care.append(Mention("CARE", mention.start, mention.end, mention.text, {"modality": "weight_loss"},
                                    mention.sentence, mention.section, mention.negated, True, False, mention.family))
    care.sort(key=lambda m: m.start)
    care_by_sentence: dict[int, list[Mention]] = {}
    for m in care:
        care_by_sentence.setdefault(m.sentence, []).append(m)
    for mention in care:
        modality = _modality(mention, note.text)
        if mention.family or mention.section in NOT_ABOUT_THE_PATIENT_NOW:
            continue
        sentence = note.sentence_of(mention)
        text = sentence.text
        local = mention.start - sentence.start
        if mention.label == "DRUG" and (mention.section == "procedure" or INJECTION_WORDS.search(text)) and modality in {"oral_steroid", "topical"}:
            continue
        if modality == "acetaminophen" and _in_combination(note, mention, care_by_sentence[sentence.index]):
            continue
        if mention.text.lower() == "rest" and AT_REST.search(note.text, max(0, mention.start - 12), mention.start):
            continue
        if mention.label == "CARE" and SOURCE_OF.search(note.text, max(0, mention.start - 20), mention.start):
            continue  # "HEP from PT", "exercises taught in therapy": where something came from
        if modality == "physical_therapy" and TAUGHT_PROGRAM_AFTER.match(note.text, mention.end):
            continue
        has_dose = bool(_DOSE.match(note.text[mention.end:mention.end + 20]))
        status = _status(note, mention, text, has_dose)
        clause_start, clause_end = _clause(text, local)
        clause = text[clause_start:clause_end]
        peers = [m for m in care_by_sentence[sentence.index] if clause_start <= m.start - sentence.start < clause_end]
        neighbours = peers + [m for m in note.in_sentence(sentence.index) if m.label in {"PAIN_SITE", "PROCEDURE"}]
        weeks = response = None
        if status not in {"planned", "not_done"}:
            response = _nearest_response(note, clause, clause_start, mention, peers, sentence.start)
            if response is None:
                response = _response_in_next_clause(note, text, clause_end, care_by_sentence[sentence.index], sentence.start)
            if status == "ongoing" and response in {"not_tolerated", "failed"} and not (
                    mention.current or mention.section == "medications" or CURRENT_WORDS.search(text)):
                status = "completed"
            weeks = _weeks(note, clause, clause_start, mention, neighbours, sentence.start, note_date)
            shared = _coordinated_share(note, clause, clause_start + sentence.start, mention, peers)
            if shared is not None:
                shared_weeks, response = shared
                weeks = weeks if shared_weeks is None else shared_weeks
        entry = {"modality": modality, "status": status, "weeks": weeks, "response": response,
                 "evidence": evidence(note.text, mention.start, mention.end)}
        entries[modality] = _merge(entries.get(modality), entry)
    facts["conservative_care"] = [entries[m] for m in MODALITIES if m in entries]


def _in_combination(note: ReadNote, mention: Mention, peers: list[Mention]) -> bool:
    """Acetaminophen named with an opioid as one product ("hydrocodone-acetaminophen", "oxycodone/APAP",
    "Tylenol with codeine") is the opioid: the contract counts combination products as opioid only."""
    for peer in peers:
        if peer is mention or _modality(peer) != "opioid":
            continue
        gap = note.text[peer.end:mention.start] if peer.end <= mention.start else note.text[mention.end:peer.start]
        if COMBINATION_GAP.fullmatch(gap):
            return True
    return False


def _response_in_next_clause(note: ReadNote, text: str, clause_end: int, care: list[Mention], base: int) -> str | None:
    """The response of a clause that follows with no care of its own: "6 weeks of PT; no meaningful
    gains", "tried Flexeril but it made him too sleepy"."""
    following = _next_clause_without_care(text, clause_end, care, base)
    if following is None:
        return None
    found = note.memo(_responses, text[following[0]:following[1]])
    return min(found, key=lambda r: r[1])[0] if found else None


def _nearest_response(note: ReadNote, clause: str, clause_start: int, mention: Mention, peers: list[Mention],
                      base: int) -> str | None:
    found = note.memo(_responses, clause)
    if not found:
        return None
    best = None
    for name, start_in_clause, end_in_clause in found:
        start, end = start_in_clause + clause_start + base, end_in_clause + clause_start + base
        if mention.start >= end and NEXT_ITEM.match(clause, end_in_clause):
            continue  # "celecoxib, which gives her a little relief, and acetaminophen": said of the one before
        opened = clause.rfind("(", 0, start_in_clause)
        if opened > clause.rfind(")", 0, start_in_clause):
            # "pregabalin 150 mg BID (takes the edge off the burning), duloxetine 60 mg": a bracket
            # speaks of the item just before it.
            before = [m for m in [mention, *peers] if m.end <= opened + clause_start + base]
            if not before or max(before, key=lambda m: m.end) is not mention:
                continue
        distance = _distance(mention, start, end)
        # A response phrase belongs to the care item nearest it, unless that is a list (all share it).
        nearest_peer = min((_distance(p, start, end) for p in peers), default=distance)
        if distance > nearest_peer + 40:
            continue
        if best is None or distance < best[0]:
            best = (distance, name, start, end)
    if best is None:
        return None
    if best[1] == "helped" and any(n == "partial" and abs(s + clause_start + base - best[2]) < 25 for n, s, _ in found):
        return "partial"
    return best[1]


def _distance(mention: Mention, start: int, end: int) -> int:
    return span_distance(mention.start, mention.end, start, end)


def _weeks(note: ReadNote, clause: str, clause_start: int, mention: Mention, neighbours: list[Mention], base: int,
           note_date: datetime.date | None) -> float | None:
    best = None
    for duration in note.memo(durations, clause):
        before = clause[max(0, duration.start - 30):duration.start]
        if clause[duration.end:duration.end + 8].lstrip().lower().startswith("ago") and not STARTED.search(before):
            continue
        if RELIEF_BEFORE.search(before):  # how long the relief lasted, not the course
            continue
        start, end = duration.start + clause_start + base, duration.end + clause_start + base
        distance = _distance(mention, start, end)
        owner = _sig_owner(note, [mention, *neighbours], start)
        if owner is not None and owner is not mention:
            continue
        if owner is None and any(_distance(n, start, end) < distance for n in neighbours if n is not mention):
            continue
        if best is None or distance < best[0]:
            best = (distance, round(duration.weeks(), 2))
    if best is None and note_date is not None:
        match = SINCE.search(clause)
        if match:
            months = months_since(match, note_date)
            if months is not None:
                return round(months * WEEKS_PER_MONTH, 2)
    return best[1] if best else None


# What may stand between two care items of one list: the first one's dose, sig and duration, then
# "and", "or" or a comma ("naproxen 500 mg BID for 3 months and gabapentin 300 mg TID").
_SIG_WORD = (r"(?:\d+(?:\.\d+)?|mg|mcg|g|ml|%|/|-|x|×|~|bid|tid|qid|qd|qhs|hs|prn|po|daily|nightly|twice|once|three|four"
             r"|times|a|per|day|days|weeks?|wks?|months?|mos?|years?|yrs?|for|over|about|approximately|as|needed|at|bedtime"
             r"|up|to|every|hours?|q\d+h?|tabs?|tablets?|caps?|capsules?)")
CONJUNCTION_GAP = re.compile(rf"[\s(),]*(?:{_SIG_WORD}\b[\s(),]*)*?(?:,\s*(?:and|or)?|and|or|&|plus)\s+(?:also\s+|then\s+)?", re.I)
RELATIVE_PRONOUN = re.compile(r"\b(?:which|that|who)\b", re.I)
SIG_ONLY = re.compile(rf"[\s(),]*(?:{_SIG_WORD}\b[\s(),]*)*", re.I)


def _sig_owner(note: ReadNote, items: list[Mention], position: int) -> Mention | None:
    """The item whose dose and sig run on to ``position`` ("naproxen 500 mg BID for 3 months"): a
    duration there is that item's, though the next item ("and gabapentin") is nearer."""
    before = [m for m in items if m.end <= position]
    nearest = max(before, key=lambda m: m.end, default=None)
    if nearest is not None and SIG_ONLY.fullmatch(note.text, nearest.end, position):
        return nearest
    return None


def _coordinated_share(note: ReadNote, clause: str, base: int, mention: Mention,
                       peers: list[Mention]) -> tuple[float | None, str | None] | None:
    """(weeks, response) of a care item listed with others before one shared predicate: "naproxen 500
    mg BID for 3 months and gabapentin 300 mg TID gave minimal relief" says both the duration and the
    response of both. Each item keeps what its own part of the list says; what it leaves out comes
    from the others (weeks None: the list states none). None when the item is not in such a list."""
    items = sorted({m.start: m for m in [mention, *peers]}.values(), key=lambda m: m.start)
    # The run of items around the mention that only a conjunction (after a dose and sig) separates.
    group = [items[0]]
    for item in items[1:]:
        if CONJUNCTION_GAP.fullmatch(note.text, group[-1].end, item.start):
            group.append(item)
        elif mention in group:
            break
        else:
            group = [item]
    if len(group) < 2 or mention not in group:
        return None
    last_end = group[-1].end - base
    predicate = [r for r in note.memo(_responses, clause) if r[1] >= last_end]
    if not predicate:
        return None
    name, predicate_start, _ = min(predicate, key=lambda r: r[1])
    if RELATIVE_PRONOUN.search(clause, last_end, predicate_start):
        return None  # "..., and gabapentin, which he stopped after a month": said of the last item only
    ends = [m.start - base for m in group[1:]] + [predicate_start]
    parts = [(m.end - base, end) for m, end in zip(group, ends)]
    weeks_of = [[round(d.weeks(), 2) for d in durations(clause[start:end])] for start, end in parts]
    stated = {w for found in weeks_of for w in found}
    own = weeks_of[group.index(mention)]
    weeks = own[0] if own else (stated.pop() if len(stated) == 1 else None)
    start, end = parts[group.index(mention)]
    responses = note.memo(_responses, clause[start:end])
    return weeks, (responses[0][0] if responses else name)


def _merge(old: dict | None, new: dict) -> dict:
    if old is None:
        return new
    winner = old if STATUS_RANK[old["status"]] >= STATUS_RANK[new["status"]] else new
    merged = dict(winner)
    if merged["status"] in {"planned", "not_done"}:
        return merged
    weeks = [e["weeks"] for e in (old, new) if e["weeks"] is not None and e["status"] not in {"planned", "not_done"}]
    merged["weeks"] = max(weeks) if weeks else None
    responses = [e["response"] for e in (old, new) if e["status"] not in {"planned", "not_done"}]
    merged["response"] = max(responses, key=lambda r: RESPONSE_RANK[r])
    return merged
