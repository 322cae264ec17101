"""Conservative care: one entry per modality with its status, weeks and response."""

from __future__ import annotations

import datetime
import re

from documentation.nlp.facts.clauses import clause_around, distance as span_distance
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
        r"|GI\s+upset|upset\s+stomach|stomach\s+upset|dyspepsia|gastritis|GI\s+bleed\w*|ulcers?|nausea|vomiting|drowsiness|drowsy"
        r"|sedation|sedating|sedated|dizziness|dizzy|constipation|rash|hives|itching|allergic\s+reaction|fogginess|foggy|brain\s+fog"
        r"|weight\s+gain|swelling|edema|somnolence|caused|(?:stopped|discontinued|d/c'?d)\s+(?:due\s+to|because\s+of|secondary\s+to))\b",
        re.I)),
    ("failed", re.compile(
        r"\b(?:without\s+(?:\w+\s+)?(?:relief|improvement|benefit|help|success|change|effect)|w/o\s+(?:\w+\s+)?(?:relief|improvement|benefit)"
        r"|no\s+(?:\w+\s+)?(?:relief|improvement|benefit|change|help|response|difference|effect)|(?:did|does|has)\s*(?:not|n't)\s+(?:help|work|improve|relieve|provide|benefit)"
        r"|not\s+(?:helpful|effective|beneficial|improved|better)|ineffective|failed|fail|unsuccessful|minimal\s+(?:\w+\s+)?(?:relief|improvement|benefit|help)"
        r"|little\s+(?:\w+\s+)?(?:relief|improvement|benefit)|no\s+better|despite|refractory|worsened|made\s+(?:it|pain|things)\s+worse|no\s+lasting)\b",
        re.I)),
    ("partial", re.compile(
        r"\b(?:partial(?:ly)?|some\s+(?:\w+\s+)?(?:relief|improvement|benefit|help)|mild(?:ly)?\s+(?:relief|improvement|benefit|helpful|improved|better)"
        r"|modest(?:ly)?|moderate\s+(?:relief|improvement|benefit)|temporary|temporarily|short[\s-]lived|transient|limited\s+(?:relief|improvement|benefit)"
        r"|somewhat|slight(?:ly)?|incomplete|helped\s+(?:a\s+)?little|helps\s+(?:a\s+)?little|take\s+the\s+edge\s+off|takes\s+the\s+edge\s+off)\b",
        re.I)),
    ("helped", re.compile(
        r"\b(?:helped|helps|helpful|improved|improvement|relief|effective|benefit|benefited|beneficial|good\s+response|resolved|works\s+well"
        r"|working\s+well|better|responded)\b", re.I)),
]
CLAUSE_BREAK = re.compile(r";|\.\s|\bbut\b|\bhowever\b|\balthough\b|\bwhereas\b|\bwhile\b", re.I)
CURRENT_WORDS = re.compile(r"\b(?:currently|continues|continuing|ongoing|still|now\s+(?:on|in|doing|taking)|is\s+(?:on|in|taking|doing|attending)|takes|taking|attending)\b", re.I)
# A course placed in the past: "in 2023", "last in 2022", "(completed 2024)", "did PT", "last year".
PAST_IN_CLAUSE = re.compile(
    r"\b(?:in|during|last\s+in|completed|finished|ended|stopped|through|until)\s+(?:(?:early|mid|late|the\s+spring\s+of|the\s+fall\s+of)\s+)?"
    r"(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*\s+)?(?:19|20)\d{2}\b|\blast\s+(?:year|spring|summer|fall|autumn|winter)\b"
    r"|\b(?:did|completed|finished)\b", re.I)
INJECTION_WORDS = re.compile(r"\b(?:inject\w*|epidural|block|ablation|infiltrat\w*|instilled|administered|depo)\b", re.I)
NOT_ABOUT_THE_PATIENT_NOW = {"allergies", "family_history"}


def _clause(text: str, position: int) -> tuple[int, int]:
    return clause_around(text, position, CLAUSE_BREAK)


def _responses(text: str) -> list[tuple[str, int, int]]:
    found: list[tuple[str, int, int]] = []
    for name, pattern in RESPONSES:
        for match in pattern.finditer(text):
            if any(s < match.end() and match.start() < e for _, s, e in found):
                continue
            found.append((name, match.start(), match.end()))
    return found


def _modality(mention: Mention) -> str | None:
    if mention.label == "CARE":
        return mention.meta.get("modality")
    drug_class = mention.meta.get("class")
    return drug_class if drug_class in MODALITIES else None


def _status(note: ReadNote, mention: Mention, sentence_text: str, has_dose: bool) -> str:
    if mention.negated:
        return "not_done"
    if mention.hypothetical:
        return "planned"
    sentence = note.sentence_of(mention)
    start, end = _clause(sentence_text, mention.start - sentence.start)
    clause = sentence_text[start:end]
    # The mention's own clause speaks first: "PT 8 weeks in 2024" is done even in a medication list or
    # when the sentence goes on to a medication "he still takes".
    if mention.current or CURRENT_WORDS.search(clause):
        return "ongoing"
    if PAST_IN_CLAUSE.search(clause):
        return "completed"
    if mention.section == "medications":
        return "ongoing"
    if mention.historical:
        return "completed"
    if mention.section == "plan":
        return "planned"
    if CURRENT_WORDS.search(sentence_text) or (mention.label == "DRUG" and has_dose):
        return "ongoing"
    return "completed"


_DOSE = re.compile(r"^\s*(?:\d+(?:\.\d+)?\s*(?:/\s*\d+\s*)?(?:mg|mcg|%)|\d+\s*/\s*\d{3}\b)", re.I)


def extract_conservative_care(note: ReadNote, facts: dict, note_date: datetime.date | None) -> None:
    entries: dict[str, dict] = {}
    care = [m for m in note.mentions if m.label in {"CARE", "DRUG"} and _modality(m)]
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
        modality = _modality(mention)
        if mention.family or mention.section in NOT_ABOUT_THE_PATIENT_NOW:
            continue
        sentence = note.sentence_of(mention)
        text = sentence.text
        local = mention.start - sentence.start
        if mention.label == "DRUG" and (mention.section == "procedure" or INJECTION_WORDS.search(text)) and modality in {"oral_steroid", "topical"}:
            continue
        has_dose = bool(_DOSE.match(note.text[mention.end:mention.end + 20]))
        status = _status(note, mention, text, has_dose)
        clause_start, clause_end = _clause(text, local)
        clause = text[clause_start:clause_end]
        peers = [m for m in care_by_sentence[sentence.index] if clause_start <= m.start - sentence.start < clause_end]
        neighbours = peers + [m for m in note.in_sentence(sentence.index) if m.label in {"PAIN_SITE", "PROCEDURE"}]
        weeks = response = None
        if status not in {"planned", "not_done"}:
            response = _nearest_response(clause, clause_start, mention, peers, sentence.start)
            if status == "ongoing" and response in {"not_tolerated", "failed"} and not (
                    mention.current or mention.section == "medications" or CURRENT_WORDS.search(text)):
                status = "completed"
            weeks = _weeks(note, clause, clause_start, mention, neighbours, sentence.start, note_date)
        entry = {"modality": modality, "status": status, "weeks": weeks, "response": response,
                 "evidence": evidence(note.text, mention.start, mention.end)}
        entries[modality] = _merge(entries.get(modality), entry)
    facts["conservative_care"] = [entries[m] for m in MODALITIES if m in entries]


def _nearest_response(clause: str, clause_start: int, mention: Mention, peers: list[Mention], base: int) -> str | None:
    found = _responses(clause)
    if not found:
        return None
    best = None
    for name, start, end in found:
        start, end = start + clause_start + base, end + clause_start + base
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
    for duration in durations(clause):
        after = clause[duration.end:duration.end + 8].lower()
        if after.lstrip().startswith("ago") or "relief" in clause[max(0, duration.start - 25):duration.start].lower():
            continue
        start, end = duration.start + clause_start + base, duration.end + clause_start + base
        distance = _distance(mention, start, end)
        if any(_distance(n, start, end) < distance for n in neighbours if n is not mention):
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
