"""/api/ar-aging/ and /api/denials/: balances and denial reasons aggregated in SQL."""

from __future__ import annotations

import pytest

from tests.billing.api.conftest import S, claim_in, remit

pytestmark = pytest.mark.django_db


def test_open_balances_fall_in_buckets_by_days_since_service(case, billing):
    claim_in(case, S.SUBMITTED, on="2026-11-20")  # 11 days: 0-30, 950
    partly = claim_in(case, S.PARTIALLY_PAID, on="2026-10-01")  # 61 days: 61-90
    remit(partly, paid="500.00", adjustments=(("CO", "45", "300.00"), ("PR", "2", "150.00")))
    claim_in(case, S.DENIED, on="2026-07-01")  # 153 days: 120+
    claim_in(case, S.DRAFT, on="2026-07-01")  # not sent: not in A/R
    claim_in(case, S.CLOSED, on="2026-07-01")  # closed: not in A/R

    response = billing.get("/api/ar-aging/", {"as_of": "2026-12-01"})

    assert response.status_code == 200, response.content
    body = response.json()
    [row] = body["payers"]
    assert row["payer"] == case.payer.fhir_id and row["claims"] == 3
    # 950 - 500 paid - 300 contractual = 150 (the patient's coinsurance stays open)
    assert row["buckets"] == {"0-30": "950.00", "31-60": "0.00", "61-90": "150.00", "91-120": "0.00",
                              "120+": "950.00"}
    assert row["total"] == body["total"] == "2050.00"
    assert body["totals"]["61-90"] == "150.00" and "contractual" in body["definition"]


def test_bucket_edges_are_thirty_and_thirty_one_days(case, billing):
    claim_in(case, S.SUBMITTED, on="2026-11-01")  # 30 days before as_of

    buckets = billing.get("/api/ar-aging/", {"as_of": "2026-12-01"}).json()["payers"][0]["buckets"]
    assert buckets["0-30"] == "950.00"
    buckets = billing.get("/api/ar-aging/", {"as_of": "2026-12-02"}).json()["payers"][0]["buckets"]
    assert buckets["0-30"] == "0.00" and buckets["31-60"] == "950.00"


def test_aging_is_one_query_whatever_the_number_of_claims(case, billing, django_assert_max_num_queries):
    for day in ("2026-11-01", "2026-10-01", "2026-09-01", "2026-08-01"):
        claim_in(case, S.SUBMITTED, on=day)
    billing.get("/api/me/")

    with django_assert_max_num_queries(5):  # token, roles, the aggregate, the audit event
        assert billing.get("/api/ar-aging/", {"as_of": "2026-12-01"}).status_code == 200


@pytest.mark.parametrize("params", [{"as_of": "2026-13-01"}, {"payer": "no-such-payer"}])
def test_aging_bad_input_is_a_400_naming_it(case, billing, params):
    response = billing.get("/api/ar-aging/", params)

    assert response.status_code == 400 and next(iter(params)) in response.json()["error"]["detail"]


def test_denials_are_grouped_by_group_code_and_carc_with_descriptions(case, billing):
    for _ in range(2):
        remit(claim_in(case, S.DENIED), paid="0.00", adjustments=(("CO", "197", "950.00"),), status_code="4")
    partly = claim_in(case, S.PARTIALLY_PAID)
    remit(partly, paid="500.00", adjustments=(("CO", "45", "300.00"), ("CO", "97", "150.00")))
    paid = claim_in(case, S.PAID)
    remit(paid, paid="700.00", adjustments=(("CO", "45", "250.00"),))  # paid in full: not a denial

    response = billing.get("/api/denials/")

    assert response.status_code == 200, response.content
    rows = response.json()["reasons"]
    assert [(r["group"], r["carc"], r["claims"], r["amount"]) for r in rows] == [
        ("CO", "197", 2, "1900.00"), ("CO", "45", 1, "300.00"), ("CO", "97", 1, "150.00")]
    assert rows[0]["description"].startswith("Precertification/authorization")


def test_denials_filter_by_payment_date_and_payer(case, billing):
    from datetime import date

    remit(claim_in(case, S.DENIED), paid="0.00", adjustments=(("CO", "50", "950.00"),), status_code="4",
          paid_on=date(2026, 11, 15))

    assert billing.get("/api/denials/", {"paid_from": "2026-11-16"}).json()["reasons"] == []
    assert len(billing.get("/api/denials/", {"paid_to": "2026-11-15", "payer": case.payer.fhir_id})
               .json()["reasons"]) == 1
    response = billing.get("/api/denials/", {"paid_from": "2026-12-01", "paid_to": "2026-11-01"})
    assert response.status_code == 400 and "paid_to" in response.json()["error"]["detail"]
