"""Reading X12 interchanges: the delimiters found in the ISA, the text cut into segments, and the
envelope checked (ISA width, IEA/GE/SE counts and control numbers) before anything is read from it.

A file that fails any check raises :class:`X12SyntaxError` naming the segment and its position,
so that nothing from a malformed file is ever posted. Messages name elements (``SE01``), never
their values, which may be patient data.

One interchange a file; its functional groups and their transaction sets are all checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing.x12.messages import Interchange

ISA_LENGTH = 106  # the ISA segment, its terminator included
# Where the element separator stands in the fixed-width ISA (ISA01..ISA16 are 2, 10, 2, 10, 2, 15,
# 2, 15, 6, 4, 1, 5, 9, 1, 1, 1 characters wide).
_ISA_SEPARATORS = (3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103)
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}\Z")
_LINE_BREAKS = "\r\n"
_NUMBER = re.compile(r"-?(?:[0-9]{1,18}(?:\.[0-9]{0,18})?|\.[0-9]{1,18})\Z")


class X12SyntaxError(ValueError):
    """A file that cannot be read as X12: ``segment_id`` and ``position`` (1-based, in the file)
    say where. The message names the element at fault, never a value from the file."""

    def __init__(self, message: str, segment_id: str, position: int) -> None:
        super().__init__(f"{message} (segment {segment_id or '?'} at position {position})")
        self.reason = message
        self.segment_id = segment_id
        self.position = position


class X12BalanceError(X12SyntaxError):
    """A well-formed file whose amounts do not add up (an 835 whose BPR02 is not its claims'
    payments less its provider adjustments): rejected whole, like a malformed one."""


@dataclass(frozen=True)
class Delimiters:
    element: str
    sub_element: str
    repetition: str
    segment: str


class Segment:
    """One segment: its id, its elements (``elements[0]`` is the id, so ``segment[1]`` is the
    first element as X12 numbers it), its position in the file and within its transaction set
    (ST is 1; 0 outside a set)."""

    __slots__ = ("elements", "position", "set_position", "sub_element")

    def __init__(self, elements: list[str], position: int, sub_element: str) -> None:
        self.elements = elements
        self.position = position
        self.set_position = 0
        self.sub_element = sub_element

    @property
    def id(self) -> str:
        return self.elements[0]

    def __getitem__(self, index: int) -> str:
        """Element ``index`` (``segment[1]`` is XX01), ``""`` when the segment stops before it."""
        try:
            return self.elements[index]
        except IndexError:
            return ""

    def __len__(self) -> int:
        return len(self.elements)

    def components(self, index: int) -> list[str]:
        """The components of composite element ``index`` (one when it is not a composite)."""
        return self[index].split(self.sub_element)

    def __repr__(self) -> str:  # ids and positions only: values may be patient data
        return f"<Segment {self.id} at {self.position}>"

    # -- typed elements; each failure names the element, never its value ---------------------

    def fault(self, message: str) -> X12SyntaxError:
        return X12SyntaxError(message, self.id, self.position)

    def required(self, index: int) -> str:
        elements = self.elements
        value = elements[index] if index < len(elements) else ""
        if not value:
            raise self.fault(f"{self.id}{index:02d} is required")
        return value

    def amount(self, index: int) -> Decimal:
        return _decimal(self, index, self.required(index))

    def optional_amount(self, index: int) -> Decimal | None:
        value = self[index]
        return _decimal(self, index, value) if value else None

    def required_date(self, index: int) -> date:
        return _date(self, index, self.required(index))

    def date_within(self, index: int, value: str) -> date:
        """A date written inside element ``index`` (one end of an RD8 range, say)."""
        return _date(self, index, value)

    def optional_date(self, index: int) -> date | None:
        value = self[index]
        return _date(self, index, value) if value else None

    def count(self, index: int) -> int:
        value = self.required(index)
        if not value.isdigit() or not value.isascii():
            raise self.fault(f"{self.id}{index:02d} is not a count")
        return int(value)


def _decimal(segment: Segment, index: int, value: str) -> Decimal:
    # X12's decimal (R) type: an optional minus, digits and at most one point; no exponent, so no
    # value can overflow the arithmetic that balances a remittance.
    if not _NUMBER.match(value):
        raise segment.fault(f"{segment.id}{index:02d} is not a number")
    return Decimal(value)


def _date(segment: Segment, index: int, value: str) -> date:
    if len(value) != 8 or not value.isdigit() or not value.isascii():
        raise segment.fault(f"{segment.id}{index:02d} is not a date (CCYYMMDD)")
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise segment.fault(f"{segment.id}{index:02d} is not a date (CCYYMMDD)") from None


@dataclass(frozen=True)
class TransactionSet:
    """One ST..SE with the interchange and group it came in; ``segments`` run from ST to SE."""

    interchange: Interchange
    code: str  # ST01
    control_number: str  # ST02
    guide: str  # ST03, or GS08 when ST03 is empty (the 835 leaves it so)
    segments: list[Segment]


def find_delimiters(text: str) -> Delimiters:
    """The delimiters an interchange declares in its ISA; :class:`X12SyntaxError` when the ISA is
    not there, not 106 characters wide, or declares delimiters that cannot work."""
    if not text.startswith("ISA"):
        raise X12SyntaxError("the file does not begin with an ISA segment", "ISA", 1)
    if len(text) < ISA_LENGTH:
        raise X12SyntaxError("the ISA segment is cut short", "ISA", 1)
    element = text[3]
    if any(text[i] != element for i in _ISA_SEPARATORS) or text[:ISA_LENGTH - 2].count(element) != 16:
        raise X12SyntaxError("the ISA segment is not 106 characters with 16 elements", "ISA", 1)
    sub_element, segment, repetition = text[104], text[105], text[82]
    marks = (element, sub_element, segment)
    for mark, name in zip(marks, ("element separator", "ISA16 sub-element separator", "segment terminator")):
        if mark.isalnum() or mark == " ":
            raise X12SyntaxError(f"the {name} is a letter, digit or space", "ISA", 1)
    if len(set(marks)) != 3:
        raise X12SyntaxError("ISA delimiters are not distinct", "ISA", 1)
    if repetition in marks or repetition == " ":
        raise X12SyntaxError("ISA11 repetition separator repeats another delimiter", "ISA", 1)
    return Delimiters(element, sub_element, repetition if not repetition.isalnum() else "", segment)


def tokenize(text: str) -> Iterator[Segment]:
    """The segments of ``text`` in order, numbered from 1, line breaks after terminators ignored.
    Checks only that each segment has an id; :func:`read_sets` checks the envelope."""
    text = text.lstrip("\ufeff\r\n\t ")
    delimiters = find_delimiters(text)
    element, sub_element = delimiters.element, delimiters.sub_element
    pieces = text.split(delimiters.segment)
    last = len(pieces) - 1
    for index, piece in enumerate(pieces):
        piece = piece.strip(_LINE_BREAKS)
        if not piece:
            if index == last:
                return
            raise X12SyntaxError("an empty segment", "", index + 1)
        elements = piece.split(element)
        if not _SEGMENT_ID.match(elements[0]):
            raise X12SyntaxError("a segment without a readable segment id", "", index + 1)
        yield Segment(elements, index + 1, sub_element)


def read_sets(text: str | bytes) -> list[TransactionSet]:
    """Every transaction set of the interchange in ``text``, after the whole envelope has been
    checked: ISA, then groups of GS .. ST .. SE .. GE, then IEA with its counts and control
    numbers matching. Raises :class:`X12SyntaxError` at the first fault."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            # The segment the bad byte is in, counting terminators if the ISA declares one.
            terminator = text[105:106] if len(text) >= ISA_LENGTH else b"~"
            raise X12SyntaxError("a byte that is not UTF-8 text", "", text.count(terminator, 0, error.start) + 1) \
                from None
    sets: list[TransactionSet] = []
    segments = tokenize(text)
    isa = next(segments)
    if len(isa) != 17:
        raise isa.fault("the ISA segment does not have 16 elements")
    isa_control = isa[13]
    if not isa_control.isdigit() or len(isa_control) != 9:
        raise isa.fault("ISA13 is not a nine-digit control number")
    groups = 0
    group: Segment | None = None
    group_interchange: Interchange | None = None
    group_sets = 0
    current: list[Segment] | None = None
    last = isa
    for segment in segments:
        last = segment
        sid = segment.elements[0]
        if current is not None:
            segment.set_position = len(current) + 1
            current.append(segment)
            if sid == "SE":
                _close_set(segment, current)
                st = current[0]
                assert group_interchange is not None
                sets.append(TransactionSet(group_interchange, st[1], st[2], st[3] or group_interchange.guide,
                                           current))
                current = None
            elif sid in ("ST", "GS", "GE", "IEA", "ISA"):
                raise segment.fault("a transaction set has no SE before this segment")
            continue
        if sid == "ST":
            if group is None:
                raise segment.fault("ST outside a functional group (no GS before it)")
            segment.set_position = 1
            segment.required(1)
            segment.required(2)
            current = [segment]
            group_sets += 1
        elif sid == "GS":
            if group is not None:
                raise segment.fault("GS inside a functional group (no GE before it)")
            group, group_sets = segment, 0
            for index in (1, 6, 8):
                segment.required(index)
            group_interchange = Interchange(
                sender_id=isa[6].strip(), receiver_id=isa[8].strip(), control_number=isa_control,
                group_control_number=segment[6], functional_id=segment[1], guide=segment[8],
                created=isa[9] + isa[10], usage=isa[15])
        elif sid == "GE":
            if group is None:
                raise segment.fault("GE without a GS")
            if segment.count(1) != group_sets:
                raise segment.fault("GE01 does not count the group's transaction sets")
            if segment[2] != group[6]:
                raise segment.fault("GE02 does not match GS06")
            group, groups = None, groups + 1
        elif sid == "IEA":
            if group is not None:
                raise segment.fault("IEA inside a functional group (no GE before it)")
            if segment.count(1) != groups:
                raise segment.fault("IEA01 does not count the interchange's functional groups")
            if segment[2] != isa_control:
                raise segment.fault("IEA02 does not match ISA13")
            extra = next(segments, None)
            if extra is not None:
                raise extra.fault("a segment after IEA (one interchange a file)")
            if not sets:
                raise segment.fault("the interchange holds no transaction set")
            return sets
        else:
            raise segment.fault("a segment outside a transaction set")
    raise X12SyntaxError("the file ends before IEA (truncated)", last.id, last.position)


def _close_set(se: Segment, current: list[Segment]) -> None:
    if se.count(1) != len(current):
        raise se.fault("SE01 does not count the transaction set's segments")
    if se[2] != current[0][2]:
        raise se.fault("SE02 does not match ST02")


def read_interchange(text: str | bytes) -> Interchange:
    """Where a well-formed file came from (ISA and its first GS), the whole envelope checked."""
    return read_sets(text)[0].interchange


def sets_of(text: str | bytes, code: str) -> list[TransactionSet]:
    """The transaction sets of ``text``, all of which must be ``code`` sets (e.g. 835)."""
    sets = read_sets(text)
    for transaction in sets:
        if transaction.code != code:
            st = transaction.segments[0]
            raise st.fault(f"ST01 is not {code}")
    return sets
