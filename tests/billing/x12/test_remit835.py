"""The 835: every sample reads, its counts agree with pyx12's walk, and what write_835 writes
validates with pyx12 and reads back the same."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from billing.x12.messages import Adjustment, ClaimPayment, ProviderAdjustment, RemittanceAdvice, ServicePayment
from billing.x12.reader import X12BalanceError
from billing.x12.remit835 import read_835, write_835
from tests.billing.x12 import pyx12_check
from tests.billing.x12.conftest import envelope, fixture_text
from tests.factories import ClaimPaymentFactory, RemittanceAdviceFactory, ServicePaymentFactory

SAMPLES = ["cob-contractural-adjustment.835", "managed-care.835", "medicare-part-a.835", "secondary-payment.835",
           "tertiary-payment.835"]
NO_PER = 'Mandatory segment "Payer Technical Contact Information" (PER) missing'
NO_BPR16 = 'Mandatory data element "Check Issue or EFT Effective Date" (BPR16) is missing'
# pyx12, having lost the SVC, cannot place the segments of its loop either.
LOST_AFTER_SVC = "not found.  Started at /ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000/2100/DTM[232]"
# What pyx12 finds wrong with each sample (the samples' own faults, listed in tests/fixtures/README.md).
SAMPLE_FAULTS = {
    "cob-contractural-adjustment.835": {NO_PER, NO_BPR16, "Segment SVC*HC>55669 not found", LOST_AFTER_SVC},
    "managed-care.835": {NO_PER, "(BPR16) contains an invalid date (20002316)"},
    "medicare-part-a.835": {NO_PER, '"Monetary Amount" (TS309) is marked as Not Used',
                            '"Monetary Amount" (TS311) is marked as Not Used'},
    "secondary-payment.835": {NO_PER, NO_BPR16, "Segment SVC*HC>12345>26 not found",
                              "Segment SVC*HC>66543>26 not found", LOST_AFTER_SVC},
    "tertiary-payment.835": {NO_PER, NO_BPR16, '"Adjudicated Procedure Code" (SVC01-02) is missing',
                             "(SVC06-01) is too short", "(1) is not a valid code for Product or Service ID Qualifier",
                             '"Procedure Code" (SVC06-02) is missing'},
}


def test_a_managed_care_payment_reads_field_by_field():
    (advice,) = read_835(fixture_text("835/managed-care.835"))

    assert (advice.set_control_number, advice.payer_name, advice.payer_id) == ("112233", "RUSHMORE LIFE", "1935665544")
    assert (advice.payee_name, advice.payee_npi) == ("ACME MEDICAL CENTER", "5544667733")
    assert (advice.trace_number, advice.payment_method, advice.total_paid) == ("7170066655", "ACH", Decimal("945.00"))
    assert advice.payment_date is None  # BPR16 20002316 is no date
    first, second = advice.claims
    assert (first.claim_id, first.status_code, first.charge, first.paid, first.patient_responsibility) == \
        ("5554555444", "1", Decimal("800.00"), Decimal("450.00"), Decimal("300.00"))
    assert (first.filing_indicator, first.payer_claim_number) == ("12", "94060555410000")
    assert first.adjustments == (Adjustment("CO", "A2", Decimal("50.00")),)
    assert first.patient_name == "BUDD, WILLIAM"
    (line,) = first.services
    assert (line.procedure_code, line.charge, line.paid, line.service_date) == \
        ("99211", Decimal("800.00"), Decimal("500.00"), date(2002, 3, 1))
    assert line.adjustments == (Adjustment("PR", "1", Decimal("300.00")),)
    assert second.services[0].adjustments == (Adjustment("PR", "1", Decimal("600.00")),
                                              Adjustment("CO", "45", Decimal("50.00")))


def test_medicare_part_a_carries_a_provider_adjustment_that_increases_the_payment():
    (advice,) = read_835(fixture_text("835/medicare-part-a.835"))

    assert advice.payer_id == "999"  # REF*2U before TRN03
    assert advice.provider_adjustments == (
        ProviderAdjustment("6543210903", date(2002, 12, 31), "CV", "CP", Decimal("-1.27")),)
    assert advice.total_paid == sum(c.paid for c in advice.claims) + Decimal("1.27") == Decimal("150000.00")
    assert [c.filing_indicator for c in advice.claims] == ["MA", "MB"]
    assert advice.claims[1].remarks == ("MA02",)


def test_a_secondary_payment_reads_its_lines_despite_the_old_sub_element_separator():
    (advice,) = read_835(fixture_text("835/secondary-payment.835"))

    lines = advice.claims[1].services
    assert [(s.procedure_code, s.modifiers, s.units) for s in lines] == \
        [("12345", ("26",), Decimal("1.00")), ("66543", ("26",), Decimal("1.00"))]
    assert lines[1].adjustments == (Adjustment("PR", "1", Decimal("150.00")), Adjustment("PR", "2", Decimal("70.00")),
                                    Adjustment("CO", "42", Decimal("85.00")))


def test_a_line_without_its_procedure_code_reads_with_an_empty_one():
    (advice,) = read_835(fixture_text("835/tertiary-payment.835"))

    (line,) = advice.claims[0].services
    assert (line.procedure_code, line.charge, line.paid) == ("", Decimal("24599.00"), Decimal("1766.50"))


@pytest.mark.parametrize("sample", SAMPLES)
def test_each_sample_reads_and_pyx12_finds_only_its_known_faults(sample):
    text = fixture_text(f"835/{sample}")

    (advice,) = read_835(text)
    errors = {description for _, description in pyx12_check.validation_errors(text)}

    assert advice.claims
    assert all(any(fault in error for fault in SAMPLE_FAULTS[sample]) for error in errors), errors
    assert all(any(fault in error for error in errors) for fault in SAMPLE_FAULTS[sample])


CAS_TRIPLETS = ("CAS02", "CAS05", "CAS08", "CAS11", "CAS14", "CAS17")


@pytest.mark.parametrize("sample", SAMPLES)
def test_claims_lines_and_adjustments_agree_with_pyx12s_walk(sample):
    # pyx12 cannot place an SVC whose SVC01 uses ">" under ISA16 ":"; walked with the separator
    # the payer meant, it finds the lines this reader finds.
    text = fixture_text(f"835/{sample}")
    walk = pyx12_check.walk(text.replace(">", ":"), {"CAS": CAS_TRIPLETS, "PLB": ("PLB03", "PLB05")})
    (advice,) = read_835(text)

    def triplets(loop: str) -> int:
        return sum(1 for where, values in walk.values if where == f"{loop}/CAS" for v in values.values() if v)

    assert len(advice.claims) == walk.count("2100/CLP")
    assert sum(len(c.services) for c in advice.claims) == walk.count("2110/SVC")
    assert sum(len(c.adjustments) for c in advice.claims) == triplets("2100")
    assert sum(len(s.adjustments) for c in advice.claims for s in c.services) == triplets("2110")
    assert len(advice.provider_adjustments) == sum(
        1 for where, values in walk.values if where.endswith("PLB") for v in values.values() if v)


def test_a_payment_that_does_not_balance_is_refused_whole():
    claims = (ClaimPaymentFactory(), ClaimPaymentFactory())
    unbalanced = RemittanceAdviceFactory(claims=claims, total_paid=claims[0].paid)

    with pytest.raises(X12BalanceError, match="BPR02") as error:
        read_835(write_835([unbalanced], envelope("HP")))
    assert error.value.segment_id == "BPR"


def test_a_provider_adjustment_taken_back_reduces_the_payment():
    taken_back = ProviderAdjustment("1234567893", date(2026, 12, 31), "WO", "OVERPAY1", Decimal("100.00"))
    advice = RemittanceAdviceFactory(provider_adjustments=(taken_back,))

    (read,) = read_835(write_835([advice], envelope("HP")))

    assert read.total_paid == Decimal("500.00")
    assert read.provider_adjustments == (taken_back,)


def test_a_written_remittance_validates_and_reads_back():
    line = ServicePaymentFactory(remarks=("N130",), paid=Decimal("600.00"),
                                 adjustments=(Adjustment("CO", "45", Decimal("300.00")),
                                              Adjustment("PR", "2", Decimal("100.00"), Decimal("1"))))
    advice = RemittanceAdviceFactory(claims=(ClaimPaymentFactory(services=(line,), remarks=("MA01",)),
                                             ClaimPaymentFactory(status_code="4", paid=Decimal("0"), services=())))
    text = write_835([advice, RemittanceAdviceFactory(payment_method="CHK")], envelope("HP"))

    assert pyx12_check.validation_errors(text) == []
    read = read_835(text)
    assert [r.set_control_number for r in read] == ["0001", "0002"]
    assert replace(read[0], interchange=advice.interchange) == advice


# --- round trip --------------------------------------------------------------------------------

codes = st.from_regex(r"[A-Z0-9]{1,8}", fullmatch=True)
names = st.from_regex(r"[A-Z][A-Z0-9 ]{0,12}[A-Z0-9]", fullmatch=True)
money = st.decimals(min_value=0, max_value=Decimal("99999.99"), places=2)
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


@st.composite
def adjustments(draw, most: int = 4):
    found = draw(st.lists(st.builds(
        Adjustment, group=st.sampled_from(["CO", "PR", "OA", "PI"]),
        reason=st.sampled_from(["45", "1", "2", "3", "197", "253", "23", "A1"]), amount=money,
        quantity=st.none() | st.decimals(min_value=1, max_value=99, places=0)), max_size=most))
    # write_835 writes one CAS a group, in the order the groups first appear.
    order = list(dict.fromkeys(a.group for a in found))
    return tuple(sorted(found, key=lambda a: order.index(a.group)))


services = st.builds(
    ServicePayment, procedure_code=st.from_regex(r"[0-9]{5}", fullmatch=True),
    modifiers=st.lists(st.sampled_from(["RT", "LT", "50", "59", "26", "TC"]), max_size=4).map(tuple),
    charge=money, paid=money, units=st.none() | st.decimals(min_value=1, max_value=99, places=0),
    line_control_number=st.just("") | codes, service_date=st.none() | days, adjustments=adjustments(),
    remarks=st.lists(st.sampled_from(["N130", "M15", "N381", "MA130"]), max_size=2).map(tuple))
claim_payments = st.builds(
    ClaimPayment, claim_id=codes, status_code=st.sampled_from(["1", "2", "3", "4", "19", "22"]), charge=money,
    paid=money, patient_responsibility=st.none() | money, filing_indicator=st.sampled_from(["12", "MB", "MC", "HM"]),
    payer_claim_number=codes, adjustments=adjustments(), services=st.lists(services, max_size=3).map(tuple),
    remarks=st.lists(st.sampled_from(["MA01", "MA02", "N4"]), max_size=3).map(tuple),
    patient_name=st.from_regex(r"[A-Z]{1,10}(, [A-Z]{1,10})?", fullmatch=True))
provider_adjustments = st.builds(
    ProviderAdjustment, provider_id=st.from_regex(r"[0-9]{10}", fullmatch=True), fiscal_period_end=days,
    reason=st.sampled_from(["WO", "L6", "FB", "72", "CS"]), reference=codes,
    amount=st.decimals(min_value=Decimal("-9999.99"), max_value=Decimal("9999.99"), places=2))


@st.composite
def remittances(draw, one_plb: bool = False):
    claims = tuple(draw(st.lists(claim_payments, min_size=1, max_size=4)))
    plb = tuple(draw(st.lists(provider_adjustments, max_size=6 if one_plb else 8)))
    if one_plb:
        # pyx12 4.0 counts each PLB segment as another FOOTER loop ("exceeded max count") though
        # the TR3 lets PLB repeat; its check sees one PLB: one provider, six adjustments at most.
        plb = tuple(replace(p, provider_id="1234567893", fiscal_period_end=date(2026, 12, 31)) for p in plb)
    # write_835 writes one PLB a provider and fiscal period, in the order they first appear.
    order = list(dict.fromkeys((p.provider_id, p.fiscal_period_end) for p in plb))
    plb = tuple(sorted(plb, key=lambda p: order.index((p.provider_id, p.fiscal_period_end))))
    return RemittanceAdviceFactory(
        payer_name=draw(names), payer_id=draw(codes), payee_name=draw(names),
        payee_npi=draw(st.from_regex(r"[0-9]{10}", fullmatch=True)), trace_number=draw(codes),
        payment_method=draw(st.sampled_from(["ACH", "CHK"])), payment_date=draw(days), claims=claims,
        provider_adjustments=plb)


@settings(max_examples=40, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(remittances(), min_size=1, max_size=2))
def test_any_remittance_written_reads_back_the_same(advices):
    read = read_835(write_835(advices, envelope("HP")))

    assert [replace(r, interchange=a.interchange, set_control_number=a.set_control_number)
            for r, a in zip(read, advices)] == advices


@settings(max_examples=10, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.generate])  # no shrinking: each example is a pyx12 validation
@given(remittances(one_plb=True))
def test_any_remittance_written_validates_with_pyx12(advice):
    assert pyx12_check.validation_errors(write_835([advice], envelope("HP"))) == []
