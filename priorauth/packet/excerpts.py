"""The passages of a note that evidence cites, with the cited words marked (pure).

A reviewer at the payer reads the quoted words in their place in the note, with a little text
around them, rather than the whole note: notes run to pages and most of it is beside the point.
A short note is shown whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

# A note up to this long is shown whole: cutting it would save little and lose context.
WHOLE_NOTE_CHARS = 1500
# Characters of context either side of a cited span, before snapping to a word boundary.
CONTEXT_CHARS = 160
# Passages closer than this are joined rather than printed as two with an ellipsis between.
JOIN_GAP_CHARS = 60


@dataclass(frozen=True)
class Segment:
    """A run of note text; ``marked`` when it is quoted as evidence."""

    text: str
    marked: bool = False


@dataclass(frozen=True)
class Passage:
    """Consecutive note text; ``cut_before``/``cut_after`` when the note goes on beyond it."""

    segments: tuple[Segment, ...]
    cut_before: bool
    cut_after: bool


def locate(text: str, start: int | None, end: int | None, quote: str) -> tuple[int, int] | None:
    """Where ``quote`` stands in ``text``: at its offsets when they match, else its first occurrence.

    Offsets are trusted only when they point at the quoted words, so evidence read from another
    version of the note marks the right words or none. None when the quote is not in the text.
    """
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
        if not quote or text[start:end] == quote:
            return start, end
    if quote:
        found = text.find(quote)
        if found >= 0:
            return found, found + len(quote)
    return None


def _merge(spans: Iterable[tuple[int, int]], gap: int = 0) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + gap:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def _snap_back(text: str, index: int) -> int:
    """The start of the word at ``index`` (or 0), so a passage never begins mid-word."""
    if index <= 0:
        return 0
    space = max(text.rfind(" ", 0, index), text.rfind("\n", 0, index))
    return space + 1 if space >= 0 else 0


def _snap_forward(text: str, index: int) -> int:
    """The end of the word at ``index`` (or the text's end)."""
    if index >= len(text):
        return len(text)
    ends = [found for found in (text.find(" ", index), text.find("\n", index)) if found >= 0]
    return min(ends) if ends else len(text)


def passages(text: str, spans: Sequence[tuple[int, int]]) -> tuple[Passage, ...]:
    """The passages of ``text`` around ``spans`` (``[start, end)`` offsets), spans marked.

    Overlapping spans are marked as one. A text up to ``WHOLE_NOTE_CHARS`` long is one passage.
    No spans, no passages.
    """
    marks = _merge((s, e) for s, e in spans if 0 <= s < e <= len(text))
    if not marks:
        return ()
    if len(text) <= WHOLE_NOTE_CHARS:
        windows = [(0, len(text))]
    else:
        windows = _merge(
            ((_snap_back(text, start - CONTEXT_CHARS), _snap_forward(text, end + CONTEXT_CHARS))
             for start, end in marks),
            gap=JOIN_GAP_CHARS,
        )
    result = []
    for window_start, window_end in windows:
        segments: list[Segment] = []
        cursor = window_start
        for start, end in marks:
            if end <= window_start or start >= window_end:
                continue
            if start > cursor:
                segments.append(Segment(text[cursor:start]))
            segments.append(Segment(text[start:end], marked=True))
            cursor = end
        if cursor < window_end:
            segments.append(Segment(text[cursor:window_end]))
        # Leading and trailing blank lines of a cut add nothing but height.
        if segments and not segments[0].marked:
            segments[0] = Segment(segments[0].text.lstrip())
        if segments and not segments[-1].marked:
            segments[-1] = Segment(segments[-1].text.rstrip())
        result.append(Passage(
            segments=tuple(segment for segment in segments if segment.text),
            cut_before=window_start > 0 and bool(text[:window_start].strip()),
            cut_after=window_end < len(text) and bool(text[window_end:].strip()),
        ))
    return tuple(result)
