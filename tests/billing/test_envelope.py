"""The X12 envelope every file PracOps writes goes through."""

from datetime import datetime

import pytest

from billing.x12.envelope import Envelope, Transaction, write_interchange, write_segment

WHEN = datetime(2026, 12, 5, 7, 40)


def envelope(**fields) -> Envelope:
    return Envelope(**{"sender_id": "PRACOPS", "receiver_id": "CLEARHOUSE", "interchange_control": 42,
                       "group_control": 7, "functional_id": "HC", "created": WHEN, **fields})


def test_segments_drop_trailing_empty_elements_and_join_composites():
    assert write_segment(["SV1", ("HC", "64483", "RT", "", ""), "1200.00", "UN", "1", "", "", ("1", "2")]) == \
        "SV1*HC:64483:RT*1200.00*UN*1***1:2~"


def test_a_delimiter_inside_a_value_cannot_break_the_file():
    assert write_segment(["NM1", "IL", "1", "O*Brien~Smith:Jr^"]) == "NM1*IL*1*O Brien Smith Jr~"


def test_the_envelope_counts_segments_and_repeats_control_numbers():
    text = write_interchange(envelope(), [Transaction("837", "005010X222A1", [["BHT", "0019"], ["NM1", "41"]]),
                                          Transaction("837", "005010X222A1", [["BHT", "0019"]])],
                             first_set_control=9)
    lines = text.splitlines()

    assert lines[0] == ("ISA*00*          *00*          *ZZ*PRACOPS        *ZZ*CLEARHOUSE     *261205*0740*^*"
                        "00501*000000042*0*P*:~")
    assert len(lines[0]) == 106  # the fixed-width ISA every reader finds the delimiters in
    assert lines[1] == "GS*HC*PRACOPS*CLEARHOUSE*20261205*0740*7*X*005010X222A1~"
    assert lines[2:6] == ["ST*837*0009*005010X222A1~", "BHT*0019~", "NM1*41~", "SE*4*0009~"]
    assert lines[6:9] == ["ST*837*0010*005010X222A1~", "BHT*0019~", "SE*3*0010~"]
    assert lines[-2:] == ["GE*2*7~", "IEA*1*000000042~"]


def test_an_835_leaves_st03_empty():
    text = write_interchange(envelope(functional_id="HP"), [Transaction("835", "005010X221A1", [["BPR", "I"]],
                                                                        guide_in_st=False)])
    assert "ST*835*0001~" in text


@pytest.mark.parametrize("fields", [{"interchange_control": 0}, {"interchange_control": 10**9},
                                    {"sender_id": "X" * 16}])
def test_an_envelope_that_cannot_be_written_is_refused(fields):
    with pytest.raises(ValueError):
        write_interchange(envelope(**fields), [Transaction("837", "005010X222A1", [["BHT"]])])


def test_text_outside_the_x12_character_set_is_folded_or_blanked():
    assert write_segment(["NM1", "IL", "1", "Muñoz-Peña", "Zoë", "\tJr\x00"]) == "NM1*IL*1*Munoz-Pena*Zoe*Jr~"
    assert write_segment(["NTE", "ADD", "Ω dose"]) == "NTE*ADD*dose~"


def test_a_segment_terminator_inside_a_value_cannot_end_the_segment_when_lines_are_broken():
    text = write_interchange(envelope(), [Transaction("837", "005010X222A1", [["NM1", "82", "1", "Ng~", "Linh"]])])

    assert "NM1*82*1*Ng*Linh~\n" in text


def test_a_character_that_folds_into_a_delimiter_is_blanked_too():
    assert write_segment(["NM1", "IL", "1", "A＊B～C"]) == "NM1*IL*1*A B C~"
