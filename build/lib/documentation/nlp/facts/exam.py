"""Exam: straight leg raise and the count of positive sacroiliac provocative tests."""

from __future__ import annotations

import re

from documentation.nlp.facts.evidence import set_fact
from documentation.nlp.facts.quantities import parse_number
from documentation.nlp.note import ReadNote

SLR = re.compile(r"\b(?:straight[\s-]+leg[\s-]+rais(?:e|ing)(?:\s+test)?|SLR|slump\s+test|Lasegue(?:'s)?(?:\s+sign)?)\b", re.I)
SI_TESTS = {
    "faber": re.compile(r"\b(?:FABER|Patrick(?:'s)?(?:\s+test)?)\b", re.I),
    "gaenslen": re.compile(r"\bGaenslen(?:'s)?(?:\s+test)?\b", re.I),
    "thigh_thrust": re.compile(r"\b(?:thigh[\s-]+thrust|posterior\s+shear|P4)(?:\s+test)?\b", re.I),
    "compression": re.compile(r"\b(?:SI(?:\s+joint)?\s+|sacroiliac\s+)?compression(?:\s+test)?\b", re.I),
    "distraction": re.compile(r"\b(?:SI(?:\s+joint)?\s+|sacroiliac\s+)?distraction(?:\s+test)?\b", re.I),
}
POSITIVE = re.compile(r"(?:\bpositive\b|\bpos\b|\(\+\)|(?<![\w])\+(?![\w])|(?<![\w])\+(?=(?:R|L|B|bilat\w*)\b)|\breproduces?\b|\breproduced\b|\bprovocative\s+for\b|\belicits?\b)", re.I)
NEGATIVE = re.compile(r"(?:\bnegative\b|\bneg\b|\(-\)|\bnot\s+reproduce|\bdid\s+not\s+reproduce|\bunremarkable\b|\bnormal\b)", re.I)
SEGMENT_BREAK = re.compile(r"[,;]|\band\b|\bbut\b|\bwith\b|\bwhile\b", re.I)
_COUNT = r"(?:\d|zero|one|two|three|four|five)"
SI_SUMMARY = re.compile(
    rf"\b(?P<n>{_COUNT})\s*(?:/|of|out\s+of)\s*(?:the\s+)?(?:5|five)\s+(?:SI(?:\s+joint)?\s+|sacroiliac\s+)?(?:provocative|provocation|provocation\s+tests|provocative\s+tests|tests|maneuvers)"
    r"(?:\s+\w+){0,2}?\s+(?:positive|were\s+positive)|"
    # "SI provocation: 3 of 5 positive", "provocative maneuvers 2/5 positive"
    rf"\b(?:provocative|provocation)(?:\s+(?:tests|maneuvers|testing))?\s*:?\s*(?P<n2>{_COUNT})\s*(?:/|of|out\s+of)\s*(?:5|five)\s+(?:positive|pos)\b|"
    r"\b(?:SI(?:\s+joint)?|sacroiliac)\s+(?:provocative|provocation)\s+(?:tests|maneuvers|testing)\s+(?:were\s+|are\s+)?(?:all\s+)?(?P<neg>negative)", re.I)


ANY_TEST = re.compile(r"straight|SLR|slump|Lasegue|FABER|Patrick|Gaenslen|thigh|shear|P4|compression|distraction|provocat", re.I)


def _segments(text: str) -> list[tuple[int, int]]:
    cuts = [0] + [m.start() for m in SEGMENT_BREAK.finditer(text)] + [len(text)]
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


def _polarities(text: str, patterns: dict[str, re.Pattern]) -> list[tuple[str, int, int, str | None]]:
    """For each test named in the text: (name, start, end, 'positive'|'negative'|None)."""
    segments = _segments(text)
    info = []
    for a, b in segments:
        piece = text[a:b]
        tests = sorted((a + m.start(), a + m.end(), name) for name, pattern in patterns.items()
                       for m in pattern.finditer(piece))
        pos, neg = POSITIVE.search(piece), NEGATIVE.search(piece)
        polarity, where = None, None
        if pos or neg:
            first = min((m for m in (pos, neg) if m), key=lambda m: m.start())
            polarity = "positive" if first is pos else "negative"
            where = a + first.start()
        info.append((tests, polarity, where))
    out = []
    for position, (tests, polarity, where) in enumerate(info):
        for start, end, name in tests:
            chosen = polarity
            if chosen is None:
                # A list: "positive FABER, Gaenslen and thigh thrust" or "FABER, Gaenslen ... positive".
                for back in range(position - 1, -1, -1):
                    p_tests, p_pol, p_where = info[back]
                    if p_pol is not None:
                        if p_tests and p_where < p_tests[0][0]:
                            chosen = p_pol
                        break
                    if not p_tests:
                        break
                if chosen is None:
                    for forward in range(position + 1, len(info)):
                        f_tests, f_pol, f_where = info[forward]
                        if f_pol is not None:
                            if f_tests and f_where > f_tests[-1][0]:
                                chosen = f_pol
                            break
                        if not f_tests:
                            break
            out.append((name, start, end, chosen))
    return out


def extract_exam(note: ReadNote, facts: dict) -> None:
    slr = None
    positives: dict[str, tuple[int, int]] = {}
    negatives: list[tuple[int, int]] = []
    summary = None
    for sentence in note.sentences:
        if sentence.section in {"family_history", "imaging"} or not ANY_TEST.search(sentence.text):
            continue
        text = sentence.text
        for _, start, end, polarity in _polarities(text, {"slr": SLR}):
            if polarity and (slr is None or polarity == "positive" and slr[0] == "negative"):
                slr = (polarity, sentence.start + start, sentence.start + end)
        tests = SI_TESTS
        if not re.search(r"\b(?:SI|sacroiliac|FABER|Gaenslen|thigh|provocati|Patrick)", text, re.I):
            tests = {n: p for n, p in SI_TESTS.items() if n not in {"compression", "distraction"}}
        for name, start, end, polarity in _polarities(text, tests):
            if polarity == "positive":
                positives.setdefault(name, (sentence.start + start, sentence.start + end))
            elif polarity == "negative":
                negatives.append((sentence.start + start, sentence.start + end))
        match = SI_SUMMARY.search(text)
        if match:
            count = 0 if match.group("neg") else int(parse_number(match.group("n") or match.group("n2")) or 0)
            if count <= 5:
                summary = (count, sentence.start + match.start(), sentence.start + match.end())
    if slr:
        set_fact(facts, "exam.straight_leg_raise", slr[0], note.text, slr[1], slr[2])
    if positives:
        spans = sorted(positives.values())
        set_fact(facts, "exam.si_provocative_positive", min(len(positives), 5), note.text, spans[0][0], spans[-1][1])
    elif summary:
        set_fact(facts, "exam.si_provocative_positive", summary[0], note.text, summary[1], summary[2])
    elif negatives:
        spans = sorted(negatives)
        set_fact(facts, "exam.si_provocative_positive", 0, note.text, spans[0][0], spans[-1][1])
    if summary and positives and summary[0] > len(positives):
        set_fact(facts, "exam.si_provocative_positive", summary[0], note.text, summary[1], summary[2])
