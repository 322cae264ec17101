"""The reader finds the delimiters in the ISA, numbers segments, and refuses a malformed file with
the segment and position at fault, never with another exception."""

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.x12.ack999 import read_999, write_999
from billing.x12.messages import ImplementationAcknowledgment, SegmentError, TransactionAcknowledgment
from billing.x12.reader import X12SyntaxError, read_interchange, read_sets, tokenize
from billing.x12.remit835 import read_835
from billing.x12.status277 import read_277
from tests.billing.x12 import pyx12_check
from tests.billing.x12.conftest import envelope, fixture_text
from tests.factories import InterchangeFactory


def redelimited(text: str, element: str, sub_element: str, segment: str, repetition: str = "^") -> str:
    """``text`` (written with * : ~ ^) with other delimiters."""
    table = str.maketrans({"*": element, ":": sub_element, "~": segment, "^": repetition})
    return text.replace("\n", "").translate(table)


def lines(text: str) -> list[str]:
    return text.strip().split("~\n")


def joined(segments: list[str]) -> str:
    return "~\n".join(segments) + "~\n"


def test_the_interchange_says_who_sent_it(managed_care):
    interchange = read_interchange(managed_care)

    assert (interchange.sender_id, interchange.receiver_id) == ("000000005", "12345")
    assert (interchange.control_number, interchange.group_control_number) == ("000000907", "1")
    assert (interchange.functional_id, interchange.guide) == ("HP", "005010X221A1")
    assert (interchange.created, interchange.usage) == ("1310311147", "T")


def test_segments_are_numbered_in_the_file_and_in_their_set(managed_care):
    (transaction,) = read_sets(managed_care)

    assert [s.id for s in tokenize(managed_care)][:3] == ["ISA", "GS", "ST"]
    assert [(s.id, s.position, s.set_position) for s in transaction.segments[:2]] == [("ST", 3, 1), ("BPR", 4, 2)]
    assert (transaction.segments[-1].id, transaction.segments[-1].set_position) == ("SE", 26)
    assert (transaction.code, transaction.control_number, transaction.guide) == ("835", "112233", "005010X221A1")


@pytest.mark.parametrize("delimiters", [("|", ">", "\n"), ("^", "\\", "'", "{"), ("!", "}", "~\r\n", "`")])
def test_the_delimiters_are_the_ones_the_isa_declares(managed_care, delimiters):
    other = redelimited(managed_care, *delimiters)

    assert read_835(other) == read_835(managed_care)


def test_line_breaks_after_terminators_are_ignored(managed_care):
    crlf = managed_care.replace("~\n", "~\r\n")
    one_line = managed_care.replace("~\n", "~")

    assert read_835(crlf) == read_835(one_line) == read_835(managed_care)


def test_a_sample_cut_off_after_its_ak1_is_refused_as_truncated():
    with pytest.raises(X12SyntaxError, match="truncated") as error:
        read_999(fixture_text("835/managed-care.835.997"))
    assert (error.value.segment_id, error.value.position) == ("AK1", 4)


def _set_element(segment_id: str, index: int, value: str):
    def mutate(text: str) -> str:
        out = []
        for line in lines(text):
            parts = line.split("*")
            if parts[0] == segment_id:
                parts[index] = value
            out.append("*".join(parts))
        return joined(out)
    return mutate


MALFORMED = {
    # name: (mutation of managed-care.835, segment at fault, its position, what the message says)
    "ISA not 106 wide": (lambda t: t.replace("*9876543210*01", "*987654321*01", 1), "ISA", 1, "106"),
    "ISA16 repeats the element separator": (lambda t: t.replace("*T*:~", "*T**~", 1), "ISA", 1, "not distinct"),
    "a letter for a segment terminator": (lambda t: t.replace("~", "X"), "ISA", 1, "letter"),
    "sub-element separator equals the terminator": (lambda t: t.replace("*T*:~", "*T*~~", 1), "ISA", 1,
                                                     "not distinct"),
    "no ISA": (lambda t: t[3:], "ISA", 1, "ISA"),
    "ISA13 not a number": (lambda t: t.replace("*000000907*1*T", "*00000090X*1*T"), "ISA", 1, "ISA13"),
    "truncated inside a set": (lambda t: joined(lines(t)[:12]), "LX", 12, "truncated"),
    "truncated before IEA": (lambda t: joined(lines(t)[:-1]), "GE", 29, "truncated"),
    "SE01 miscounts": (_set_element("SE", 1, "25"), "SE", 28, "SE01"),
    "SE02 does not match ST02": (_set_element("SE", 2, "112234"), "SE", 28, "SE02"),
    "GE01 miscounts": (_set_element("GE", 1, "2"), "GE", 29, "GE01"),
    "GE02 does not match GS06": (_set_element("GE", 2, "2"), "GE", 29, "GE02"),
    "IEA01 miscounts": (_set_element("IEA", 1, "2"), "IEA", 30, "IEA01"),
    "IEA02 does not match ISA13": (_set_element("IEA", 2, "000000908"), "IEA", 30, "IEA02"),
    "SE missing": (lambda t: joined([s for s in lines(t) if not s.startswith("SE*")]), "GE", 28, "no SE"),
    "a CLP without amounts": (lambda t: t.replace("CLP*5554555444*1*800.00*450.00*300.00*12*94060555410000",
                                                  "CLP*5554555444*1"), "CLP", 13, "CLP03 is required"),
    "an amount that is not a number": (lambda t: t.replace("*450.00*300.00", "*4S0.00*300.00"), "CLP", 13,
                                       "CLP04 is not a number"),
    "a date that is not a date": (lambda t: t.replace("DTM*150*20020301", "DTM*150*20021301"), "DTM", 17,
                                  "DTM02 is not a date"),
    "a CAS amount without its reason": (lambda t: t.replace("CAS*CO*A2*50.00", "CAS*CO**50.00"), "CAS", 14,
                                        "CAS02"),
    "garbage in a segment id": (lambda t: t.replace("N3*10", "n\x00*10"), "", 8, "segment id"),
    "an empty segment": (lambda t: t.replace("LX*1~", "LX*1~~"), "", 13, "empty segment"),
    "a segment between sets": (lambda t: t.replace("GE*1*1~", "LX*1~\nGE*1*1~"), "LX", 29, "outside"),
    "a second interchange": (lambda t: t + t, "ISA", 31, "after IEA"),
    "does not balance": (lambda t: t.replace("BPR*I*945.00", "BPR*I*945.01"), "BPR", 4, "BPR02"),
}


@pytest.mark.parametrize("name", MALFORMED)
def test_a_malformed_file_is_refused_with_the_segment_and_position(managed_care, name):
    mutate, segment_id, position, message = MALFORMED[name]

    with pytest.raises(X12SyntaxError, match=message) as error:
        read_835(mutate(managed_care))

    assert (error.value.segment_id, error.value.position) == (segment_id, position)
    assert f"at position {position}" in str(error.value)


def test_errors_name_elements_never_values(managed_care):
    patient_claim = "5554555444"
    with pytest.raises(X12SyntaxError) as error:
        read_835(managed_care.replace("*450.00*300.00*12*94060555410000", "**300.00*12*94060555410000"))
    assert "CLP04" in str(error.value) and patient_claim not in str(error.value)


@pytest.mark.parametrize("data", [b"\x00\xff\xfe garbage", b"ISA" + bytes(range(256)), b"", "ISA*00*"])
def test_garbage_is_refused(data):
    with pytest.raises(X12SyntaxError):
        read_835(data)


def test_a_file_of_the_wrong_kind_is_refused(managed_care):
    with pytest.raises(X12SyntaxError, match="ST01 is not 277"):
        read_277(managed_care)


SAMPLES = ["835/managed-care.835", "835/medicare-part-a.835", "835/secondary-payment.835",
           "277/claim-level-status.277", "999/written"]
READERS = {"835": read_835, "277": read_277, "999": read_999}


def sample_text(sample: str) -> str:
    if sample == "999/written":
        error = SegmentError("NM1", 8, "2010", "8", (("3:1", "7"),))
        transaction = TransactionAcknowledgment("837", "0001", "R", (error,), ("5",))
        return write_999([ImplementationAcknowledgment(InterchangeFactory(), "7", "HC", "R", (transaction,), 1, 1, 0,
                                                       "005010X222A1")], envelope("FA"))
    return fixture_text(sample)
CHARACTERS = string.ascii_uppercase + string.digits + "*:~^>.-\n\r \x00\xff"


JUNK = ["", "-", "1E5", "NaN", "ABC", "20021399", "2002031", ":", "::", "-0", ".5", "99999999999999999999", "HC:",
        "\x00", "1-2"]


@st.composite
def mutations(draw):
    """A sample with one to three mutations: characters deleted, inserted or replaced, the text cut,
    a segment repeated or dropped, or one element's value replaced with junk."""
    sample = draw(st.sampled_from(SAMPLES))
    text = sample_text(sample)
    rnd = draw(st.randoms(use_true_random=False))  # positions uniform over the file, not biased to its start
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["delete", "insert", "replace", "truncate", "duplicate segment",
                                     "drop segment", "element", "element"]))
        at = rnd.randrange(len(text)) if text else 0
        if kind == "delete":
            text = text[:at] + text[at + 1:]
        elif kind == "insert":
            text = text[:at] + draw(st.sampled_from(CHARACTERS)) + text[at:]
        elif kind == "replace":
            text = text[:at] + draw(st.sampled_from(CHARACTERS)) + text[at + 1:]
        elif kind == "truncate":
            text = text[:at]
        else:
            segments = text.split("~")
            index = rnd.randrange(len(segments))
            if kind == "element":
                elements = segments[index].split("*")
                if len(elements) > 1 and not elements[0].strip().startswith("ISA"):
                    elements[rnd.randrange(1, len(elements))] = draw(st.sampled_from(JUNK))
                segments[index] = "*".join(elements)
            else:
                segments[index:index + 1] = [segments[index]] * (2 if kind == "duplicate segment" else 0)
            text = "~".join(segments)
    return sample.split("/")[0], text


@settings(max_examples=500, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations())
def test_a_mutated_file_is_read_or_refused_with_a_syntax_error(case):
    kind, text = case
    try:
        READERS[kind](text)
    except X12SyntaxError as error:
        assert error.position >= 1 or error.segment_id == ""


def test_a_byte_that_is_not_text_is_placed_in_its_segment(managed_care):
    data = managed_care.replace("N3*10 SOUTH", "N3*10 SOUTH\xff").encode("latin-1")

    with pytest.raises(X12SyntaxError, match="not UTF-8") as error:
        read_835(data)
    assert error.value.position == 8


@pytest.mark.parametrize("sample", ["835/cob-contractural-adjustment.835", "835/managed-care.835",
                                    "835/medicare-part-a.835", "835/secondary-payment.835",
                                    "835/tertiary-payment.835", "277/claim-level-status.277",
                                    "277/claim-level-status-ncpdp.277", "277/information-receiver-level-status.277",
                                    "277/provider-level-status.277"])
def test_the_segments_are_the_ones_pyx12_finds(sample):
    text = fixture_text(sample)

    assert [segment.id for segment in tokenize(text)] == pyx12_check.segment_ids(text)
    assert len(read_sets(text)[0].segments) == int(lines(text)[-3].split("*")[1])  # SE01
