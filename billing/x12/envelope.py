"""Writing X12 interchanges: segments joined by the delimiters, and the ISA/GS/ST envelopes
around transaction sets with their control numbers and counts (SE01, GE01, IEA01).

pyx12 reads and validates X12 but writes none, so this is the one place PracOps builds X12 text;
the 837P writer and the sandbox clearinghouse's responses both go through it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from datetime import datetime

Segment = Sequence[str]  # a segment's id then its elements, e.g. ("REF", "G1", "AUTH123")


@dataclass(frozen=True)
class Delimiters:
    element: str = "*"
    sub_element: str = ":"
    repetition: str = "^"
    segment: str = "~"

    def clean(self, value: object) -> str:
        """An element's text with no delimiter in it (each one becomes a space), trimmed, in the
        X12 extended character set: accents folded (Muñoz -> Munoz), any other character outside
        printable ASCII a space."""
        text = "" if value is None else str(value)
        if self._needs_cleaning(text):  # most values are codes, numbers and plain names: one scan
            if not (text.isascii() and text.isprintable()):
                text = _printable_ascii(text)  # first, as folding can yield a delimiter (＊ -> *)
            for mark in self._marks:
                text = text.replace(mark, " ")
        return text.strip()

    @cached_property
    def _marks(self) -> tuple[str, ...]:
        # each character of the terminator on its own: written with line breaks it is "~\n"
        return tuple(dict.fromkeys((self.element, self.sub_element, self.repetition, *self.segment)))

    @cached_property
    def _needs_cleaning(self) -> Callable[[str], re.Match[str] | None]:
        marks = "".join(re.escape(mark) for mark in self._marks)
        return re.compile(f"[{marks}]|[^ -~]").search


DEFAULT_DELIMITERS = Delimiters()


@dataclass(frozen=True)
class Transaction:
    """One transaction set: its ST01 code, its implementation guide (ST03) and the segments
    between ST and SE. Composite elements are given as tuples of components."""

    code: str  # 837, 835, 277, 999
    guide: str  # 005010X222A1, 005010X221A1, 005010X214, 005010X231A1
    segments: Sequence[Sequence[object]]
    guide_in_st: bool = True  # ST03; the 835's guide leaves it unused


@dataclass(frozen=True)
class Envelope:
    """Who sends to whom, and the control numbers of the interchange and its one group."""

    sender_id: str  # ISA06 / GS02
    receiver_id: str  # ISA08 / GS03
    interchange_control: int  # ISA13, 1 to 999,999,999
    group_control: int  # GS06
    functional_id: str  # GS01: HC 837, HP 835, HN 277, FA 999
    created: datetime
    usage: str = "P"  # ISA15: P production, T test
    sender_qualifier: str = "ZZ"
    receiver_qualifier: str = "ZZ"
    acknowledgment_requested: bool = False  # ISA14 (the 999 is asked for by trading agreement)


def write_segment(segment: Iterable[object], delimiters: Delimiters = DEFAULT_DELIMITERS) -> str:
    """One segment, trailing empty elements dropped; a tuple element is a composite."""
    parts = []
    for element in segment:
        if isinstance(element, tuple):
            components = [delimiters.clean(c) for c in element]
            while components and not components[-1]:
                components.pop()
            parts.append(delimiters.sub_element.join(components))
        else:
            parts.append(delimiters.clean(element))
    while len(parts) > 1 and not parts[-1]:
        parts.pop()
    return delimiters.element.join(parts) + delimiters.segment


def write_interchange(envelope: Envelope, transactions: Sequence[Transaction], *, first_set_control: int = 1,
                      delimiters: Delimiters = DEFAULT_DELIMITERS, line_breaks: bool = True) -> str:
    """An interchange of one functional group holding ``transactions``, numbered from
    ``first_set_control`` (ST02/SE02, four digits at least). With ``line_breaks`` each segment
    ends a line, as most clearinghouses accept and people can read."""
    if not transactions:
        raise ValueError("an interchange holds at least one transaction set")
    if not 0 < envelope.interchange_control < 10**9 or not 0 < envelope.group_control < 10**9:
        raise ValueError("control numbers run from 1 to 999999999")
    if len({t.guide for t in transactions}) != 1:
        raise ValueError("one functional group holds transaction sets of one implementation guide")
    end = delimiters.segment + ("\n" if line_breaks else "")
    d = Delimiters(delimiters.element, delimiters.sub_element, delimiters.repetition, end)
    created = envelope.created
    isa = d.element.join([
        "ISA", "00", " " * 10, "00", " " * 10,
        envelope.sender_qualifier.ljust(2), _fixed(envelope.sender_id, 15, delimiters),
        envelope.receiver_qualifier.ljust(2), _fixed(envelope.receiver_id, 15, delimiters),
        created.strftime("%y%m%d"), created.strftime("%H%M"), delimiters.repetition, "00501",
        f"{envelope.interchange_control:09d}", "1" if envelope.acknowledgment_requested else "0",
        envelope.usage, delimiters.sub_element,
    ]) + end
    out = [isa, write_segment(["GS", envelope.functional_id, envelope.sender_id, envelope.receiver_id,
                               created.strftime("%Y%m%d"), created.strftime("%H%M"), envelope.group_control,
                               "X", transactions[0].guide], d)]
    for offset, transaction in enumerate(transactions):
        control = f"{first_set_control + offset:04d}"
        st03 = transaction.guide if transaction.guide_in_st else ""
        body = [write_segment(["ST", transaction.code, control, st03], d)]
        body += [write_segment(segment, d) for segment in transaction.segments]
        body.append(write_segment(["SE", len(body) + 1, control], d))
        out += body
    out.append(write_segment(["GE", len(transactions), envelope.group_control], d))
    out.append(write_segment(["IEA", 1, f"{envelope.interchange_control:09d}"], d))
    return "".join(out)


def _printable_ascii(text: str) -> str:
    # Receivers (and pyx12) refuse characters outside the X12 character set; a name's accents
    # are dropped as payers' own files drop them, rather than the claim being refused.
    folded = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return "".join(c if c.isascii() and c.isprintable() else " " for c in folded)


def _fixed(value: str, width: int, delimiters: Delimiters) -> str:
    text = delimiters.clean(value)
    if len(text) > width:
        raise ValueError(f"an ISA id is at most {width} characters")
    return text.ljust(width)
