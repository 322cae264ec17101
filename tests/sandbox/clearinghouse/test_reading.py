"""Reading a received 837P: the interchange header, and each claim's values the clearinghouse uses."""

from decimal import Decimal

import pytest

from sandbox.clearinghouse.received import NotX12, read_claims, read_interchange
from tests.sandbox.clearinghouse.conftest import (
    ProfessionalClaimFactory,
    ServiceLineFactory,
    guide_example,
    lines,
    professional_claim_file,
)


def test_the_guide_example_reads_as_one_claim_of_four_lines():
    text = guide_example()

    interchange = read_interchange(text)
    [claim] = read_claims(text)

    assert (interchange.sender_id, interchange.control_number, interchange.guide) == (
        "000000005", "000000907", "005010X222A2")
    assert (claim.claim_id, claim.charge, claim.billing_npi, claim.payer_id) == (
        "26463774", Decimal("100.00"), "1912301953", "999996666")
    assert [(line.procedure_code, line.charge) for line in claim.lines] == [
        ("99213", Decimal("40.00")), ("87070", Decimal("15.00")), ("99214", Decimal("35.00")),
        ("86663", Decimal("10.00"))]
    assert claim.patient_name == "SMITH, TED"  # the patient's loop (2000C), not the subscriber's


def test_claims_keep_their_line_control_numbers_and_authorization():
    first = ProfessionalClaimFactory(lines=lines(("64483", "900.00"), ("77003", "150.00")))
    second = ProfessionalClaimFactory(prior_authorization="",
                                      lines=(ServiceLineFactory(modifiers=("RT", "59")),))

    read = read_claims(professional_claim_file([first, second]))

    assert [c.claim_id for c in read] == [first.claim_id, second.claim_id]
    assert [line.control_number for line in read[0].lines] == [line.control_number for line in first.lines]
    assert (read[0].prior_authorization, read[1].prior_authorization) == ("AUTH12345", "")
    assert read[1].lines[0].modifiers == ("RT", "59")
    assert read[0].member_id == first.subscriber.member_id and read[0].billing_npi == first.billing.npi


def test_claims_in_several_transaction_sets_name_their_set():
    claims = [ProfessionalClaimFactory() for _ in range(3)]

    read = read_claims(professional_claim_file(claims, sets=3))

    assert [c.transaction_control for c in read] == ["0001", "0002", "0003"]


def test_a_stored_claim_reads_back_the_same():
    [claim] = read_claims(professional_claim_file())

    assert type(claim).from_dict(claim.as_dict()) == claim


@pytest.mark.parametrize("text", ["", "hello", "GS*HC*X~", "ISA*00*" + "x" * 200, "ISA" + "*" * 103 + "~"])
def test_text_that_is_no_interchange_is_refused(text):
    with pytest.raises(NotX12):
        read_interchange(text)
