"""/api/claims/: the billing team's list and a claim's detail, filters, roles, audit, scrub."""

from __future__ import annotations

import pytest

from billing.models import Claim, ClaimEdit
from pracops.audit.models import AuditEvent
from tests.billing.api.conftest import S, claim_in, remit

pytestmark = pytest.mark.django_db

LIST = "/api/claims/"


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_the_list_shows_claims_by_public_id_latest_service_first(case, billing):
    older = claim_in(case, S.SUBMITTED, on="2026-10-01")
    newer = claim_in(case, S.DENIED, on="2026-11-02")

    response = billing.get(LIST)

    assert ids(response) == [str(newer.public_id), str(older.public_id)]
    row = response.json()["results"][0]
    assert row["status"] == "denied"
    assert row["patient"] == f"Patient/{case.patient.fhir_id}"
    assert row["payer"] == {"id": case.payer.fhir_id, "name": case.payer.name}
    assert row["patient_control_number"] == newer.patient_control_number
    assert "pk" not in row and str(newer.pk) not in (row["id"], row["patient"])


def test_filters_select_by_status_patient_payer_dates_and_carc(case, billing):
    denied = claim_in(case, S.DENIED, on="2026-10-01")
    paid = claim_in(case, S.PAID, on="2026-11-02")
    draft = claim_in(case, S.DRAFT, on="2026-11-20")
    remit(denied, paid="0.00", adjustments=(("CO", "197", "950.00"),), status_code="4")
    remit(paid, paid="700.00", adjustments=(("CO", "45", "250.00"),))

    assert ids(billing.get(LIST, {"status": "denied"})) == [str(denied.public_id)]
    assert ids(billing.get(LIST, {"carc": "197"})) == [str(denied.public_id)]
    assert ids(billing.get(LIST, {"carc": "45"})) == [str(paid.public_id)]
    assert ids(billing.get(LIST, {"service_date_from": "2026-11-01", "service_date_to": "2026-11-30"})) == [
        str(draft.public_id), str(paid.public_id)]
    assert len(ids(billing.get(LIST, {"patient": case.patient.fhir_id, "payer": case.payer.fhir_id}))) == 3
    assert ids(billing.get(LIST, {"patient": "someone-else"})) == []


@pytest.mark.parametrize(("params", "name"), [
    ({"status": "lost"}, "status"),
    ({"service_date_from": "2026-02-30"}, "service_date_from"),
    ({"service_date_to": "yesterday"}, "service_date_to"),
    ({"service_date_from": "2026-12-01", "service_date_to": "2026-11-01"}, "service_date_to"),
    ({"carc": "CO-197; drop table"}, "carc"),
    ({"payer": "x\x00y"}, "payer"),
    ({"limit": "ten"}, "limit"),
])
def test_a_bad_filter_is_a_400_naming_the_parameter(case, billing, params, name):
    response = billing.get(LIST, params)

    assert response.status_code == 400
    body = response.json()["error"]
    assert body["status"] == 400 and name in body["detail"]


def test_the_list_makes_the_same_number_of_queries_whatever_the_page_size(case, billing,
                                                                          django_assert_num_queries):
    for day in ("2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04"):
        claim_in(case, S.SUBMITTED, on=day)
    billing.get(LIST)  # the token's first use is stamped; count what follows

    with django_assert_num_queries(6):
        assert len(ids(billing.get(LIST, {"limit": 1}))) == 1
    with django_assert_num_queries(6):
        assert len(ids(billing.get(LIST, {"limit": 4}))) == 4


def test_every_filter_and_a_claims_detail_make_a_fixed_number_of_queries(case, billing, django_assert_num_queries):
    # Pinned as the /api/claims/ bench (bench/billing_claims_api.py) times them: a filter that
    # started loading rows one by one (a lazy payer, patient or adjustment) fails here.
    denied = claim_in(case, S.DENIED, on="2026-10-01")
    paid = claim_in(case, S.PAID, on="2026-11-02")
    remit(denied, paid="0.00", adjustments=(("CO", "197", "950.00"),), status_code="4")
    remit(paid, paid="700.00", adjustments=(("CO", "45", "250.00"),))
    billing.get(LIST)  # the token's first use is stamped; count what follows

    for params in ({"status": "paid"}, {"payer": case.payer.fhir_id}, {"patient": case.patient.fhir_id},
                   {"service_date_from": "2026-10-01", "service_date_to": "2026-10-31"}, {"carc": "197"},
                   {"limit": 2, "offset": 0, "carc": "45", "status": "paid", "payer": case.payer.fhir_id}):
        with django_assert_num_queries(6):
            assert ids(billing.get(LIST, params)), params
    # The detail: the token and roles (3), the claim with payer, patient and what it replaces, its
    # lines, history, payments (with remittances), their service lines, the line and claim
    # adjustments, the latest scrub run, the audit event (9).
    for claim in (denied, paid):
        with django_assert_num_queries(12):
            assert billing.get(f"{LIST}{claim.public_id}/").status_code == 200


def test_reading_the_list_is_audited_with_every_patient_shown(case, billing):
    claim = claim_in(case, S.SUBMITTED)

    billing.get(LIST, {"status": "submitted"})

    event = AuditEvent.objects.filter(resource_type=Claim.resource_type, action="E").latest("pk")
    assert event.user == billing.api_client.user
    assert case.patient.fhir_id in str(event.patient_id) + str(getattr(event, "patients", ""))
    assert "status=submitted" in event.query
    assert claim.patient_control_number not in event.query


def test_the_detail_shows_lines_edits_history_and_remittances(case, billing):
    claim = claim_in(case, S.PARTIALLY_PAID)
    remit(claim, paid="500.00", adjustments=(("CO", "45", "300.00"), ("PR", "2", "150.00")), remarks=("M15",))

    response = billing.get(f"{LIST}{claim.public_id}/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == str(claim.public_id) and body["status"] == "partially_paid"
    assert [line["procedure_code"] for line in body["lines"]] == ["64483"]
    assert [(h["from_status"], h["to_status"]) for h in body["history"]][-1] == ("accepted", "partially_paid")
    [remittance] = body["remittances"]
    assert remittance["paid"] == "500.00" and remittance["rarcs"] == ["M15"]
    assert [(a["group"], a["carc"], a["amount"]) for a in remittance["service_lines"][0]["adjustments"]] == [
        ("CO", "45", "300.00"), ("PR", "2", "150.00")]
    assert remittance["service_lines"][0]["adjustments"][1]["description"] == "Coinsurance amount"
    event = AuditEvent.objects.filter(resource_id=str(claim.public_id), action="R").get()
    assert event.patient_id == case.patient.fhir_id


def test_the_detail_shows_only_the_latest_scrub_run(case, billing):
    claim = claim_in(case, S.DRAFT)
    ClaimEdit.objects.create(claim=claim, run="00000000-0000-0000-0000-000000000001", code="old", severity="error",
                             message="an older run", run_at="2026-01-01T00:00:00Z")
    billing.post(f"{LIST}{claim.public_id}/scrub/")

    body = billing.get(f"{LIST}{claim.public_id}/").json()

    assert "old" not in [edit["code"] for edit in body["edits"]]


def test_front_office_reads_status_but_not_coding_or_money(case, front_office):
    claim = claim_in(case, S.DENIED)
    remit(claim, paid="0.00", adjustments=(("CO", "197", "950.00"),), status_code="4")

    body = front_office.get(f"{LIST}{claim.public_id}/").json()

    assert body["status"] == "denied" and body["history"]
    assert not {"lines", "edits", "remittances", "diagnoses"} & set(body)
    assert front_office.post(f"{LIST}{claim.public_id}/scrub/").status_code == 403
    assert front_office.get("/api/ar-aging/").status_code == 403


@pytest.mark.parametrize("role", ["clinician", "auditor", "integration"])
def test_other_roles_may_not_read_claims_and_the_refusal_is_audited(case, role):
    from tests.billing.api.conftest import BillingApi

    response = BillingApi(role).get(LIST)

    assert response.status_code == 403
    assert AuditEvent.objects.filter(resource_type=Claim.resource_type, outcome=AuditEvent.Outcome.MINOR_FAILURE).exists()


def test_an_unknown_or_malformed_id_is_a_json_404(case, billing):
    for claim_id in ("not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        response = billing.get(f"{LIST}{claim_id}/")
        assert response.status_code == 404 and response.json()["error"]["status"] == 404
    assert billing.get(f"{LIST}x/y/z/").status_code == 404


def test_scrub_runs_the_scrubber_and_is_idempotent_until_sent(case, billing):
    claim = claim_in(case, S.DRAFT)

    first = billing.post(f"{LIST}{claim.public_id}/scrub/")
    second = billing.post(f"{LIST}{claim.public_id}/scrub/")

    assert first.status_code == second.status_code == 200, first.content
    assert first.json()["status"] == second.json()["status"] == "scrubbed"
    assert Claim.objects.get(pk=claim.pk).history.filter(to_status="scrubbed").count() == 1
    assert AuditEvent.objects.filter(resource_id=str(claim.public_id), subtype="scrub", action="U").count() == 2


def test_the_detail_shows_the_findings_of_a_failed_scrub(case, billing):
    claim = claim_in(case, S.DRAFT)
    Claim.objects.filter(pk=claim.pk).update(diagnoses=["NOT-A-CODE"])

    body = billing.post(f"{LIST}{claim.public_id}/scrub/").json()

    assert body["status"] == "draft"
    assert any(edit["severity"] == "error" for edit in body["edits"])


def test_scrubbing_a_sent_claim_is_a_409(case, billing):
    claim = claim_in(case, S.SUBMITTED)

    response = billing.post(f"{LIST}{claim.public_id}/scrub/")

    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"
    assert Claim.objects.get(pk=claim.pk).status == S.SUBMITTED
