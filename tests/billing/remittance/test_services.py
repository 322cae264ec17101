"""Receiving and reading X12 files: 835 posting, 277CA and 999 moving claims, malformed files
rejected with nothing posted, the same file posted once."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from billing.models import Claim, ClaimStatusChange
from billing.remittance import services
from billing.remittance.models import ClaimPayment, PaymentAdjustment, Remittance, ServiceLinePayment, X12File
from billing.submission.models import ClaimFile
from billing.x12.messages import Adjustment, SegmentError, TransactionAcknowledgment
from pracops.audit.models import AuditEvent
from tests.billing.remittance.helpers import (accepted, claim_file, denied, file_277ca, file_835, file_999,
                                              paid_in_full, rejected, submitted_claims)
from tests.factories import ClaimPaymentFactory, ServicePaymentFactory

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "x12"
S = Claim.Status


def ingest(text: str, name: str = "in.x12") -> X12File:
    stored, _ = services.receive_x12_file(text=text, name=name, source="test", agent="system:test")
    return services.read_x12_file(file_id=stored.pk, agent="system:test")


def nothing_posted() -> bool:
    return not (Remittance.objects.exists() or ClaimPayment.objects.exists() or ServiceLinePayment.objects.exists()
                or PaymentAdjustment.objects.exists()
                or ClaimStatusChange.objects.filter(source=ClaimStatusChange.Source.FILE).exists())


def accept(claims):
    ingest(file_277ca([accepted(c) for c in claims], control=1), "ack.277")
    for claim in claims:
        claim.refresh_from_db()


# --- receiving -----------------------------------------------------------------------------


def test_the_same_bytes_received_twice_are_one_file():
    text = (FIXTURES / "835/managed-care.835").read_text()
    first, created = services.receive_x12_file(text=text, name="a.835", source="test")
    again, created_again = services.receive_x12_file(text=text.encode(), name="b.835", source="upload")

    assert (created, created_again) == (True, False)
    assert first.pk == again.pk and X12File.objects.count() == 1
    assert first.status == X12File.Status.RECEIVED and first.sha256 == again.sha256
    assert len(first.interchange_control_number) == 9 and first.interchange_control_number.isdigit()


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"hello, not x12", "does not begin with ISA"),
    (b"\xff\xfeISA", "not UTF-8"),
])
def test_input_that_is_not_x12_is_refused_and_nothing_stored(data, message):
    with pytest.raises(services.X12FileError, match=message):
        services.receive_x12_file(text=data, name="bad", source="test")
    assert not X12File.objects.exists()


def test_an_oversize_file_is_refused(monkeypatch):
    monkeypatch.setattr(services, "MAX_FILE_BYTES", 100)
    with pytest.raises(services.X12FileError, match="larger than"):
        services.receive_x12_file(text="ISA" + "*" * 200, name="big", source="test")
    assert not X12File.objects.exists()


# --- every sample ---------------------------------------------------------------------------


@pytest.mark.parametrize("sample, kind", [
    ("835/managed-care.835", "835"), ("835/cob-contractural-adjustment.835", "835"),
    ("835/secondary-payment.835", "835"), ("835/tertiary-payment.835", "835"), ("835/medicare-part-a.835", "835"),
    ("277/claim-level-status.277", "277"), ("277/claim-level-status-ncpdp.277", "277"),
    ("277/information-receiver-level-status.277", "277"), ("277/provider-level-status.277", "277"),
])
def test_every_sample_is_read_and_what_names_no_claim_is_counted(sample, kind):
    stored = ingest((FIXTURES / sample).read_text(), sample)

    assert (stored.status, stored.kind, stored.error) == (X12File.Status.POSTED, kind, "")
    if kind == "835":
        payments = ClaimPayment.objects.filter(remittance__file=stored)
        assert payments.count() == stored.summary["claim_payments"] == stored.summary["suspense_items"] > 0
        assert set(payments.values_list("suspense", flat=True)) == {ClaimPayment.Suspense.OPEN}
    else:
        assert not ClaimStatusChange.objects.filter(source=ClaimStatusChange.Source.FILE).exists()


def test_the_truncated_999_sample_is_rejected_naming_where():
    stored = ingest((FIXTURES / "835/managed-care.835.997").read_text())

    assert stored.status == X12File.Status.REJECTED
    assert "truncated" in stored.error and "position" in stored.error


# --- 835 -------------------------------------------------------------------------------------


def test_an_835_posts_payments_lines_and_adjustments_and_moves_the_claims():
    paid, refused, partial = submitted_claims(3)
    accept([paid, refused, partial])
    line = partial.lines.get()
    partly = ClaimPaymentFactory(claim_id=partial.patient_control_number, services=(ServicePaymentFactory(
        procedure_code=line.procedure_code, charge=line.charge, paid=Decimal("300.00"), line_control_number="",
        adjustments=(Adjustment("CO", "45", Decimal("350.00")), Adjustment("CO", "97", Decimal("300.00")))),))

    stored = ingest(file_835([paid_in_full(paid), denied(refused), partly,
                              ClaimPaymentFactory(claim_id="NOSUCHCLAIM")]))

    assert stored.status == X12File.Status.POSTED
    for claim, status in ((paid, S.PAID), (refused, S.DENIED), (partial, S.PARTIALLY_PAID)):
        claim.refresh_from_db()
        assert claim.status == status
        change = claim.history.latest("pk")
        assert change.source == ClaimStatusChange.Source.FILE
        assert change.source_reference.startswith(f"835 file {stored.pk} ST ")
    assert "CO-197" in refused.history.latest("pk").reason
    posted = ClaimPayment.objects.get(claim=paid)
    assert posted.paid == Decimal("600.00") and posted.posted_at is not None
    service = posted.service_lines.get()
    assert service.line == paid.lines.get()  # by REF*6R
    assert list(service.adjustments.values_list("group", "reason", "amount")) == [("CO", "45", Decimal("350.00"))]
    # no REF*6R: matched by procedure code
    assert ServiceLinePayment.objects.get(claim_payment__claim=partial).line == line
    suspense = ClaimPayment.objects.get(patient_control_number="NOSUCHCLAIM")
    assert suspense.claim is None and suspense.suspense == ClaimPayment.Suspense.OPEN
    assert stored.summary == {"kind": "835", "claim_payments": 4, "claims_denied": 1, "claims_paid": 1,
                              "claims_partially_paid": 1, "remittances": 1, "suspense_items": 1}
    assert AuditEvent.objects.filter(resource_type="X12File", resource_id=str(stored.public_id)).count() == 1


def test_an_835_for_a_claim_whose_277ca_is_not_read_records_its_acceptance_first():
    [claim] = submitted_claims(1)

    stored = ingest(file_835([paid_in_full(claim, payer_claim_number="PCN42")]))

    claim.refresh_from_db()
    assert claim.status == S.PAID and claim.payer_claim_number == "PCN42"
    assert list(claim.history.filter(source="file").values_list("to_status", flat=True)) == ["accepted", "paid"]
    assert stored.summary["claims_accepted"] == 1


def test_a_reversal_posts_its_rows_but_moves_no_claim():
    [claim] = submitted_claims(1)
    accept([claim])
    reversal = paid_in_full(claim, status_code="22")

    stored = ingest(file_835([reversal]))

    claim.refresh_from_db()
    assert claim.status == S.ACCEPTED and stored.summary["reversals"] == 1
    assert ClaimPayment.objects.get(claim=claim).status_code == "22"


def test_the_same_835_read_twice_or_received_twice_posts_once():
    [claim] = submitted_claims(1)
    accept([claim])
    text = file_835([paid_in_full(claim)])

    first = ingest(text)
    again = services.read_x12_file(file_id=first.pk)
    received_again = ingest(text)

    assert first.pk == again.pk == received_again.pk
    assert ClaimPayment.objects.count() == 1 and Remittance.objects.count() == 1
    assert claim.history.filter(to_status=S.PAID).count() == 1


def test_a_second_835_for_a_paid_claim_leaves_it_alone():
    [claim] = submitted_claims(1)
    accept([claim])
    ingest(file_835([paid_in_full(claim)], control=1))

    stored = ingest(file_835([paid_in_full(claim)], control=2))

    assert stored.summary["claims_left_alone"] == 1
    assert claim.history.filter(to_status=S.PAID).count() == 1
    assert ClaimPayment.objects.filter(claim=claim).count() == 2


def _truncate(text):
    se = next(s for s in text.split("~") if s.strip().startswith("SE*"))
    return text[: text.index(se)]


def _bad_delimiters(text):
    return text[:3] + "A" + text[4:]


def _wrong_se_count(text):
    se = next(s for s in text.split("~") if s.strip().startswith("SE*"))
    count = se.strip().split("*")[1]
    return text.replace(se, se.replace(f"SE*{count}*", f"SE*{int(count) + 1}*"))


def _unbalanced(text):
    bpr = next(s for s in text.split("~") if s.strip().startswith("BPR*"))
    elements = bpr.split("*")
    elements[2] = "1.00"
    return text.replace(bpr, "*".join(elements))


@pytest.mark.parametrize("spoil, where", [
    (_truncate, "truncated"), (_bad_delimiters, "ISA"), (_wrong_se_count, "SE01"), (_unbalanced, "BPR"),
])
def test_a_malformed_835_is_rejected_naming_the_segment_and_nothing_is_posted(spoil, where):
    [claim] = submitted_claims(1)
    accept([claim])
    before = ClaimStatusChange.objects.count()

    stored = ingest(spoil(file_835([paid_in_full(claim), ClaimPaymentFactory(claim_id="NOSUCH")])))

    assert stored.status == X12File.Status.REJECTED
    assert where in stored.error and "position" in stored.error
    assert claim.patient_control_number not in stored.error
    assert not ClaimPayment.objects.exists() and not Remittance.objects.exists()
    assert ClaimStatusChange.objects.count() == before
    claim.refresh_from_db()
    assert claim.status == S.ACCEPTED
    # read again: still rejected, still nothing posted
    assert services.read_x12_file(file_id=stored.pk).status == X12File.Status.REJECTED
    assert not ClaimPayment.objects.exists()


def test_a_file_of_another_kind_is_rejected():
    text = file_835([ClaimPaymentFactory()]).replace("*HP*", "*HC*", 1)

    stored = ingest(text)

    assert stored.status == X12File.Status.REJECTED and "GS01" in stored.error and nothing_posted()


# --- 277CA ----------------------------------------------------------------------------------


def test_a_277ca_accepts_and_rejects_claims_with_the_codes_meaning():
    good, bad = submitted_claims(2)

    stranger = replace(accepted(good), claim_id="UNKNOWN1")

    stored = ingest(file_277ca([accepted(good, "PAYER9"), rejected(bad), stranger]))

    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.status, good.payer_claim_number) == (S.ACCEPTED, "PAYER9")
    assert bad.status == S.REJECTED
    reason = bad.history.latest("pk").reason
    assert "A7:562" in reason and "National Provider Identifier" in reason
    assert bad.history.latest("pk").source_reference.startswith(f"277CA file {stored.pk} ")
    assert stored.summary["claims_accepted"] == 1 and stored.summary["claims_rejected"] == 1
    assert stored.summary["unknown_claims"] == 1


def test_a_277ca_read_again_or_for_a_claim_already_past_it_changes_nothing():
    [claim] = submitted_claims(1)
    accept([claim])
    ingest(file_835([paid_in_full(claim)]))

    stored = ingest(file_277ca([rejected(claim)], control=5))

    claim.refresh_from_db()
    assert claim.status == S.PAID and stored.summary["claims_left_alone"] == 1


# --- 999 ------------------------------------------------------------------------------------


def test_a_999_rejecting_one_set_rejects_its_claims_and_marks_the_file_partial():
    kept, refused = submitted_claims(2)
    sent = claim_file([kept, refused], control="000001207")
    transactions = [TransactionAcknowledgment("837", "0001", "A"),
                    TransactionAcknowledgment("837", "0002", "R",
                                              errors=(SegmentError("NM1", 8, "2010", "8", (("9", "7"),)),),
                                              syntax_codes=("5",))]

    stored = ingest(file_999("1207", transactions, "P"))

    sent.refresh_from_db()
    kept.refresh_from_db()
    refused.refresh_from_db()
    assert sent.status == ClaimFile.Status.PARTIALLY_ACCEPTED and sent.acknowledged_at is not None
    assert kept.status == S.SUBMITTED and refused.status == S.REJECTED
    change = refused.history.latest("pk")
    assert change.source_reference == f"999 file {stored.pk} AK2 0002"
    assert "IK3 NM1 at 8 code 8" in change.reason and "IK5 code 5" in change.reason
    assert stored.summary["sets_rejected"] == 1 and stored.summary["sets_accepted"] == 1


def test_a_999_rejecting_the_whole_group_without_naming_sets_rejects_every_claim_of_the_file():
    first, second = submitted_claims(2)
    sent = claim_file([first, second], control="000001208", per_set=2)

    stored = ingest(file_999("1208", [], "R", syntax_codes=("4", "5")))

    sent.refresh_from_db()
    assert sent.status == ClaimFile.Status.REJECTED
    for claim in (first, second):
        claim.refresh_from_db()
        assert claim.status == S.REJECTED
        change = claim.history.latest("pk")
        assert change.source_reference == f"999 file {stored.pk} AK1 1208"
        assert change.reason == "999 rejected the whole functional group: AK9 code 4; AK9 code 5"
    assert stored.summary["groups_rejected"] == 1 and stored.summary["claims_rejected"] == 2


def test_a_999_accepting_a_group_without_naming_sets_moves_no_claim():
    [claim] = submitted_claims(1)
    claim_file([claim], control="000001209")

    ingest(file_999("1209", [], "A"))

    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED


def test_a_999_for_a_file_not_sent_is_counted_not_an_error():
    stored = ingest(file_999("4242", [TransactionAcknowledgment("837", "0001", "A")], "A"))

    assert stored.status == X12File.Status.POSTED and stored.summary["unknown_claim_files"] == 1


# --- 277 ------------------------------------------------------------------------------------


def test_a_277_finalized_denial_denies_an_accepted_claim():
    [claim] = submitted_claims(1)
    accept([claim])
    text = (FIXTURES / "277/claim-level-status.277").read_text().replace("ABCXYC3", claim.patient_control_number)

    stored = ingest(text)

    claim.refresh_from_db()
    assert claim.status == S.DENIED and "F2:88" in claim.history.latest("pk").reason
    assert stored.summary["claims_denied"] == 1 and stored.summary["unknown_claims"] == 2
