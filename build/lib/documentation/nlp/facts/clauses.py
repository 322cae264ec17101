"""Clauses: the stretch of a sentence around a mention, between clause breaks."""

from __future__ import annotations

import re


# A full stop that ends a clause: not the one of a title or an abbreviation ("with Dr. Ibsen", "vs. PT").
# The dot comes first so that the look-behinds run only at dots.
FULL_STOP = r"\.(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bMrs\.)(?<!\bvs\.)(?<!\bapprox\.)(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bSt\.)\s"


def clause_around(text: str, position: int, breaks: re.Pattern) -> tuple[int, int]:
    """(start, end) of the clause of ``text`` holding ``position``, cut at ``breaks``."""
    start, end = 0, len(text)
    for match in breaks.finditer(text):
        if match.end() <= position:
            start = match.end()
        elif match.start() >= position:
            end = match.start()
            break
    return start, end


def distance(span_start: int, span_end: int, start: int, end: int) -> int:
    """Characters between the span [span_start, span_end) and [start, end); 0 when they overlap."""
    if end <= span_start:
        return span_start - end
    if start >= span_end:
        return start - span_end
    return 0
