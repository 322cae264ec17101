"""manage.py export_837p: pyx12-valid files, a JSON summary, and no claim's state changed."""

from __future__ import annotations

import json
import os
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from billing.models import Claim
from billing.submission import services
from billing.submission.models import ClaimFile
from billing.x12.validation import validate_x12
from tests.billing.submission.support import case, scrubbed_claim  # noqa: F401

pytestmark = pytest.mark.django_db

S = Claim.Status


def _export(*args) -> dict:
    out = StringIO()
    call_command("export_837p", *args, stdout=out)
    return json.loads(out.getvalue())


def test_by_default_every_scrubbed_claim_is_written_and_nothing_changes(case, tmp_path):
    first, second = scrubbed_claim(case), scrubbed_claim(case, on="2026-11-21")
    summary = _export("--out", str(tmp_path))
    [written] = summary["files"]
    assert sorted(written["claims"]) == [first.pk, second.pk] and summary["claims"] == 2
    text = (tmp_path / f"837P-{written['interchange_control']}.x12").read_text()
    assert validate_x12(text) == [] and text.count("CLM*") == 2
    assert sorted(os.listdir(tmp_path)) == [f"837P-{written['interchange_control']}.x12"]
    assert set(Claim.objects.values_list("status", flat=True)) == {S.SCRUBBED}
    assert ClaimFile.objects.count() == 0


def test_all_includes_sent_claims_without_changing_them(case, tmp_path):
    sent = scrubbed_claim(case)
    services.prepare_claim_file(claim_ids=[sent.pk], clearinghouse="sandbox")
    waiting = scrubbed_claim(case, on="2026-11-21")
    assert [f["claims"] for f in _export("--out", str(tmp_path))["files"]] == [[waiting.pk]]
    summary = _export("--out", str(tmp_path), "--all")
    assert sorted(summary["files"][0]["claims"]) == [sent.pk, waiting.pk]
    sent.refresh_from_db()
    assert sent.status == S.SUBMITTED and ClaimFile.objects.count() == 1


def test_named_claims_only(case, tmp_path):
    one = scrubbed_claim(case)
    scrubbed_claim(case, on="2026-11-21")
    assert _export("--out", str(tmp_path), "--claim", str(one.pk))["files"][0]["claims"] == [one.pk]


def test_a_bad_id_or_a_draft_is_an_error_and_writes_nothing(case, tmp_path):
    claim = scrubbed_claim(case)
    with pytest.raises(CommandError, match="no claim with id 987654"):
        call_command("export_837p", "--out", str(tmp_path), "--claim", str(claim.pk), "987654")
    Claim.objects.filter(pk=claim.pk).update(status=S.DRAFT)
    with pytest.raises(CommandError, match=f"draft\\): claim {claim.pk}"):
        call_command("export_837p", "--out", str(tmp_path), "--claim", str(claim.pk))
    assert os.listdir(tmp_path) == []


def test_a_directory_that_is_missing_or_unwritable_is_an_error(case, tmp_path):
    scrubbed_claim(case)
    with pytest.raises(CommandError, match="is not a directory"):
        call_command("export_837p", "--out", str(tmp_path / "nowhere"))
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.access(locked, os.W_OK):
        pytest.skip("running as a user who can write anywhere (root)")
    with pytest.raises(CommandError, match="cannot write into"):
        call_command("export_837p", "--out", str(locked))


def test_the_command_exits_non_zero_with_a_message_on_stderr(case, tmp_path):
    import subprocess
    import sys

    from django.conf import settings

    result = subprocess.run([sys.executable, str(settings.BASE_DIR / "manage.py"), "export_837p", "--out",
                             str(tmp_path / "nowhere")], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(settings.BASE_DIR)})
    assert result.returncode != 0 and "is not a directory" in result.stderr
