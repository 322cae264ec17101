"""Writing scrubbed claims as an 837P file: validated by pyx12, stored ready, claims submitted."""

from __future__ import annotations

import pytest

from billing.models import Claim
from billing.submission import services
from billing.submission.models import ClaimFile, ClaimFileEntry
from billing.x12.validation import validate_x12
from tests.billing.submission.support import scrubbed_claim

pytestmark = pytest.mark.django_db

S = Claim.Status


def test_scrubbed_claims_become_one_valid_ready_file_and_are_submitted(case):
    first, second = scrubbed_claim(case), scrubbed_claim(case, on="2026-11-21")
    claim_file = services.prepare_claim_file(claim_ids=[first.pk, second.pk], clearinghouse="sandbox",
                                             agent="system:test")
    assert claim_file.status == ClaimFile.Status.READY
    assert validate_x12(claim_file.text) == []
    isa13 = claim_file.interchange_control_number
    assert f"*{isa13}*0*T*:~" in claim_file.text and f"GS*HC*PRACOPS*SBXCLEARINGHOUS*" in claim_file.text
    assert {e.claim_id for e in claim_file.entries.all()} == {first.pk, second.pk}
    assert all(e.set_control_number == "0001" for e in claim_file.entries.all())
    for claim in (first, second):
        claim.refresh_from_db()
        assert claim.status == S.SUBMITTED
        change = claim.history.last()
        assert change.source_reference == f"837P file ISA13 {isa13}" and change.source == "task"


def test_each_file_gets_its_own_control_number(case):
    files = [services.prepare_claim_file(claim_ids=[scrubbed_claim(case, on=f"2026-11-{day}").pk],
                                         clearinghouse="sandbox") for day in (18, 19, 20)]
    numbers = [f.interchange_control_number for f in files]
    assert len(set(numbers)) == 3 and numbers == sorted(numbers)


def test_a_claim_not_scrubbed_is_refused_and_nothing_is_stored(case):
    clean = scrubbed_claim(case)
    draft = scrubbed_claim(case, on="2026-11-21")
    Claim.objects.filter(pk=draft.pk).update(status=S.DRAFT)
    with pytest.raises(services.SubmissionError, match=f"not scrubbed: claim {draft.pk} \\(draft\\)"):
        services.prepare_claim_file(claim_ids=[clean.pk, draft.pk], clearinghouse="sandbox")
    assert ClaimFile.objects.count() == 0
    clean.refresh_from_db()
    assert clean.status == S.SCRUBBED


def test_a_claim_cannot_go_in_two_files(case):
    claim = scrubbed_claim(case)
    services.prepare_claim_file(claim_ids=[claim.pk], clearinghouse="sandbox")
    with pytest.raises(services.SubmissionError, match="submitted"):
        services.prepare_claim_file(claim_ids=[claim.pk], clearinghouse="sandbox")
    assert ClaimFile.objects.count() == 1 and ClaimFileEntry.objects.filter(claim=claim).count() == 1


def test_unknown_ids_and_no_ids_are_refused(case):
    with pytest.raises(services.SubmissionError, match="no claim with id 999999"):
        services.prepare_claim_file(claim_ids=[999999], clearinghouse="sandbox")
    with pytest.raises(services.SubmissionError, match="no claims"):
        services.prepare_claim_file(claim_ids=[], clearinghouse="sandbox")


def test_a_file_pyx12_refuses_is_never_stored_nor_sent(case, monkeypatch):
    claim = scrubbed_claim(case)
    real = services.write_837p

    def broken(*args, **kwargs):  # drop the claim's CLM: a required segment missing
        return "\n".join(s for s in real(*args, **kwargs).split("\n") if not s.startswith("CLM*"))

    monkeypatch.setattr(services, "write_837p", broken)
    with pytest.raises(services.FileRefused, match="pyx12 refused the 837P: .*line \\d+") as refused:
        services.prepare_claim_file(claim_ids=[claim.pk], clearinghouse="sandbox")
    assert refused.value.issues
    assert case.patient.family not in str(refused.value)
    assert ClaimFile.objects.count() == 0
    claim.refresh_from_db()
    assert claim.status == S.SCRUBBED
