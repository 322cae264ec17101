"""The 999 implementation acknowledgment (005010X231A1), read into
:class:`ImplementationAcknowledgment` and written from it (the sandbox clearinghouse's answer to
an 837). The reader also takes the older 997 (AK3/AK4/AK5 for IK3/IK4/IK5), which some
clearinghouses still send."""

from __future__ import annotations

from collections.abc import Sequence

from billing.x12.envelope import Envelope, Transaction, write_interchange
from billing.x12.messages import ImplementationAcknowledgment, SegmentError, TransactionAcknowledgment
from billing.x12.reader import Segment, TransactionSet, read_sets

GUIDE = "005010X231A1"
_SEGMENT_ERROR = ("IK3", "AK3")
_ELEMENT_ERROR = ("IK4", "AK4")
_SET_RESPONSE = ("IK5", "AK5")


def read_999(text: str | bytes) -> list[ImplementationAcknowledgment]:
    """Every acknowledgment in a 999 (or 997) interchange, one a transaction set;
    :class:`~billing.x12.reader.X12SyntaxError` for a malformed file."""
    found = []
    for transaction in read_sets(text):
        if transaction.code not in ("999", "997"):
            raise transaction.segments[0].fault("ST01 is not 999")
        found.append(_read_set(transaction))
    return found


def _read_set(transaction: TransactionSet) -> ImplementationAcknowledgment:
    ak1: Segment | None = None
    ak9: Segment | None = None
    acknowledged: list[TransactionAcknowledgment] = []
    ak2: Segment | None = None
    errors: list[SegmentError] = []
    ik3: Segment | None = None
    element_errors: list[tuple[str, str]] = []

    def close_segment_error() -> None:
        nonlocal ik3, element_errors
        if ik3 is not None:
            errors.append(SegmentError(segment_id=ik3.required(1), position=ik3.count(2), loop=ik3[3],
                                       code=ik3[4], element_errors=tuple(element_errors)))
        ik3, element_errors = None, []

    for segment in transaction.segments[1:-1]:
        sid = segment.elements[0]
        if sid == "AK1":
            if ak1 is not None:
                raise segment.fault("a second AK1")
            ak1 = segment
        elif sid == "AK2":
            if ak2 is not None:
                raise segment.fault("AK2 before the previous AK2's IK5")
            ak2, errors = segment, []
        elif sid in _SEGMENT_ERROR:
            if ak2 is None:
                raise segment.fault(f"{sid} outside an AK2")
            close_segment_error()
            ik3 = segment
        elif sid in _ELEMENT_ERROR:
            if ik3 is None:
                raise segment.fault(f"{sid} outside an IK3")
            position = ":".join(c for c in segment.components(1) if c)
            element_errors.append((position or segment.required(1), segment.required(3)))
        elif sid in _SET_RESPONSE:
            if ak2 is None:
                raise segment.fault(f"{sid} outside an AK2")
            close_segment_error()
            acknowledged.append(TransactionAcknowledgment(
                set_code=ak2.required(1), set_control_number=ak2.required(2), status=segment.required(1),
                errors=tuple(errors), syntax_codes=tuple(code for code in segment.elements[2:7] if code)))
            ak2 = None
        elif sid == "AK9":
            if ak2 is not None:
                raise segment.fault("AK9 before the last AK2's IK5")
            ak9 = segment
    st = transaction.segments[0]
    if ak1 is None:
        raise st.fault("a 999 without AK1")
    if ak9 is None:
        raise transaction.segments[-1].fault("a 999 without AK9")
    if ak2 is not None:
        raise ak9.fault("an AK2 without its IK5")
    return ImplementationAcknowledgment(
        interchange=transaction.interchange, group_control_number=ak1.required(2), functional_id=ak1.required(1),
        status=ak9.required(1), transactions=tuple(acknowledged), included=ak9.count(2), received=ak9.count(3),
        accepted=ak9.count(4), version=ak1[3], syntax_codes=tuple(code for code in ak9.elements[5:10] if code))


def write_999(acknowledgments: Sequence[ImplementationAcknowledgment], envelope: Envelope, *,
              first_set_control: int = 1) -> str:
    """One interchange (GS01 FA) with a 999 transaction set for each acknowledgment; reading it
    back gives the same acknowledgments (the interchange fields aside: ``envelope`` says who
    sends)."""
    if envelope.functional_id != "FA":
        raise ValueError("this functional group's GS01 is FA")
    transactions = [Transaction("999", GUIDE, _segments(ack)) for ack in acknowledgments]
    return write_interchange(envelope, transactions, first_set_control=first_set_control)


def _segments(ack: ImplementationAcknowledgment) -> list[list[object]]:
    out: list[list[object]] = [["AK1", ack.functional_id, ack.group_control_number, ack.version]]
    for transaction in ack.transactions:
        out.append(["AK2", transaction.set_code, transaction.set_control_number])
        for error in transaction.errors:
            out.append(["IK3", error.segment_id, error.position, error.loop, error.code])
            for position, code in error.element_errors:
                out.append(["IK4", tuple(position.split(":")), "", code])
        out.append(["IK5", transaction.status, *transaction.syntax_codes])
    out.append(["AK9", ack.status, ack.included, ack.received, ack.accepted, *ack.syntax_codes])
    return out
