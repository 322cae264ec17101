"""A stored claim read back as the plain ProfessionalClaim the 837P writer and the scrubber take,
in a pinned number of queries; the worklists."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from billing import selectors, services
from billing.claim_data import Address, Frequency, ProfessionalClaim, Provider, ServiceLine
from billing.models import Claim
from tests.billing.factories import PRACTICE_NPI, approval, practice, price_list, visit

pytestmark = pytest.mark.django_db

S = Claim.Status


@pytest.fixture
def case():
    found = practice(filing_code="MB")
    price_list(None, {"64483": "950.00", "64484": "400.00"})
    return found


def test_a_stored_claim_reads_back_as_the_professional_claim_it_bills(case):
    approval(case, number="AUTH-77001")
    encounter = visit(case, procedures=(("64483", "left"), ("64484", "left")), diagnoses=("M51.26",),
                      order_reasons=("M54.16",))
    [claim] = services.create_claims_for_encounter(encounter=encounter)

    data = selectors.professional_claim(claim)

    assert isinstance(data, ProfessionalClaim)
    assert data.claim_id == claim.patient_control_number
    assert data.billing == Provider(
        npi=PRACTICE_NPI, last_name_or_org="Riverside Interventional Pain", taxonomy="208VP0014X",
        tax_id="741234567", address=Address(line1="1200 Riverside Drive", line2="Suite 300", city="Phoenix",
                                            state="AZ", postal_code="850041234"))
    assert data.rendering == Provider(npi=case.doctor.npi, last_name_or_org=case.doctor.family,
                                      first_name=case.doctor.given, taxonomy="208VP0014X")
    subscriber = data.subscriber
    assert (subscriber.member_id, subscriber.last_name, subscriber.first_name, subscriber.birth_date) == (
        case.coverage.member_id, case.patient.family, case.patient.given, case.patient.birth_date)
    assert subscriber.sex == {"female": "F", "male": "M"}[case.patient.gender]
    assert subscriber.address == Address(line1="44 Saguaro Lane", city="Tempe", state="AZ", postal_code="85281")
    assert (subscriber.group_number, subscriber.plan_name, subscriber.claim_filing_code) == (
        "GRP-4410", "PPO-GOLD", "MB")
    assert (data.payer.name, data.payer.payer_id) == (case.payer.name, case.payer_settings.payer_id)
    assert data.diagnoses == ("M5416", "M5126")
    assert data.lines == (
        ServiceLine(number=1, procedure_code="64483", charge=Decimal("950.00"), units=Decimal("1.000"),
                    service_date=date(2026, 11, 20), diagnosis_pointers=(1,), modifiers=("LT",),
                    control_number=f"{claim.patient_control_number}L1"),
        ServiceLine(number=2, procedure_code="64484", charge=Decimal("400.00"), units=Decimal("1.000"),
                    service_date=date(2026, 11, 20), diagnosis_pointers=(1,), modifiers=("LT",),
                    control_number=f"{claim.patient_control_number}L2"),
    )
    assert data.total_charge == claim.total_charge == Decimal("1350.00")
    assert (data.place_of_service, data.frequency, data.payer_claim_number) == ("11", Frequency.ORIGINAL, "")
    assert data.prior_authorization == "AUTH-77001"
    assert data.first_service_date == date(2026, 11, 20)
    assert data.statement_date == claim.created_at.date()


def test_a_correction_carries_the_replaced_claims_payer_number(case):
    [claim] = services.create_claims_for_encounter(encounter=visit(case))
    for to in (S.SCRUBBED, S.SUBMITTED, S.ACCEPTED):
        services.move_claim(claim=claim, to=to)
    services.move_claim(claim=claim, to=S.PAID, source="file", payer_claim_number="ICN2026112000017")
    correction = services.correct_claim(claim=claim, reason="wrong units")
    data = selectors.professional_claim(correction.pk)
    assert (data.frequency, data.payer_claim_number) == (Frequency.CORRECTED, "ICN2026112000017")
    assert data.claim_id == correction.patient_control_number != claim.patient_control_number


@pytest.mark.parametrize("procedures", [1, 6])
def test_reading_a_claim_takes_two_queries_whatever_its_size(case, procedures, django_assert_num_queries):
    encounter = visit(case, procedures=(("64483", "left"),) * procedures)
    [claim] = services.create_claims_for_encounter(encounter=encounter)
    with django_assert_num_queries(2):
        data = selectors.professional_claim(claim)
    assert len(data.lines) == procedures


def test_the_worklists_and_filters(case):
    [first] = services.create_claims_for_encounter(encounter=visit(case, on="2026-11-03"))
    [second] = services.create_claims_for_encounter(encounter=visit(case, on="2026-11-20"))
    services.move_claim(claim=second, to=S.SCRUBBED)
    assert list(selectors.claims_to_scrub()) == [first]
    assert list(selectors.claims_to_submit()) == [second]
    assert list(selectors.claims(payer_pk=case.payer.pk)) == [second, first]
    assert list(selectors.claims(patient_pk=case.patient.pk, service_from=date(2026, 11, 10))) == [second]
    assert list(selectors.claims(status=S.DRAFT, service_until=date(2026, 11, 10))) == [first]
    assert list(selectors.claims(payer_pk=case.payer.pk + 1000)) == []
    for to in (S.SUBMITTED, S.ACCEPTED):
        services.move_claim(claim=second, to=to)
    assert list(selectors.claims_awaiting_payer()) == [second]
    services.move_claim(claim=second, to=S.DENIED)
    assert list(selectors.claims_to_work()) == [second]
