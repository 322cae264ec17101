"""Prior procedures: each interventional procedure done before, with the relief it gave."""

from __future__ import annotations

import datetime
import itertools
import re

from documentation.nlp.facts.clauses import FULL_STOP, clause_around, distance as span_distance
from documentation.nlp.facts.dates import full_year
from documentation.nlp.facts.evidence import evidence
from documentation.nlp.facts.quantities import durations, parse_number, percents
from documentation.nlp.note import Mention, ReadNote

CLAUSE_BREAK = re.compile(rf";|{FULL_STOP}|\bbut\b|\bhowever\b|\bwhereas\b", re.I)
RELIEF_WORD = re.compile(r"relief|improvement|reduction|better|decrease|pain\s+relief|improved|benefit|resolution", re.I)
NO_RELIEF = re.compile(
    r"\b(?:no|without|w/o|zero|minimal|negligible)\s+(?:\w+\s+)?(?:relief|improvement|benefit)|(?:did|does)\s*(?:not|n't)\s+(?:help|work|provide\s+(?:any\s+)?relief)"
    r"|\bnot\s+helpful\b|\bineffective\b|\bno\s+response\b|\bnegative\s+(?:block|response)\b", re.I)
FULL_RELIEF = re.compile(r"\b(?:complete|total|full)\s+(?:\w+\s+)?relief\b|\bpain[\s-]free\b", re.I)
RELIEF_DURATION_CUE = re.compile(r"(?:\bfor|\blasting|\blasted|\bx|×|\bover|\bduring|\bapproximately|\babout|\bnearly|~)\s*(?:the\s+)?(?:first\s+|next\s+)?$", re.I)
# "two rounds of thoracic paraspinal trigger point injections": up to four words between the count and
# the procedure, none of them a unit ("2 weeks ago had an ESI" is one).
COUNT_BEFORE = re.compile(
    r"(?<![-/.])\b(?P<n>two|three|four|2|3|4)\s+(?:(?!(?:weeks?|days?|months?|years?|hours?|mg|ago|times|levels?)\b)[\w-]+\s+){0,4}$", re.I)
COUNT_AFTER = re.compile(r"^\s*(?:x\s*(?P<x>[2-4])\b|\((?P<p>[2-4])\)|(?P<t>[2-4])\s*times\b)", re.I)
SKIP_SECTIONS = {"family_history", "procedure", "plan"}
# "60% x 6 weeks", "50% for two weeks": a percent followed by how long it lasted is relief.
RELIEF_DURATION_AFTER = re.compile(r"""\s*["”']?,?\s*(?:relief\s+)?(?:x|×|for|lasting|lasted|that\s+lasted)\s*(?:about\s+|approximately\s+|roughly\s+|~\s*)?(?:\d|a\b|an\b|one|two|three|four|five|six|seven|eight|nine|ten)""", re.I)


def _clause(text: str, position: int) -> tuple[int, int]:
    return clause_around(text, position, CLAUSE_BREAK)


def _distance(mention: Mention, start: int, end: int) -> int:
    return span_distance(mention.start, mention.end, start, end)


# A later clause that reports another session of the same procedure: "the confirmatory block on
# 04/22 gave 90%", "right knee 12/16, 70% relief".
SESSION_CUE = re.compile(r"\b(?:second|third|confirmatory|repeat(?:ed)?|another|subsequent|next|then|block|injection|session|"
                         r"left|right)\b|\d{1,2}/\d{1,2}", re.I)
# "the injection", "that block", "it": a later sentence still speaking of the same procedure.
FOLLOWING_SENTENCES = 4
_ANAESTHETIC = r"(?:lidocaine|lido|xylocaine|bupivacaine|bupi|marcaine|sensorcaine|ropivacaine|ropi|naropin)"
# "bupi 0.5%", "2% lidocaine", "0.5 mL 2%": a drug's strength, not relief.
STRENGTH_BEFORE = re.compile(rf"\b(?:{_ANAESTHETIC}|mL(?:\s+of)?)\s{{1,2}}$", re.I)
STRENGTH_AFTER = re.compile(rf"\s*(?:{_ANAESTHETIC}|chlorhexidine|dextrose|saline|epinephrine)\b", re.I)
HALF_RELIEF = re.compile(r"\b(?:about\s+|roughly\s+|nearly\s+|approximately\s+)?half\W{0,2}\s+(?:\w+\s+)?(?:relief|better|improvement)|(?:relief|better|improved)\s+by\s+(?:about\s+)?half\b", re.I)


def extract_procedures(note: ReadNote, facts: dict, note_date: datetime.date | None = None) -> None:
    # Procedures outside the contract (type "other": intercostal blocks, joint injections, ...) are
    # never entries, but they still own the relief said of them.
    procedures = [m for m in note.of("PROCEDURE") if m.meta.get("type") != "other" and _done(note, m) and (
        m.section not in SKIP_SECTIONS or (m.section == "procedure" and _dated_before(note, m, note_date)))]
    entries: list[dict] = []
    by_sentence: dict[int, list[Mention]] = {}
    for mention in note.of("PROCEDURE"):
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

        if _is_a_label(note, mention, by_sentence[sentence.index]):
            continue
        statements = []
        own = _relief_statement(clause, base, mine)
        later_parts = []
        if own is not None:
            statements.append(own[:2])
            # "on 04/14 ..., 85% relief for 3 hours, and on 05/05 ..., 90% relief": more sessions in one clause.
            rest = own[2]
            later_parts.append((clause[rest:], base + rest))
        later_parts = itertools.chain(later_parts, _later_clauses(note, sentence, clause_end, by_sentence, mention))
        for later, later_base in later_parts:
            while later.strip():
                found = _relief_statement(later, later_base, lambda start, end: True)
                if found is None or (statements and not SESSION_CUE.search(later[:found[2]])):
                    break
                statements.append(found[:2])
                if found[2] == 0:
                    break
                later, later_base = later[found[2]:], later_base + found[2]
        count = _count(note, mention)
        if not statements:
            statements = [(None, None)]
        sessions = max(count, len(statements))
        for index in range(sessions):
            relief, weeks = statements[min(index, len(statements) - 1)]
            entry = {"type": mention.meta.get("type"), "relief_percent": relief, "relief_weeks": weeks,
                     "evidence": evidence(note.text, mention.start, mention.end)}
            if sessions > 1:
                entries.append(entry)
            else:
                _add(entries, entry)
    facts["prior_procedures"] = entries


# "He underwent ... at the requested levels", "s/p RFA": a verb of the past in the mention's clause
# wins over a planning word elsewhere in the sentence.
DONE_BEFORE = re.compile(r"\b(?:underwent|had|has\s+had|received|s/p|status\s+post|completed|did)\b[^.;]{0,60}$", re.I)


# "67M for L T10-11 TFESI today": the procedure of the visit, not one done before it.
TODAY = re.compile(r"[^.;\n]{0,20}?\btoday\b", re.I)
_DATE = re.compile(r"\b(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4}|\d{2})\b")


# "Psychological evaluation completed, cleared for spinal cord stimulator trial", "candidate for RFA",
# "awaiting the lumbar RFA": the procedure is what a step leads to, still to come, whatever was done
# before it in the clause.
LEADS_TO = re.compile(r"\b(?:cleared|clearance|candidate|candidacy|approved|approval|eligible|appropriate|ready|referred"
                      r"|scheduled|in\s+preparation|planning|planned|proceed|proceeding)\s+(?:for|to|with)\b"
                      r"|\b(?:pending|awaiting)\b", re.I)


def _done(note: ReadNote, mention: Mention) -> bool:
    if mention.negated or mention.family:
        return False
    sentence = note.sentence_of(mention)
    start, _ = _clause(sentence.text, mention.start - sentence.start)
    before = sentence.text[start:mention.start - sentence.start]
    leads = [match.end() for match in LEADS_TO.finditer(before)]
    if leads:
        before = before[leads[-1]:]
        if not DONE_BEFORE.search(before):
            return False
    done_before = DONE_BEFORE.search(before)
    if mention.affirmed:
        return bool(done_before) or not TODAY.match(note.text, mention.end, mention.end + 30)
    return bool(done_before)


def _dated_before(note: ReadNote, mention: Mention, note_date: datetime.date | None) -> bool:
    """'Procedure: Left L4-5 ESI on 3/16/2026' in a call two days later: done before the note."""
    if note_date is None:
        return False
    sentence = note.sentence_of(mention)
    for match in _DATE.finditer(sentence.text, mention.end - sentence.start):
        try:
            when = datetime.date(full_year(match.group("y")), int(match.group("m")), int(match.group("d")))
        except ValueError:
            continue
        return when < note_date
    return False


# Words by which a later sentence names the procedure it reports on ("the block", "trial results").
ANAPHORS = {
    "scs_trial": r"trial|stimulator", "epidural_steroid_injection": r"injection|ESI|epidural|shot",
    "medial_branch_block": r"block", "genicular_block": r"block", "radiofrequency_ablation": r"ablation|RFA|burn",
    "facet_injection": r"injection|shot", "si_joint_injection": r"injection|shot", "trigger_point_injection": r"injection|TPI|shot",
}
ANY_ANAPHOR = re.compile(r"\b(?:trial|stimulator|injections?|ESI|epidural|shots?|blocks?|ablation|RFA|burn|TPIs?)\b", re.I)
LATER_SENTENCES_STOP = {"PROCEDURE", "CARE", "DRUG"}


def _is_a_label(note: ReadNote, mention: Mention, peers: list[Mention]) -> bool:
    """'Prior ESIs: right L5 TFESI x2 ...': a heading naming what the sentence then lists."""
    return bool(re.match(r"\s*:", note.text[mention.end:mention.end + 3])) and any(
        p.start > mention.end and p.meta.get("type") == mention.meta.get("type") for p in peers)


def _later_clauses(note: ReadNote, sentence, clause_end: int, by_sentence: dict, mention: Mention):
    """The clauses after the mention's own that may still report its relief: the rest of its
    sentence and the next sentences of its section, up to the next procedure, therapy or drug named.
    A later sentence that names a kind of procedure must name this one's kind."""
    if mention.meta.get("type") == "spine_surgery":
        return
    text = sentence.text
    position = clause_end
    while position < len(text):
        start, end = _clause(text, position + 1)
        if any(start <= p.start - sentence.start < end for p in by_sentence.get(sentence.index, ())):
            return
        yield text[start:end], sentence.start + start
        position = end
    own_words = re.compile(rf"\b(?:{ANAPHORS.get(mention.meta.get('type'), 'procedure')})", re.I)
    for following in note.sentences[sentence.index + 1:sentence.index + 1 + FOLLOWING_SENTENCES]:
        if following.section != sentence.section:
            return
        if ANY_ANAPHOR.search(following.text) and not own_words.search(following.text):
            return
        # Up to the next procedure, therapy or drug named: what follows is about that one.
        stops = [m.start - following.start for m in note.in_sentence(following.index) if m.label in LATER_SENTENCES_STOP]
        if stops:
            if min(stops) > 0:
                yield following.text[:min(stops)], following.start
            return
        yield following.text, following.start


def _relief_statement(clause: str, base: int, mine) -> tuple[float | None, float | None, int] | None:
    """(relief percent, relief weeks, end of the statement in the clause), or None when the clause
    states no relief."""
    relief = None
    relief_end = None
    for value, start, end in percents(clause):
        if STRENGTH_BEFORE.search(clause, max(0, start - 16), start) or STRENGTH_AFTER.match(clause, end):
            continue
        context = clause[max(0, start - 40):end + 40]
        if (RELIEF_WORD.search(context) or RELIEF_DURATION_AFTER.match(clause[end:])) and mine(base + start, base + end):
            relief, relief_end = value, end
            break
    if relief is None:
        for pattern, value in ((NO_RELIEF, 0.0), (FULL_RELIEF, 100.0), (HALF_RELIEF, 50.0)):
            match = pattern.search(clause)
            if match and mine(base + match.start(), base + match.end()):
                relief, relief_end = value, match.end()
                break
    weeks = None
    statement_end = relief_end or 0
    if relief is None or relief > 0:
        for duration in durations(clause):
            if clause[duration.end:duration.end + 8].lower().lstrip().startswith("ago"):
                continue
            before = clause[max(0, duration.start - 25):duration.start]
            after = clause[duration.end:duration.end + 20].lower()
            tied_to_relief = after.lstrip().startswith(("of relief", "relief")) or re.search(
                r"relief\s+(?:\w+\s+)?(?:for|lasting|lasted|x)\s*(?:about|approximately|roughly|~)?\s*$", before, re.I)
            if relief is None and not tied_to_relief:
                continue
            if not (RELIEF_DURATION_CUE.search(before) or tied_to_relief
                    or (relief_end is not None and 0 <= duration.start - relief_end <= 30)):
                continue
            if not mine(base + duration.start, base + duration.end):
                continue
            weeks = round(duration.weeks(), 2)
            statement_end = max(statement_end, duration.end)
            break
    if relief is None and weeks is None:
        return None
    return relief, weeks, statement_end


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
