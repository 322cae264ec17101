import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def run(*args, stdin: bytes | None = None, monkeypatch=None):
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    call_command("extract_facts", *args, stdout=out, stderr=err)
    return [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def test_one_json_line_per_path(tmp_path):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("Neck pain 6/10.")
    second.write_text("Low back pain for 8 months.")
    lines, _ = run(str(first), str(second))
    assert [line["source"] for line in lines] == [str(first), str(second)]
    assert lines[0]["facts"]["pain"]["nrs_current"] == 6
    assert lines[1]["facts"]["pain"]["duration_months"] == 8.0


def test_stdin_and_date(monkeypatch):
    lines, _ = run("-", "--date", "2025-06-02", stdin=b"Back pain since March 2024.", monkeypatch=monkeypatch)
    assert lines[0]["source"] == "-"
    assert lines[0]["facts"]["note_date"] == "2025-06-02"
    assert lines[0]["facts"]["pain"]["duration_months"] == 15.0


def test_non_utf8_is_replaced_and_reported(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Douleur lombaire 7/10, caf\xe9".encode("latin-1"))
    lines, err = run(str(path))
    assert lines[0]["facts"]["pain"]["nrs_current"] == 7
    assert "not valid UTF-8" in err


def test_missing_file_fails_after_processing_the_others(tmp_path):
    present = tmp_path / "a.txt"
    present.write_text("Pain 3/10.")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="could not be read"):
        call_command("extract_facts", str(tmp_path / "missing.txt"), str(present), stdout=out, stderr=err)
    assert json.loads(out.getvalue())["facts"]["pain"]["nrs_current"] == 3
    assert "missing.txt" in err.getvalue()


def test_bad_date_is_an_error(tmp_path):
    with pytest.raises(CommandError):
        call_command("extract_facts", "-", "--date", "06/02/2025")
