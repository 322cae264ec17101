"""manage.py evaluate_prior_auth on real note files, with no database at all.

The in-process tests have no db fixture, so pytest-django refuses any query; the subprocess
tests point DATABASE_URL at a server that does not exist.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[2]
NOTES = ROOT / "tests" / "fixtures" / "notes"
CONSULT = NOTES / "lumbar_radiculopathy_consult.txt"
FOLLOWUP = NOTES / "lumbar_radiculopathy_followup.txt"
FACET = NOTES / "lumbar_facet_axial.txt"
SI = NOTES / "sacroiliac_joint_pain.txt"
NO_DATABASE = "postgres://postgres@127.0.0.1:9/no_such_database"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("evaluate_prior_auth", *args, stdout=out)
    return out.getvalue()


def statuses(result: dict) -> dict:
    return {c["id"]: c["status"] for c in result["criteria"]}


def test_one_note_gives_the_spec_shape_with_evidence_quoting_the_note():
    result = json.loads(run("--note", str(CONSULT), "--cpt", "64483", "--payer", "commercial", "--date", "2025-04-01"))
    assert set(result) == {"payer", "cpt", "requires_auth", "policy", "ready", "reason", "criteria"}
    assert (result["payer"], result["cpt"], result["requires_auth"], result["policy"]) == \
        ("commercial", "64483", True, "esi")
    assert result["ready"] is True
    assert statuses(result) == {
        "radicular_pain": "met", "imaging_concordant": "met", "pain_duration": "met", "conservative_care": "met",
        "pain_scale": "met", "function_scale": "met", "no_red_flags": "met", "repeat_relief": "not_applicable",
        "frequency": "met"}
    text = CONSULT.read_text()
    for criterion in result["criteria"]:
        assert set(criterion) == {"id", "text", "status", "evidence", "missing"}
        for evidence in criterion["evidence"]:
            assert set(evidence) == {"start", "end", "text"}
            assert text[evidence["start"]:evidence["end"]] == evidence["text"]
    imaging = next(c for c in result["criteria"] if c["id"] == "imaging_concordant")
    assert imaging["evidence"] and imaging["missing"] is None


def test_several_notes_are_merged_the_newest_winning():
    result = json.loads(run("--note", str(FOLLOWUP), "--note", str(CONSULT), "--cpt", "64483", "--payer", "medicare",
                            "--date", "2025-06-01"))
    assert result["requires_auth"] is False and result["ready"] is True
    relief = next(c for c in result["criteria"] if c["id"] == "repeat_relief")
    assert relief["status"] == "met"  # 70% for 14 weeks, from the follow-up note
    assert "70%" in FOLLOWUP.read_text()[relief["evidence"][0]["start"]:relief["evidence"][0]["end"] + 40]
    pain = next(c for c in result["criteria"] if c["id"] == "pain_scale")
    quoted = pain["evidence"][0]
    assert FOLLOWUP.read_text()[quoted["start"]:quoted["end"]] == quoted["text"]  # 6/10 of the newer note
    assert "6" in quoted["text"]


def test_a_note_missing_facts_tells_staff_what_to_document():
    result = json.loads(run("--note", str(SI), "--cpt", "64483", "--payer", "commercial", "--date", "2025-03-01"))
    assert result["ready"] is False
    by_id = {c["id"]: c for c in result["criteria"]}
    assert by_id["radicular_pain"]["status"] == "insufficient_documentation"
    assert "radiates" in by_id["radicular_pain"]["missing"]
    assert by_id["imaging_concordant"]["missing"].startswith("Document an MRI or CT")
    assert by_id["pain_scale"]["missing"] is None


def test_facet_and_si_notes_against_their_policies():
    facet = json.loads(run("--note", str(FACET), "--cpt", "64493", "--payer", "commercial", "--date", "2025-05-01"))
    assert facet["policy"] == "medial_branch_block" and facet["ready"] is True
    rfa = json.loads(run("--note", str(FACET), "--cpt", "64635", "--payer", "medicare", "--date", "2025-05-01"))
    assert statuses(rfa)["two_diagnostic_blocks"] == "insufficient_documentation"
    assert statuses(rfa)["repeat_rfa_relief"] == "not_applicable" and rfa["ready"] is False
    si = json.loads(run("--note", str(SI), "--cpt", "27096", "--payer", "medicare", "--date", "2025-03-01"))
    assert si["policy"] == "si_joint_injection" and si["requires_auth"] is False and si["ready"] is True
    assert statuses(si)["provocative_tests"] == "met"


def test_not_covered_and_unlisted_codes():
    facet = json.loads(run("--note", str(FACET), "--cpt", "64495", "--payer", "medicare", "--date", "2025-05-01"))
    assert facet["requires_auth"] is False and facet["policy"] is None and facet["criteria"] == []
    assert facet["reason"].startswith("not_covered: ")
    office = json.loads(run("--note", str(FACET), "--cpt", "99213", "--payer", "commercial", "--date", "2025-05-01"))
    assert office["requires_auth"] is False and office["policy"] is None


def test_batch_prints_one_line_per_case(tmp_path):
    batch = tmp_path / "cases.jsonl"
    batch.write_text("\n".join(json.dumps(case) for case in [
        {"notes": [str(CONSULT)], "cpt": "64483", "payer": "commercial", "date": "2025-04-01"},
        {"notes": [str(FACET)], "cpt": "64493", "payer": "medicare", "date": "2025-05-01"},
        {"notes": [str(CONSULT), str(FOLLOWUP)], "cpt": "64492", "payer": "commercial", "date": "2025-06-01"},
    ]) + "\n\n")
    lines = run("--batch", str(batch)).splitlines()
    assert len(lines) == 3
    results = [json.loads(line) for line in lines]
    assert [(r["payer"], r["cpt"], r["policy"]) for r in results] == [
        ("commercial", "64483", "esi"), ("medicare", "64493", "medial_branch_block"), ("commercial", "64492", None)]


def test_batch_note_paths_are_read_beside_the_batch_file(tmp_path):
    (tmp_path / "note.txt").write_text(FACET.read_text())
    batch = tmp_path / "cases.jsonl"
    batch.write_text(json.dumps({"notes": ["note.txt"], "cpt": "64493", "payer": "commercial",
                                 "date": "2025-05-01"}) + "\n")
    assert json.loads(run("--batch", str(batch)))["ready"] is True


@pytest.mark.parametrize("args, message", [
    (["--note", str(CONSULT), "--cpt", "64483", "--payer", "acme"], "unknown payer 'acme'"),
    (["--note", str(CONSULT), "--cpt", "6448", "--payer", "medicare"], "not a CPT or HCPCS code"),
    (["--note", str(CONSULT), "--cpt", "64483x", "--payer", "medicare"], "not a CPT or HCPCS code"),
    (["--note", "no/such/note.txt", "--cpt", "64483", "--payer", "medicare"], "no/such/note.txt: no such note file"),
    (["--note", str(CONSULT), "--cpt", "64483", "--payer", "medicare", "--date", "2025-13-01"], "YYYY-MM-DD"),
    (["--cpt", "64483", "--payer", "medicare"], "missing --note"),
    (["--batch", "no_such_cases.jsonl"], "no_such_cases.jsonl: no such file"),
    (["--batch", "x.jsonl", "--cpt", "64483"], "leave out"),
])
def test_bad_input_is_a_command_error(args, message):
    with pytest.raises(CommandError, match=message.replace(".", r"\.").replace("(", r"\(")):
        run(*args)


@pytest.mark.parametrize("line, message", [
    ("{not json", "line 2: not valid JSON"),
    ('["a list"]', "line 2: must be a JSON object"),
    ('{"notes": [], "cpt": "64483", "payer": "medicare"}', "line 2: notes must be"),
    ('{"notes": ["n.txt"], "cpt": 64483, "payer": "medicare"}', "line 2: cpt must be"),
    ('{"notes": ["n.txt"], "cpt": "64483", "payer": "aetna"}', "line 2: unknown payer 'aetna'"),
    ('{"notes": ["n.txt"], "cpt": "ABC", "payer": "medicare"}', "line 2: CPT code 'ABC'"),
    ('{"notes": ["n.txt"], "cpt": "64483", "payer": "medicare", "date": "June"}', "line 2: date must be"),
    ('{"notes": ["n.txt"], "cpt": "64483", "payer": "medicare", "units": 2}', "line 2: unknown field 'units'"),
])
def test_a_bad_batch_line_names_its_number_and_nothing_is_printed(tmp_path, line, message):
    batch = tmp_path / "cases.jsonl"
    good = json.dumps({"notes": [str(CONSULT)], "cpt": "64483", "payer": "medicare", "date": "2025-04-01"})
    batch.write_text(f"{good}\n{line}\n")
    out = io.StringIO()
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace("[", r"\[")):
        call_command("evaluate_prior_auth", "--batch", str(batch), stdout=out)
    assert out.getvalue() == ""


# --- as a process, with no database server ---------------------------------------------------------

def _process(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": NO_DATABASE}
    env.pop("CELERY_BROKER_URL", None)
    return subprocess.run([sys.executable, "manage.py", "evaluate_prior_auth", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)


def test_the_command_runs_with_no_database_server(tmp_path):
    batch = tmp_path / "cases.jsonl"
    batch.write_text(json.dumps({"notes": [str(SI)], "cpt": "G0260", "payer": "commercial", "date": "2025-03-01"})
                     + "\n" + json.dumps({"notes": [str(FACET)], "cpt": "64490", "payer": "medicare"}) + "\n")
    done = _process("--batch", str(batch))
    assert done.returncode == 0, done.stderr
    first, second = (json.loads(line) for line in done.stdout.splitlines())
    assert first["policy"] == "si_joint_injection" and first["requires_auth"] is True
    assert second["policy"] == "medial_branch_block"


@pytest.mark.parametrize("args, message", [
    (["--note", str(CONSULT), "--cpt", "64483", "--payer", "unitedhealth"], "unknown payer 'unitedhealth'"),
    (["--note", "missing.txt", "--cpt", "64483", "--payer", "medicare"], "missing.txt: no such note file"),
])
def test_errors_exit_non_zero_with_a_message_and_no_traceback(args, message):
    done = _process(*args)
    assert done.returncode != 0
    assert message in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""
