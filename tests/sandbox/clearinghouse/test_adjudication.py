"""Paying and denying claims under the rules: CO-197 without an authorization, CO-97, CO-50, CO-45
and PR-1/2/3 that add up, and remittances that balance."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.x12.messages import Interchange
from sandbox.clearinghouse.adjudication import Payee, adjudicate, remittance
from sandbox.clearinghouse.received import read_claims
from sandbox.clearinghouse.rules import DEMO_RULES, Rule, RuleError, default_rule, rule_from_dict
from tests.sandbox.clearinghouse.conftest import ProfessionalClaimFactory, lines, professional_claim_file

DEFAULT = default_rule(Decimal("80"))
EPIDURAL = Rule(name="epidural", code="64483", requires_authorization=True, fee=Decimal("410.00"),
                coinsurance_percent=Decimal("20"))


def claim_of(*specs, authorization="AUTH12345"):
    made = ProfessionalClaimFactory(lines=lines(*specs), prior_authorization=authorization)
    [claim] = read_claims(professional_claim_file([made]))
    return claim


def amounts(service):
    return {f"{a.group}-{a.reason}": a.amount for a in service.adjustments}


def balanced(payment) -> bool:
    lines_balance = all(s.charge == s.paid + sum(a.amount for a in s.adjustments) for s in payment.services)
    pr = sum(a.amount for s in payment.services for a in s.adjustments if a.group == "PR")
    return (lines_balance and payment.charge == sum(s.charge for s in payment.services)
            and payment.paid == sum(s.paid for s in payment.services) and payment.patient_responsibility == pr)


def test_a_code_that_needs_authorization_is_denied_co_197_without_ref_g1():
    payment = adjudicate(claim_of(("64483", "900.00"), authorization=""), [EPIDURAL], default=DEFAULT,
                         payer_claim_number="SBX1")

    [service] = payment.services
    assert (payment.status_code, payment.paid, payment.denied) == ("4", Decimal("0.00"), True)
    assert amounts(service) == {"CO-197": Decimal("900.00")}
    assert service.remarks == ("M62",)
    assert service.line_control_number  # the line keeps its REF*6R


def test_with_ref_g1_it_is_paid_at_the_fee_with_co_45_and_coinsurance():
    payment = adjudicate(claim_of(("64483", "900.00")), [EPIDURAL], default=DEFAULT, payer_claim_number="SBX1")

    [service] = payment.services
    # allowed 410.00: CO-45 490.00; PR-2 20% of 410.00 = 82.00; paid 328.00
    assert amounts(service) == {"CO-45": Decimal("490.00"), "PR-2": Decimal("82.00")}
    assert (service.paid, payment.paid, payment.patient_responsibility) == (
        Decimal("328.00"), Decimal("328.00"), Decimal("82.00"))
    assert payment.status_code == "1" and balanced(payment)


def test_copay_deductible_and_coinsurance_come_off_the_allowed_amount_in_that_order():
    rule = Rule(name="visit", code="99214", allowed_percent=Decimal("60"), copay=Decimal("30.00"),
                deductible=Decimal("50.00"), coinsurance_percent=Decimal("10"))

    payment = adjudicate(claim_of(("99214", "200.00")), [rule], default=DEFAULT, payer_claim_number="SBX1")

    [service] = payment.services
    # allowed 120.00 -> CO-45 80.00; PR-3 30.00, PR-1 50.00, PR-2 10% of 40.00 = 4.00; paid 36.00
    assert amounts(service) == {"CO-45": Decimal("80.00"), "PR-3": Decimal("30.00"), "PR-1": Decimal("50.00"),
                                "PR-2": Decimal("4.00")}
    assert service.paid == Decimal("36.00") and balanced(payment)


def test_a_deductible_larger_than_the_allowed_amount_leaves_nothing_paid_but_is_no_denial():
    rule = Rule(name="deductible", allowed_percent=Decimal("50"), deductible=Decimal("500.00"))

    payment = adjudicate(claim_of(("62323", "300.00")), [rule], default=DEFAULT, payer_claim_number="SBX1")

    assert amounts(payment.services[0]) == {"CO-45": Decimal("150.00"), "PR-1": Decimal("150.00")}
    assert (payment.paid, payment.status_code) == (Decimal("0.00"), "1")


def test_fluoroscopy_billed_with_the_injection_is_bundled_co_97():
    rules = [EPIDURAL, Rule(name="fluoro", code="77003", bundled_into=("64483",))]

    payment = adjudicate(claim_of(("64483", "900.00"), ("77003", "150.00")), rules, default=DEFAULT,
                         payer_claim_number="SBX1")

    injection, fluoroscopy = payment.services
    assert amounts(fluoroscopy) == {"CO-97": Decimal("150.00")} and fluoroscopy.remarks == ("M15",)
    assert injection.paid > 0 and payment.status_code == "1" and balanced(payment)


def test_a_deny_rule_denies_co_50_with_its_remarks():
    rule = Rule(name="rfa", code="64635", action="deny", reason_code="50", remark_codes=("N115",))

    payment = adjudicate(claim_of(("64635", "1200.00")), [rule], default=DEFAULT, payer_claim_number="SBX1")

    assert amounts(payment.services[0]) == {"CO-50": Decimal("1200.00")}
    assert payment.services[0].remarks == ("N115",) and payment.denied


def test_a_line_no_rule_matches_is_allowed_at_the_default_percent():
    payment = adjudicate(claim_of(("99999", "100.00")), [EPIDURAL], default=DEFAULT, payer_claim_number="SBX1")

    assert amounts(payment.services[0]) == {"CO-45": Decimal("20.00")} and payment.paid == Decimal("80.00")


def test_a_remittance_pays_the_sum_of_its_claims():
    claims = [adjudicate(claim_of(("64483", "900.00"), authorization=auth), [EPIDURAL], default=DEFAULT,
                         payer_claim_number=f"SBX{n}") for n, auth in enumerate(["A1", "", "A2"])]
    interchange = Interchange("SBX", "PRACOPS", "000000001", "1", "HP", "005010X221A1", "2612010930", "T")

    advice = remittance(interchange=interchange, set_control_number="0001", payer_name="ACME HEALTH", payer_id="ACME1",
                        payee=Payee("SUSQUEHANNA PAIN CENTER", "1234500001"), trace_number="T1",
                        payment_date=date(2026, 12, 5), claims=claims)

    assert advice.total_paid == sum(c.paid for c in claims) == Decimal("656.00")
    assert advice.payment_method == "ACH"
    assert [c.status_code for c in advice.claims] == ["1", "4", "1"]


money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
percent = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2)


@settings(max_examples=150, deadline=None)
@given(charges=st.lists(money, min_size=1, max_size=4), allowed=percent, fee=st.none() | money, copay=money,
       deductible=money, coinsurance=percent, authorized=st.booleans())
def test_every_paid_claim_balances(charges, allowed, fee, copay, deductible, coinsurance, authorized):
    rule = Rule(name="any", allowed_percent=allowed, fee=fee, copay=copay, deductible=deductible,
                coinsurance_percent=coinsurance, requires_authorization=True)
    [claim] = read_claims(professional_claim_file([ProfessionalClaimFactory(
        lines=lines(*[("64483", str(c)) for c in charges]), prior_authorization="A1" if authorized else "")]))

    payment = adjudicate(claim, [rule], default=DEFAULT, payer_claim_number="SBX1")

    assert balanced(payment)
    assert all(s.paid >= 0 and all(a.amount > 0 for a in s.adjustments) for s in payment.services)
    assert payment.denied == (not authorized)


def test_the_demo_rules_are_valid():
    assert len([rule_from_dict(entry) for entry in DEMO_RULES]) == len(DEMO_RULES)


@pytest.mark.parametrize("entry, words", [
    ({"name": "x", "action": "maybe"}, "action"),
    ({"name": "x", "action": "deny"}, "reason_code"),
    ({"name": "x", "action": "reject", "status_code": "A7"}, "status_code"),
    ({"name": "x", "allowed_percent": "140"}, "allowed_percent"),
    ({"name": "x", "fee": "-1"}, "fee"),
    ({"name": "x", "fee": "lots"}, "fee"),
    ({"name": "x", "colour": "red"}, "colour"),
    ({"action": "pay"}, "name"),
])
def test_a_rule_that_cannot_be_applied_names_its_field(entry, words):
    with pytest.raises(RuleError, match=words):
        rule_from_dict(entry)
