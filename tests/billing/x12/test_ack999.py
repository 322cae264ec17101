"""The 999: what write_999 writes validates with pyx12 and reads back the same; a 997 reads too."""

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from billing.x12.ack999 import read_999, write_999
from billing.x12.messages import ImplementationAcknowledgment, SegmentError, TransactionAcknowledgment
from billing.x12.reader import X12SyntaxError
from tests.billing.x12 import pyx12_check
from tests.billing.x12.conftest import envelope
from tests.factories import InterchangeFactory

REJECTED_CLAIM = TransactionAcknowledgment(
    "837", "0002", "R", errors=(SegmentError("NM1", 8, "2010", "8", (("9", "7"), ("3:1", "7"))),),
    syntax_codes=("5",))


def acknowledgment(transactions, **fields) -> ImplementationAcknowledgment:
    return ImplementationAcknowledgment(**{
        "interchange": InterchangeFactory(functional_id="FA", guide="005010X231A1"), "group_control_number": "7",
        "functional_id": "HC", "status": "P", "transactions": tuple(transactions), "included": len(transactions),
        "received": len(transactions), "accepted": sum(t.status != "R" for t in transactions),
        "version": "005010X222A1", **fields})


def test_a_partly_accepted_batch_validates_and_reads_back():
    ack = acknowledgment([TransactionAcknowledgment("837", "0001", "A"), REJECTED_CLAIM])
    text = write_999([ack], envelope("FA"))

    assert pyx12_check.validation_errors(text) == []
    (read,) = read_999(text)
    assert replace(read, interchange=ack.interchange) == ack
    assert (read.interchange.functional_id, read.interchange.guide) == ("FA", "005010X231A1")


def test_a_997_reads_as_an_acknowledgment():
    text = ("ISA*00*          *00*          *ZZ*CLEARHOUSE     *ZZ*PRACOPS        *261205*0900*U*00401*000000001*0*T*:~"
            "GS*FA*CLEARHOUSE*PRACOPS*20261205*0900*1*X*004010~ST*997*0001~AK1*HC*7~AK2*837*0002~"
            "AK3*NM1*8**8~AK4*9**7~AK5*R*5~AK9*R*1*1*0~SE*8*0001~GE*1*1~IEA*1*000000001~")

    (read,) = read_999(text)

    assert (read.status, read.functional_id, read.group_control_number) == ("R", "HC", "7")
    assert read.transactions == (TransactionAcknowledgment(
        "837", "0002", "R", errors=(SegmentError("NM1", 8, "", "8", (("9", "7"),)),), syntax_codes=("5",)),)


def without(text: str, segment: str) -> str:
    """``text`` without ``segment``, its SE01 counting one segment less."""
    assert f"{segment}~\n" in text and "SE*9*" in text
    return text.replace(f"{segment}~\n", "").replace("SE*9*", "SE*8*")


@pytest.mark.parametrize("change, message", [
    (lambda t: without(t, "IK5*R*5"), "before the last AK2's IK5"),
    (lambda t: without(t, "AK1*HC*7*005010X222A1"), "without AK1"),
    (lambda t: t.replace("AK9*R*1*1*0", "AK9*R*1*one*0"), "AK903 is not a count"),
    (lambda t: t.replace("IK3*NM1*8", "IK3*NM1*eight"), "IK302 is not a count"),
])
def test_a_malformed_999_is_refused(change, message):
    text = write_999([acknowledgment([REJECTED_CLAIM], status="R")], envelope("FA"))

    with pytest.raises(X12SyntaxError, match=message):
        read_999(change(text))


segment_errors = st.builds(
    SegmentError, segment_id=st.sampled_from(["NM1", "CLM", "SV1", "REF", "DTP", "HI"]),
    position=st.integers(1, 99999), loop=st.sampled_from(["", "2300", "2400", "2010"]),
    code=st.sampled_from(["1", "2", "3", "4", "5", "8", "I4", "I6"]),
    element_errors=st.lists(st.tuples(st.sampled_from(["1", "2", "9", "3:1", "2:1:1"]),
                                      st.sampled_from(["1", "2", "4", "6", "7", "I10"])), max_size=3).map(tuple))
transaction_acknowledgments = st.builds(
    TransactionAcknowledgment, set_code=st.just("837"), set_control_number=st.from_regex(r"[0-9]{4,9}", fullmatch=True),
    status=st.sampled_from(["A", "E", "R"]), errors=st.lists(segment_errors, max_size=3).map(tuple),
    syntax_codes=st.lists(st.sampled_from(["1", "2", "3", "4", "5", "23"]), max_size=5).map(tuple))
acknowledgments = st.builds(
    lambda transactions, status, codes: acknowledgment(transactions, status=status,
                                                       syntax_codes=codes if status != "A" else ()),
    st.lists(transaction_acknowledgments, max_size=4), st.sampled_from(["A", "E", "P", "R"]),
    st.lists(st.sampled_from(["1", "2", "3", "4", "5", "6", "17", "18", "19", "23"]), max_size=5).map(tuple))


@settings(max_examples=50, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(acknowledgments, min_size=1, max_size=2))
def test_any_999_written_reads_back_the_same(acks):
    read = read_999(write_999(acks, envelope("FA")))

    assert [replace(r, interchange=a.interchange) for r, a in zip(read, acks)] == acks


@settings(max_examples=10, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.generate])  # no shrinking: each example is a pyx12 validation
@given(acknowledgments)
def test_any_999_written_validates_with_pyx12(ack):
    assert pyx12_check.validation_errors(write_999([ack], envelope("FA"))) == []


def test_a_999_goes_in_an_fa_group():
    with pytest.raises(ValueError, match="FA"):
        write_999([acknowledgment([REJECTED_CLAIM])], envelope("HC"))
