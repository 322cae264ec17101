"""Prior procedures: each interventional procedure done before, with the relief it gave."""

from __future__ import annotations

import re

from documentation.nlp.facts.evidence import evidence
from documentation.nlp.facts.quantities import durations, parse_number, percents
from documentation.nlp.note import Mention, ReadNote

CLAUSE_BREAK = re.compile(r";|\.\s|\bbut\b|\bhowever\b|\bwhereas\b", re.I)
RELIEF_WORD = re.compile(r"relief|improvement|reduction|better|decrease|pain\s+relief|improved|benefit|resolution", re.I)
NO_RELIEF = re.compile(
    r"\b(?:no|without|w/o|zero|minimal|negligible)\s+(?:\w+\s+)?(?:relief|improvement|benefit)|(?:did|does)\s*(?:not|n't)\s+(?:help|work|provide\s+(?:any\s+)?relief)"
    r"|\bnot\s+helpful\b|\bineffective\b|\bno\s+response\b|\bnegative\s+(?:block|response)\b", re.I)
FULL_RELIEF = re.compile(r"\b(?:complete|total|full)\s+(?:\w+\s+)?relief\b|\bpain[\s-]free\b", re.I)
RELIEF_DURATION_CUE = re.compile(r"(?:\bfor|\blasting|\blasted|\bx|×|\bover|\bduring|\bapproximately|\babout|\bnearly|~)\s*(?:the\s+)?(?:first\s+|next\s+)?$", re.I)
COUNT_BEFORE = re.compile(r"\b(?P<n>two|three|four|2|3|4)\s+(?:(?:prior|previous|separate|diagnostic|confirmatory|lumbar|cervical|bilateral|sets?\s+of|rounds?\s+of)\s+){0,3}$", re.I)
COUNT_AFTER = re.compile(r"^\s*(?:x\s*(?P<x>[2-4])\b|\((?P<p>[2-4])\)|(?P<t>[2-4])\s*times\b)", re.I)
SKIP_SECTIONS = {"family_history", "procedure", "plan"}


def _clause(text: str, position: int) -> tuple[int, int]:
    start, end = 0, len(text)
    for match in CLAUSE_BREAK.finditer(text):
        if match.end() <= position:
            start = match.end()
        elif match.start() >= position:
            end = match.start()
            break
    return start, end


def _distance(mention: Mention, start: int, end: int) -> int:
    if end <= mention.start:
        return mention.start - end
    if start >= mention.end:
        return start - mention.end
    return 0


def extract_procedures(note: ReadNote, facts: dict) -> None:
    procedures = [m for m in note.of("PROCEDURE") if m.affirmed and m.section not in SKIP_SECTIONS]
    entries: list[dict] = []
    by_sentence: dict[int, list[Mention]] = {}
    for mention in procedures:
        by_sentence.setdefault(mention.sentence, []).append(mention)
    for mention in procedures:
        sentence = note.sentence_of(mention)
        text = sentence.text
        clause_start, clause_end = _clause(text, mention.start - sentence.start)
        clause = text[clause_start:clause_end]
        base = sentence.start + clause_start
        peers = [p for p in by_sentence[sentence.index] if p is not mention
                 and clause_start <= p.start - sentence.start < clause_end]

        def mine(start: int, end: int) -> bool:
            return all(_distance(mention, start, end) <= _distance(p, start, end) for p in peers)

        relief = None
        relief_end = None
        for value, start, end in percents(clause):
            context = clause[max(0, start - 25):end + 25]
            if RELIEF_WORD.search(context) and mine(base + start, base + end):
                relief, relief_end = value, end
                break
        if relief is None:
            for pattern, value in ((NO_RELIEF, 0.0), (FULL_RELIEF, 100.0)):
                match = pattern.search(clause)
                if match and mine(base + match.start(), base + match.end()):
                    relief, relief_end = value, match.end()
                    break
        weeks = None
        if relief is not None and relief > 0:
            for duration in durations(clause):
                if clause[duration.end:duration.end + 8].lower().lstrip().startswith("ago"):
                    continue
                before = clause[max(0, duration.start - 25):duration.start]
                after = clause[duration.end:duration.end + 20].lower()
                if not (RELIEF_DURATION_CUE.search(before) or after.lstrip().startswith(("of relief", "relief"))
                        or (relief_end is not None and 0 <= duration.start - relief_end <= 30)):
                    continue
                if not mine(base + duration.start, base + duration.end):
                    continue
                weeks = round(duration.weeks(), 2)
                break
        count = _count(note, mention)
        entry = {"type": mention.meta.get("type"), "relief_percent": relief, "relief_weeks": weeks,
                 "evidence": evidence(note.text, mention.start, mention.end)}
        if count > 1:
            entries.extend(dict(entry) for _ in range(count))
            continue
        _add(entries, entry)
    facts["prior_procedures"] = entries


def _count(note: ReadNote, mention: Mention) -> int:
    before = note.text[max(0, mention.start - 40):mention.start]
    after = note.text[mention.end:mention.end + 12]
    match = COUNT_BEFORE.search(before)
    if match:
        return int(parse_number(match.group("n")) or 1)
    match = COUNT_AFTER.match(after)
    if match:
        return int(match.group("x") or match.group("p") or match.group("t"))
    return 1


def _add(entries: list[dict], entry: dict) -> None:
    """A repeated mention of the same procedure is one entry unless its relief differs."""
    informative = entry["relief_percent"] is not None or entry["relief_weeks"] is not None
    same = [e for e in entries if e["type"] == entry["type"]]
    for existing in same:
        known = existing["relief_percent"] is not None or existing["relief_weeks"] is not None
        if not informative:
            return
        if not known:
            existing.update(relief_percent=entry["relief_percent"], relief_weeks=entry["relief_weeks"])
            return
        if existing["relief_percent"] == entry["relief_percent"] and (
                existing["relief_weeks"] == entry["relief_weeks"] or entry["relief_weeks"] is None):
            return
    entries.append(entry)
