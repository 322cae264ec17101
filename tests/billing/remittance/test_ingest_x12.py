"""manage.py ingest_x12: one JSON summary a file, non-zero exit when a file is rejected or missing."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from billing.remittance.models import ClaimPayment, X12File
from tests.billing.remittance.helpers import file_835, paid_in_full, submitted_claims

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "x12"


def run(*files) -> tuple[int, list[dict], str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("ingest_x12", *map(str, files), stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def test_files_are_posted_with_a_summary_each(tmp_path):
    [claim] = submitted_claims(1)
    path = tmp_path / "remit.835"
    path.write_text(file_835([paid_in_full(claim)]))

    code, summaries, _ = run(path, FIXTURES / "277/claim-level-status.277")

    assert code == 0
    assert [(s["kind"], s["status"]) for s in summaries] == [("835", "posted"), ("277", "posted")]
    assert summaries[0]["counts"]["claims_paid"] == 1 and summaries[1]["counts"]["unknown_claims"] == 3
    assert claim.patient_control_number not in json.dumps(summaries)


def test_the_same_file_twice_posts_once(tmp_path):
    [claim] = submitted_claims(1)
    path = tmp_path / "remit.835"
    path.write_text(file_835([paid_in_full(claim)]))

    assert run(path)[0] == 0 and run(path)[0] == 0
    assert ClaimPayment.objects.count() == 1 and X12File.objects.count() == 1


def test_a_rejected_or_missing_or_non_x12_file_exits_non_zero(tmp_path):
    junk = tmp_path / "junk.txt"
    junk.write_text("not x12")

    code, summaries, err = run(FIXTURES / "835/managed-care.835.997", tmp_path / "nope.835", junk,
                               FIXTURES / "835/managed-care.835")

    assert code == 1
    assert [s["status"] for s in summaries] == ["rejected", "missing", "refused", "posted"]
    assert "truncated" in summaries[0]["error"] and "nope.835: missing" in err
