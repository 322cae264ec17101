"""Claims made from encounters: lines and modifiers, pricing by payer and date, diagnoses and
pointers, the prior authorization number (REF*G1), idempotency, corrections and voids."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from billing import services
from billing.lifecycle import TransitionNotAllowed
from billing.models import Claim, ClaimLine, PayerBillingSettings
from billing.services import BillingError, MissingPrice
from pracops.audit.models import AuditEvent
from priorauth import selectors as priorauth_selectors
from priorauth.models import PriorAuthorization
from tests.billing.factories import approval, practice, price_list, procedures_of, visit

pytestmark = pytest.mark.django_db

S = Claim.Status


def _claim(encounter) -> Claim:
    [claim] = services.create_claims_for_encounter(encounter=encounter, agent="system:test")
    return claim


def _lines(claim: Claim) -> list[tuple]:
    return [(line.procedure_code, line.modifiers, line.units, line.charge)
            for line in claim.lines.order_by("number")]


# --- Charges from an encounter ----------------------------------------------------------


def test_a_demo_like_visit_becomes_a_priced_draft_claim_with_a_line_per_procedure():
    case = practice()
    price_list(None, {"64483": "950.00", "64484": "400.00"})
    encounter = visit(case, procedures=(("64483", "left"), ("64484", "left")), diagnoses=("M54.16", "M51.26"))

    claim = _claim(encounter)

    assert claim.status == S.DRAFT and claim.frequency == Claim.Frequency.ORIGINAL
    assert (claim.patient_id, claim.coverage_id, claim.payer_id) == (case.patient.pk, case.coverage.pk, case.payer.pk)
    assert claim.billing_provider_id == case.organization.pk and claim.rendering_provider_id == case.doctor.pk
    assert claim.place_of_service == "11" and claim.service_date == date(2026, 11, 20)
    assert claim.diagnoses == ["M5416", "M5126"]
    assert _lines(claim) == [("64483", ["LT"], Decimal("1"), Decimal("950.00")),
                             ("64484", ["LT"], Decimal("1"), Decimal("400.00"))]
    assert claim.total_charge == Decimal("1350.00")
    assert [p.pk for p in procedures_of(encounter)] == [line.procedure_id for line in claim.lines.order_by("number")]
    assert len(claim.patient_control_number) == 12
    assert [line.control_number for line in claim.lines.order_by("number")] == [
        f"{claim.patient_control_number}L1", f"{claim.patient_control_number}L2"]
    [created] = claim.history.all()
    assert (created.from_status, created.to_status, created.source, created.agent) == ("", S.DRAFT, "task", "system:test")
    assert AuditEvent.objects.filter(resource_type="BillingClaim", resource_id=str(claim.public_id),
                                     patient_id=case.patient.fhir_id, action="C").exists()


def test_units_come_from_the_procedure_and_multiply_the_price():
    case = practice()
    price_list(None, {"J1030": "12.50"})
    claim = _claim(visit(case, procedures=(("J1030", ""),), quantity=4))
    assert _lines(claim) == [("J1030", [], Decimal("4"), Decimal("50.00"))]


def test_the_payers_schedule_prices_first_and_the_default_fills_what_it_lacks():
    case = practice()
    price_list(None, {"64483": "950.00", "64484": "400.00"})
    price_list(case.payer, {"64483": "720.00"})
    other_payer_schedule = price_list(None, {"64484": "1.00"}, effective_from=date(2020, 1, 1),
                                      effective_until=date(2020, 12, 31))
    claim = _claim(visit(case, procedures=(("64483", "left"), ("64484", "left"))))
    assert [line.charge for line in claim.lines.order_by("number")] == [Decimal("720.00"), Decimal("400.00")]
    assert other_payer_schedule.entries.count() == 1


def test_the_schedule_in_effect_on_the_date_of_service_prices():
    case = practice()
    price_list(case.payer, {"64483": "700.00"}, effective_from=date(2026, 1, 1), effective_until=date(2026, 6, 30))
    price_list(case.payer, {"64483": "735.00"}, effective_from=date(2026, 7, 1))
    spring = _claim(visit(case, on="2026-03-10"))
    autumn = _claim(visit(case, on="2026-11-20"))
    assert spring.total_charge == Decimal("700.00") and autumn.total_charge == Decimal("735.00")


def test_a_code_no_schedule_prices_is_refused_naming_the_code_and_nothing_is_stored():
    case = practice()
    price_list(None, {"64483": "950.00"})
    price_list(case.payer, {"64483": "720.00"})
    encounter = visit(case, procedures=(("64483", "left"), ("64635", "right")))
    with pytest.raises(MissingPrice, match="64635") as refused:
        services.create_claims_for_encounter(encounter=encounter)
    assert case.patient.family not in str(refused.value)
    assert not Claim.objects.exists() and not ClaimLine.objects.exists()


def test_a_schedule_that_ended_before_the_date_of_service_does_not_price():
    case = practice()
    price_list(None, {"64483": "950.00"}, effective_until=date(2026, 10, 31))
    with pytest.raises(MissingPrice, match="64483"):
        services.create_claims_for_encounter(encounter=visit(case, on="2026-11-20"))


# --- Laterality and payer convention ---------------------------------------------------


def test_left_and_right_procedures_get_lt_and_rt():
    case = practice()
    price_list(None, {"64483": "950.00", "64493": "600.00"})
    claim = _claim(visit(case, procedures=(("64483", "left"), ("64493", "right"), ("64483", ""))))
    assert [line.modifiers for line in claim.lines.order_by("number")] == [["LT"], ["RT"], []]


def test_a_bilateral_procedure_is_one_line_with_50_charged_for_both_sides():
    case = practice(bilateral=PayerBillingSettings.Bilateral.MODIFIER_50, filing_code="MB")
    price_list(None, {"64493": "600.00"})
    claim = _claim(visit(case, procedures=(("64493", "bilateral"),), diagnoses=("M47.816",)))
    assert _lines(claim) == [("64493", ["50"], Decimal("1"), Decimal("1200.00"))]


def test_a_bilateral_price_of_its_own_wins_over_twice_the_plain_one():
    case = practice()
    price_list(None, {"64493": "600.00", "64493-50": "1000.00"})
    claim = _claim(visit(case, procedures=(("64493", "bilateral"),)))
    assert _lines(claim) == [("64493", ["50"], Decimal("1"), Decimal("1000.00"))]


def test_a_payer_that_wants_rt_and_lt_gets_two_lines_for_a_bilateral_procedure():
    case = practice(bilateral=PayerBillingSettings.Bilateral.RT_LT)
    price_list(None, {"64493": "600.00"})
    claim = _claim(visit(case, procedures=(("64493", "bilateral"),)))
    assert _lines(claim) == [("64493", ["RT"], Decimal("1"), Decimal("600.00")),
                             ("64493", ["LT"], Decimal("1"), Decimal("600.00"))]
    assert len({line.procedure_id for line in claim.lines.all()}) == 1


# --- Diagnoses and pointers -------------------------------------------------------------


def test_at_most_twelve_diagnoses_are_billed_and_lines_point_at_their_own():
    case = practice()
    price_list(None, {"64483": "950.00"})
    conditions = tuple(f"M{54 + i // 10}.{i % 10}" for i in range(14))  # M54.0 ... M55.3
    encounter = visit(case, diagnoses=conditions, order_reasons=("M51.16", "M54.16"))
    claim = _claim(encounter)
    assert len(claim.diagnoses) == 12
    # The order's reasons are the procedure's indication: principal first, then the conditions.
    assert claim.diagnoses[:3] == ["M5116", "M5416", "M540"]
    assert "M553" not in claim.diagnoses
    assert claim.lines.get().diagnosis_pointers == [1, 2]


def test_a_line_without_reasons_of_its_own_points_at_the_principal_diagnosis():
    case = practice()
    price_list(None, {"64483": "950.00"})
    claim = _claim(visit(case, diagnoses=("M54.16", "M51.26")))
    assert claim.lines.get().diagnosis_pointers == [1]


def test_an_encounter_without_a_diagnosis_is_refused():
    case = practice()
    price_list(None, {"64483": "950.00"})
    with pytest.raises(BillingError, match="diagnosis"):
        services.create_claims_for_encounter(encounter=visit(case, diagnoses=()))


def test_an_encounter_without_completed_procedures_is_refused():
    case = practice()
    encounter = visit(case, procedures=())
    with pytest.raises(BillingError, match="no completed procedure"):
        services.create_claims_for_encounter(encounter=encounter)


# --- The prior authorization number (REF*G1) --------------------------------------------


def test_the_approval_covering_patient_code_and_date_is_linked_and_its_number_copied():
    case = practice()
    price_list(None, {"64483": "950.00"})
    approved = approval(case, number="AUTH-77001")
    claim = _claim(visit(case))
    assert claim.prior_authorization_id == approved.pk and claim.prior_authorization_number == "AUTH-77001"


def test_a_partial_approval_covers_its_codes_too():
    case = practice()
    price_list(None, {"64483": "950.00"})
    approval(case, number="AUTH-P1", status=PriorAuthorization.Status.PARTIALLY_APPROVED)
    assert _claim(visit(case)).prior_authorization_number == "AUTH-P1"


@pytest.mark.parametrize("terms", [
    {"valid_until": date(2026, 11, 19)},  # ended the day before the service
    {"valid_from": date(2026, 11, 21)},  # starts the day after
    {"cpt": "64493"},  # approves another code
    {"status": PriorAuthorization.Status.EXPIRED},
    {"status": PriorAuthorization.Status.DENIED},
], ids=["expired-period", "not-yet-valid", "other-code", "status-expired", "denied"])
def test_an_approval_that_does_not_cover_the_service_is_not_linked(terms):
    case = practice()
    price_list(None, {"64483": "950.00"})
    approval(case, **terms)
    claim = _claim(visit(case))
    assert claim.prior_authorization is None and claim.prior_authorization_number == ""


def test_the_units_of_earlier_procedures_exhaust_an_approval_and_billing_does_not_count_again():
    case = practice()
    price_list(None, {"64483": "950.00"})
    approved = approval(case, units=2)
    first, second, third = (visit(case, on=day) for day in ("2026-11-03", "2026-11-10", "2026-11-20"))

    # Billed out of order, and the second billed twice (a correction would ask again): each
    # procedure's answer depends only on the procedures performed before it.
    assert _claim(second).prior_authorization_number == "AUTH-77001"
    assert _claim(third).prior_authorization_number == ""
    assert _claim(first).prior_authorization_number == "AUTH-77001"
    assert priorauth_selectors.units_used(approved) == 3  # performed procedures, claims not counted
    [second_procedure] = procedures_of(second)
    assert priorauth_selectors.approved_authorization_for(
        case.patient.pk, "64483", date(2026, 11, 10), procedure_pk=second_procedure.pk) == approved


def test_without_a_procedure_one_more_unit_must_fit_beside_those_used():
    case = practice()
    price_list(None, {"64483": "950.00"})
    approved = approval(case, units=1)
    assert priorauth_selectors.approved_authorization_for(case.patient.pk, "64483", date(2026, 11, 5)) == approved
    visit(case, on="2026-11-03")
    assert priorauth_selectors.approved_authorization_for(case.patient.pk, "64483", date(2026, 11, 5)) is None


# --- Idempotency -----------------------------------------------------------------------


def test_a_second_call_returns_the_claim_already_made():
    case = practice()
    price_list(None, {"64483": "950.00"})
    encounter = visit(case)
    first = services.create_claims_for_encounter(encounter=encounter)
    again = services.create_claims_for_encounter(encounter=encounter)
    assert [c.pk for c in again] == [c.pk for c in first]
    assert Claim.objects.count() == 1 and ClaimLine.objects.count() == 1


def test_the_database_refuses_a_second_original_claim_for_an_encounter_and_coverage():
    case = practice()
    price_list(None, {"64483": "950.00"})
    claim = _claim(visit(case))
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(encounter_id=claim.encounter_id, patient_id=claim.patient_id,
                             coverage_id=claim.coverage_id, payer_id=claim.payer_id, place_of_service="11",
                             billing_provider_id=claim.billing_provider_id, service_date=claim.service_date)


def test_a_race_lost_at_the_constraint_returns_the_winners_claim(monkeypatch):
    """Both callers saw no claim; the loser's insert fails on the constraint and it gets the winner's."""
    case = practice()
    price_list(None, {"64483": "950.00"})
    encounter = visit(case)
    winner = _claim(encounter)
    real = services.selectors.original_claims_for
    # The two looks before the insert answer "nothing yet", as they did to the loser of a race.
    calls = {"n": 0}

    def original_claims_for(pk):
        calls["n"] += 1
        return [] if calls["n"] <= 2 else real(pk)

    monkeypatch.setattr(services.selectors, "original_claims_for", original_claims_for)
    assert [c.pk for c in services.create_claims_for_encounter(encounter=encounter)] == [winner.pk]
    assert calls["n"] == 3 and Claim.objects.count() == 1


# --- Corrections and voids --------------------------------------------------------------


def _adjudicated(case, status=S.PAID) -> Claim:
    price_list(None, {"64483": "950.00"})
    claim = _claim(visit(case))
    for to in (S.SCRUBBED, S.SUBMITTED, S.ACCEPTED):
        services.move_claim(claim=claim, to=to, agent="system:test")
    services.move_claim(claim=claim, to=status, source="file", source_reference="835 file 7, CLP 1",
                        agent="system:remittance", payer_claim_number="ICN2026112000017")
    claim.refresh_from_db()
    return claim


def test_a_correction_is_a_frequency_7_draft_copy_naming_the_claim_and_the_claim_becomes_corrected():
    case = practice()
    claim = _adjudicated(case)
    correction = services.correct_claim(claim=claim, reason="wrong modifier", agent="system:test")
    claim.refresh_from_db()
    assert claim.status == S.CORRECTED
    assert (correction.status, correction.frequency, correction.replaces_id) == (S.DRAFT, "7", claim.pk)
    assert correction.patient_control_number != claim.patient_control_number
    assert _lines(correction) == _lines(claim)
    assert correction.prior_authorization_number == claim.prior_authorization_number
    assert not set(correction.lines.values_list("control_number", flat=True)) & set(
        claim.lines.values_list("control_number", flat=True))
    last = claim.history.last()
    assert (last.from_status, last.to_status) == (S.PAID, S.CORRECTED)
    assert correction.patient_control_number in last.reason


def test_a_void_is_a_frequency_8_copy_and_closes_the_claim():
    case = practice()
    claim = _adjudicated(case, status=S.DENIED)
    void = services.void_claim(claim=claim, reason="billed to the wrong payer", agent="system:test")
    claim.refresh_from_db()
    assert (void.frequency, void.replaces_id, void.status) == ("8", claim.pk, S.DRAFT)
    assert claim.status == S.CLOSED


def test_a_claim_the_payer_has_not_numbered_cannot_be_corrected():
    case = practice()
    price_list(None, {"64483": "950.00"})
    claim = _claim(visit(case))
    for to in (S.SCRUBBED, S.SUBMITTED, S.ACCEPTED):
        services.move_claim(claim=claim, to=to)
    with pytest.raises(BillingError, match="payer claim number"):
        services.correct_claim(claim=claim, reason="typo")
    claim.refresh_from_db()
    assert claim.status == S.ACCEPTED and Claim.objects.count() == 1


def test_a_draft_cannot_be_corrected_or_voided():
    case = practice()
    price_list(None, {"64483": "950.00"})
    claim = _claim(visit(case))
    with pytest.raises(TransitionNotAllowed):
        services.correct_claim(claim=claim, reason="typo")
    with pytest.raises(TransitionNotAllowed):
        services.void_claim(claim=claim, reason="typo")
    assert Claim.objects.count() == 1


def test_a_corrected_claim_is_not_the_encounters_original():
    case = practice()
    claim = _adjudicated(case)
    services.correct_claim(claim=claim, reason="wrong modifier")
    assert [c.pk for c in services.create_claims_for_encounter(encounter=claim.encounter)] == [claim.pk]


def test_without_a_billing_profile_no_claim_is_made():
    case = practice()
    price_list(None, {"64483": "950.00"})
    case.profile.delete()
    with pytest.raises(BillingError, match="no billing profile"):
        services.create_claims_for_encounter(encounter=visit(case))
    assert not Claim.objects.exists()
