"""The 837P writer: every file it writes passes pyx12 and the guide rules, its loops and
counts read back right, and data the guide forbids is refused naming the claim and the field."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from billing.claim_data import Address, Frequency
from billing.x12.claims837 import write_837p
from billing.x12.validation import validate_x12
from tests.billing.x12.claim_factories import (AddressFactory, BillingProviderFactory, PayerFactory,
                                               ProfessionalClaimFactory, RenderingProviderFactory,
                                               ServiceLineFactory, SubscriberFactory)
from tests.billing.x12.x12text import RECEIVER, SUBMITTER, envelope, segments, transaction_sets, with_id


def write(claims, **options) -> str:
    return write_837p(claims, submitter=SUBMITTER, receiver=RECEIVER, envelope=options.pop("envelope", envelope()),
                      **options)


def assert_valid(text: str) -> None:
    issues = validate_x12(text)
    assert issues == [], "\n".join(str(issue) for issue in issues)


def test_a_single_claim_is_a_valid_837p_with_every_loop_in_place():
    claim = ProfessionalClaimFactory.build(claim_id="PC1001", onset_date=date(2026, 9, 2),
                                           prior_authorization="AUTH77812", line_count=2)

    text = write([claim])

    assert_valid(text)
    found = segments(text)
    ids = [s[0] for s in found]
    assert ids == ["ISA", "GS", "ST", "BHT", "NM1", "PER", "NM1",
                   "HL", "PRV", "NM1", "N3", "N4", "REF",  # 2000A, 2010AA
                   "HL", "SBR", "NM1", "N3", "N4", "DMG", "NM1",  # 2000B, 2010BA, 2010BB
                   "CLM", "DTP", "REF", "HI",  # 2300
                   "LX", "SV1", "DTP", "REF", "LX", "SV1", "DTP", "REF",  # 2400 x 2
                   "SE", "GE", "IEA"]
    assert found[3] == ["BHT", "0019", "00", "0000012070001", "20261205", "0830", "CH"]
    assert found[4][:3] == ["NM1", "41", "2"] and found[4][-2:] == ["46", "PRACOPS01"]
    assert found[5] == ["PER", "IC", "Billing Office", "TE", "5125550100"]
    assert found[7] == ["HL", "1", "", "20", "1"]
    assert found[8] == ["PRV", "BI", "PXC", "208VP0014X"]
    assert found[9][:3] == ["NM1", "85", "2"] and found[9][-2:] == ["XX", claim.billing.npi]
    assert found[11] == ["N4", "Austin", "TX", "787011234"]
    assert found[12] == ["REF", "EI", claim.billing.tax_id]
    assert found[13] == ["HL", "2", "1", "22", "0"]
    assert found[14] == ["SBR", "P", "18", "GRP4410", "", "", "", "", "", "CI"]
    assert found[15][:3] == ["NM1", "IL", "1"] and found[15][-2:] == ["MI", claim.subscriber.member_id]
    assert found[18] == ["DMG", "D8", "19610412", "F"]
    assert found[19] == ["NM1", "PR", "2", "ACME HEALTH PLAN", "", "", "", "", "PI", "ACME1"]
    assert found[20] == ["CLM", "PC1001", "2500", "", "", "11:B:1", "Y", "A", "Y", "Y"]
    assert found[21] == ["DTP", "431", "D8", "20260902"]
    assert found[22] == ["REF", "G1", "AUTH77812"]
    assert found[23] == ["HI", "ABK:M5416", "ABF:M5126"]
    assert found[24:28] == [["LX", "1"], ["SV1", "HC:64483", "1250", "UN", "1", "", "", "1"],
                            ["DTP", "472", "D8", "20261120"], ["REF", "6R", claim.lines[0].control_number]]
    assert found[28] == ["LX", "2"]


def test_envelope_counts_and_control_numbers_read_back_from_the_text():
    claims = ProfessionalClaimFactory.build_batch(7, line_count=3)

    text = write(claims, envelope=envelope(interchange_control=31337, group_control=4242), first_set_control=20,
                 claims_per_transaction=3)

    assert_valid(text)
    found = segments(text)
    assert found[0][13] == "000031337" and found[-1] == ["IEA", "1", "000031337"]
    assert found[1][6] == "4242" and found[-2] == ["GE", "3", "4242"]
    sets = transaction_sets(text)
    assert [len(with_id(s, "CLM")) for s in sets] == [3, 3, 1]
    assert [s[0][2] for s in sets] == ["0020", "0021", "0022"]
    for transaction in sets:
        st, se = transaction[0], transaction[-1]
        assert se == ["SE", str(len(transaction)), st[2]]  # SE01 counts ST through SE
        assert with_id(transaction, "NM1", "41") and with_id(transaction, "NM1", "40")  # 1000A/B in each set
        hl_numbers = [s[1] for s in with_id(transaction, "HL")]
        assert hl_numbers == [str(n) for n in range(1, len(hl_numbers) + 1)]
    assert len({with_id(s, "BHT")[0][3] for s in sets}) == 3  # each set its own reference
    assert len({s[2] for s in with_id(found, "REF", "6R")}) == 21  # every line its own control number


def test_claims_are_grouped_under_one_billing_provider_and_one_subscriber_each():
    group_a, group_b = BillingProviderFactory.build(), BillingProviderFactory.build()
    dana, lee = SubscriberFactory.build(), SubscriberFactory.build()
    payer = PayerFactory.build()
    # interleaved on purpose: the file groups them, in order of first appearance
    claims = [ProfessionalClaimFactory.build(claim_id=f"PC{n}", billing=billing, subscriber=subscriber, payer=payer)
              for n, (billing, subscriber) in enumerate([(group_a, dana), (group_b, lee), (group_a, lee),
                                                         (group_a, dana), (group_b, lee)])]

    text = write(claims)

    assert_valid(text)
    found = segments(text)
    levels = [(s[1], s[2], s[3]) for s in with_id(found, "HL")]
    assert levels == [("1", "", "20"), ("2", "1", "22"), ("3", "1", "22"), ("4", "", "20"), ("5", "4", "22")]
    assert [s[-1] for s in with_id(found, "NM1", "85")] == [group_a.npi, group_b.npi]
    assert [s[-1] for s in with_id(found, "NM1", "IL")] == [dana.member_id, lee.member_id, lee.member_id]
    assert [s[1] for s in with_id(found, "CLM")] == ["PC0", "PC3", "PC2", "PC1", "PC4"]


def test_a_subscriber_with_more_than_100_claims_gets_a_second_subscriber_loop():
    subscriber, billing = SubscriberFactory.build(), BillingProviderFactory.build()
    claims = ProfessionalClaimFactory.build_batch(101, subscriber=subscriber, billing=billing)

    text = write(claims)

    assert_valid(text)  # pyx12 enforces the 2300 loop's 100 repeats
    assert [(s[2], s[3]) for s in with_id(segments(text), "HL")] == [("", "20"), ("1", "22"), ("1", "22")]


def test_twelve_diagnoses_four_modifiers_and_four_pointers():
    diagnoses = ("M5416", "M5126", "M47816", "M4726", "M5136", "M5417", "G8929", "M961", "M5459", "M4806",
                 "Z79891", "M25551")
    line = ServiceLineFactory.build(procedure_code="64493", modifiers=("50", "XS", "KX", "GY"),
                                    diagnosis_pointers=(1, 3, 7, 12))
    claim = ProfessionalClaimFactory.build(diagnoses=diagnoses, lines=(line,))

    text = write([claim])

    assert_valid(text)
    found = segments(text)
    assert with_id(found, "HI") == [["HI", "ABK:M5416", *(f"ABF:{code}" for code in diagnoses[1:])]]
    assert with_id(found, "SV1") == [["SV1", "HC:64493:50:XS:KX:GY", "1250", "UN", "1", "", "", "1:3:7:12"]]


def test_a_bilateral_line_carries_modifier_50_and_one_unit():
    line = ServiceLineFactory.build(procedure_code="64483", modifiers=("50",), charge=Decimal("2100.00"))
    claim = ProfessionalClaimFactory.build(lines=(line,))

    text = write([claim])

    assert_valid(text)
    assert with_id(segments(text), "SV1") == [["SV1", "HC:64483:50", "2100", "UN", "1", "", "", "1"]]
    assert with_id(segments(text), "CLM")[0][2] == "2100"


@pytest.mark.parametrize("frequency", [Frequency.CORRECTED, Frequency.VOID])
def test_corrected_and_void_claims_carry_the_payers_claim_number(frequency):
    claim = ProfessionalClaimFactory.build(frequency=frequency, payer_claim_number="26331000123",
                                           prior_authorization="AUTH5521")

    text = write([claim])

    assert_valid(text)
    found = segments(text)
    assert with_id(found, "CLM")[0][5] == f"11:B:{frequency}"
    assert with_id(found, "REF", "F8") == [["REF", "F8", "26331000123"]]
    refs = [s[1] for s in with_id(found, "REF")]
    assert refs.index("G1") < refs.index("F8")  # the guide's order in 2300


def test_an_original_claim_sends_no_payer_claim_number_even_if_one_is_known():
    claim = ProfessionalClaimFactory.build(payer_claim_number="26331000123")

    text = write([claim])

    assert_valid(text)
    assert with_id(segments(text), "REF", "F8") == []


def test_a_rendering_provider_other_than_the_billing_one_gets_2310b_with_taxonomy():
    surgeon, partner = RenderingProviderFactory.build(), RenderingProviderFactory.build(taxonomy="")
    lines = (ServiceLineFactory.build(number=1),
             ServiceLineFactory.build(number=2, rendering=partner, place_of_service="22"))
    claim = ProfessionalClaimFactory.build(rendering=surgeon, lines=lines,
                                           facility=BillingProviderFactory.build(tax_id=""))

    text = write([claim])

    assert_valid(text)
    found = segments(text)
    rendering = with_id(found, "NM1", "82")
    assert rendering[0] == ["NM1", "82", "1", surgeon.last_name_or_org, "Linh", "", "", "", "XX", surgeon.npi]
    assert rendering[1][-1] == partner.npi  # 2420A on the line the partner performed
    assert with_id(found, "PRV", "PE") == [["PRV", "PE", "PXC", "208VP0000X"]]  # the partner has no taxonomy
    assert with_id(found, "NM1", "77")[0][-2:] == ["XX", claim.facility.npi]
    assert [s[5] for s in with_id(found, "SV1")] == ["", "22"]  # SV105 only where it differs from CLM05-1


def test_a_rendering_provider_who_is_the_billing_provider_is_not_repeated():
    billing = BillingProviderFactory.build()
    claim = ProfessionalClaimFactory.build(billing=billing, rendering=replace(billing, address=None))

    text = write([claim])

    assert_valid(text)
    assert with_id(segments(text), "NM1", "82") == []


def test_the_same_claims_give_the_same_file():
    claims = [ProfessionalClaimFactory.build(line_count=n % 4 + 1) for n in range(6)]

    assert write(claims) == write(list(claims))


# --- what the guide forbids -----------------------------------------------------------------


def refused(claim, *, others=()) -> str:
    with pytest.raises(ValueError) as raised:
        write([*others, claim])
    return str(raised.value)


@pytest.mark.parametrize("change, field", [
    (lambda c: replace(c, billing=replace(c.billing, address=AddressFactory.build(line1="PO Box 4410"))),
     "billing.address"),
    (lambda c: replace(c, billing=replace(c.billing, address=AddressFactory.build(postal_code="78701"))),
     "billing.address.postal_code"),
    (lambda c: replace(c, billing=replace(c.billing, npi="1234567890")), "billing.npi"),
    (lambda c: replace(c, billing=replace(c.billing, npi="12345678")), "billing.npi"),
    (lambda c: replace(c, diagnoses=tuple(f"M54{n:02d}" for n in range(13))), "diagnoses"),
    (lambda c: replace(c, lines=(replace(c.lines[0], diagnosis_pointers=(3,)),)), "line 1 diagnosis_pointers"),
    (lambda c: replace(c, lines=(replace(c.lines[0], modifiers=("50", "RT", "59", "XS", "KX")),)),
     "line 1 modifiers"),
    (lambda c: replace(c, lines=(replace(c.lines[0], control_number=""),)), "line 1 control_number"),
    (lambda c: replace(c, frequency=Frequency.CORRECTED), "payer_claim_number"),
    (lambda c: replace(c, subscriber=replace(c.subscriber, birth_date=None)), "subscriber.birth_date"),
    (lambda c: replace(c, subscriber=replace(c.subscriber, last_name="Q" * 61)), "subscriber.last_name"),
    (lambda c: replace(c, facility=BillingProviderFactory.build(address=Address("1 Main St", "Austin", "TX",
                                                                                "78701"))),
     "facility.address.postal_code"),
])
def test_data_the_guide_forbids_is_refused_naming_the_claim_and_the_field(change, field):
    claim = change(ProfessionalClaimFactory.build(claim_id="PC4242"))

    message = refused(claim)

    assert message.startswith(f"claim PC4242: {field} ")
    for value in (claim.subscriber.member_id, claim.subscriber.last_name, claim.billing.npi):
        assert value not in message


def test_a_claim_id_or_line_control_number_used_twice_in_one_file_is_refused():
    first = ProfessionalClaimFactory.build(claim_id="PC1")

    assert "claim_id appears twice" in refused(ProfessionalClaimFactory.build(claim_id="PC1"), others=[first])
    reused = ServiceLineFactory.build(control_number=first.lines[0].control_number)
    twin = ProfessionalClaimFactory.build(lines=(reused,))
    assert "line 1 control_number is used by another line" in refused(twin, others=[first])


def test_an_envelope_for_another_functional_group_is_refused():
    with pytest.raises(ValueError, match="HC"):
        write([ProfessionalClaimFactory.build()], envelope=envelope(functional_id="HP"))


@pytest.mark.parametrize("claims, options", [([], {}), (None, {"claims_per_transaction": 0}),
                                             (None, {"claims_per_transaction": 5001})])
def test_an_empty_file_or_a_transaction_size_outside_the_guides_is_refused(claims, options):
    with pytest.raises(ValueError):
        write([ProfessionalClaimFactory.build()] if claims is None else claims, **options)
