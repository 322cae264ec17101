"""pyx12's verdict on a received 837P, as the 999 says it: accepted, or rejected where the error is."""

from sandbox.clearinghouse.received import read_interchange
from sandbox.clearinghouse.validation import validate_837
from tests.sandbox.clearinghouse.conftest import ProfessionalClaimFactory, guide_example, professional_claim_file


def verdict(text: str):
    return validate_837(text, read_interchange(text))


def test_the_guide_example_is_accepted():
    ack = verdict(guide_example())

    assert ack.status == "A"
    assert [(t.set_code, t.set_control_number, t.status) for t in ack.transactions] == [("837", "0021", "A")]
    assert (ack.included, ack.received, ack.accepted) == (1, 1, 1)


def test_a_built_file_is_accepted():
    assert verdict(professional_claim_file([ProfessionalClaimFactory(), ProfessionalClaimFactory()])).status == "A"


def test_a_bad_code_is_rejected_at_its_segment_and_element():
    text = guide_example().replace("SV1*HC:87070*15.00*UN", "SV1*HC:87070*15.00*ZZ")

    ack = verdict(text)

    [transaction] = ack.transactions
    assert (ack.status, transaction.status) == ("R", "R")
    [error] = transaction.errors
    # The second SV1 is the 32nd segment of the set (ST is 1); SV103 holds a code not in its list (IK403 7).
    assert (error.segment_id, error.position, error.code, error.element_errors) == ("SV1", 32, "8", (("3", "7"),))
    assert "5" in transaction.syntax_codes


def test_a_missing_required_element_is_rejected_at_its_segment():
    text = guide_example().replace("NM1*85*2*BEN KILDARE SERVICE*****XX*1912301953~",
                                   "NM1*85*2*BEN KILDARE SERVICE*****XX~")

    [transaction] = verdict(text).transactions

    assert [(e.segment_id, e.position) for e in transaction.errors] == [("NM1", 8)]


def test_a_wrong_segment_count_rejects_the_set():
    [transaction] = verdict(guide_example().replace("SE*40*0021", "SE*41*0021")).transactions

    assert transaction.status == "R" and "4" in transaction.syntax_codes  # IK502 4: number of segments wrong


def test_one_bad_set_of_two_is_a_partial_acceptance():
    text = professional_claim_file([ProfessionalClaimFactory(), ProfessionalClaimFactory()], sets=2)
    text = text.replace("SE*26*0002", "SE*27*0002")
    assert "SE*27*0002" in text

    ack = verdict(text)

    assert ack.status == "P"
    assert [t.status for t in ack.transactions] == ["A", "R"]
    assert (ack.received, ack.accepted) == (2, 1)


def test_a_group_that_is_not_a_professional_claim_is_rejected_whole():
    ack = verdict(guide_example().replace("GS*HC*", "GS*HP*"))

    assert (ack.status, ack.transactions, ack.accepted) == ("R", (), 0)
