"""Payer policies as data: the built-in files hold exactly the spec's thresholds, and a malformed
file fails with its name and the field at fault (shared/specs/prior-auth-criteria.md)."""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from priorauth.policies import BUILTIN_DIR, PolicyFileError, UnknownPayer, load_policies, policy_set

ROOT = Path(__file__).resolve().parents[2]
ON = datetime.date(2025, 6, 1)

ESI = ["radicular_pain", "imaging_concordant", "pain_duration", "conservative_care", "pain_scale", "function_scale",
       "no_red_flags", "repeat_relief", "frequency"]
FACET = ["axial_pain", "no_radiculopathy", "pain_duration", "conservative_care", "pain_scale", "no_red_flags"]
MBB = [*FACET, "frequency"]
RFA = [*FACET, "two_diagnostic_blocks", "repeat_rfa_relief", "frequency"]
SI = ["si_location", "pain_duration", "conservative_care", "provocative_tests", "pain_scale", "no_red_flags",
      "repeat_relief", "frequency"]
SCS = ["pain_duration", "failed_therapies", "psych_evaluation", "pain_scale", "no_red_flags"]
RELIEF_13 = {"percent": 50, "weeks": 13}

# (payer, policy, procedure type, codes, add-ons, requires_auth, criteria, params by criterion)
SPEC = [
    ("medicare", "esi", "epidural_steroid_injection", {"62321", "62323", "64479", "64483", "64480", "64484"},
     {"64480", "64484"}, False, ESI,
     {"pain_duration": {"months": 0.92}, "conservative_care": {"weeks": 4}, "repeat_relief": RELIEF_13,
      "frequency": {"sessions": 4, "months": 12}}),
    ("commercial", "esi", "epidural_steroid_injection", {"62321", "62323", "64479", "64483", "64480", "64484"},
     {"64480", "64484"}, True, ESI,
     {"pain_duration": {"months": 1.38}, "conservative_care": {"weeks": 6}, "repeat_relief": RELIEF_13,
      "frequency": {"sessions": 3, "months": 6}}),
    ("medicare", "medial_branch_block", "medial_branch_block", {"64490", "64493", "64491", "64494"},
     {"64491", "64494"}, True, MBB,
     {"pain_duration": {"months": 3}, "conservative_care": {"weeks": 4}, "frequency": {"sessions": 2, "months": 12}}),
    ("commercial", "medial_branch_block", "medial_branch_block", {"64490", "64493", "64491", "64494"},
     {"64491", "64494"}, True, MBB,
     {"pain_duration": {"months": 3}, "conservative_care": {"weeks": 6}, "frequency": {"sessions": 2, "months": 12}}),
    ("medicare", "radiofrequency_ablation", "radiofrequency_ablation", {"64633", "64635", "64634", "64636"},
     {"64634", "64636"}, True, RFA,
     {"pain_duration": {"months": 3}, "conservative_care": {"weeks": 4}, "two_diagnostic_blocks":
      {"blocks": 2, "percent": 80}, "repeat_rfa_relief": {"percent": 50, "weeks": 26},
      "frequency": {"sessions": 2, "months": 12}}),
    ("commercial", "radiofrequency_ablation", "radiofrequency_ablation", {"64633", "64635", "64634", "64636"},
     {"64634", "64636"}, True, RFA,
     {"pain_duration": {"months": 3}, "conservative_care": {"weeks": 6}, "two_diagnostic_blocks":
      {"blocks": 2, "percent": 80}, "repeat_rfa_relief": {"percent": 50, "weeks": 26},
      "frequency": {"sessions": 2, "months": 12}}),
    ("medicare", "si_joint_injection", "si_joint_injection", {"27096", "G0260"}, set(), False, SI,
     {"pain_duration": {"months": 3}, "conservative_care": {"weeks": 4}, "provocative_tests": {"positive": 3},
      "repeat_relief": RELIEF_13, "frequency": {"sessions": 4, "months": 12}}),
    ("commercial", "si_joint_injection", "si_joint_injection", {"27096", "G0260"}, set(), True, SI,
     {"pain_duration": {"months": 3}, "conservative_care": {"weeks": 6}, "provocative_tests": {"positive": 3},
      "repeat_relief": RELIEF_13, "frequency": {"sessions": 4, "months": 12}}),
    ("medicare", "scs_trial", "scs_trial", {"63650"}, set(), True, SCS,
     {"pain_duration": {"months": 6}, "failed_therapies": {"modalities": 2}}),
    ("commercial", "scs_trial", "scs_trial", {"63650"}, set(), True, SCS,
     {"pain_duration": {"months": 12}, "failed_therapies": {"modalities": 2}}),
]


@pytest.mark.parametrize("payer, policy_id, procedure, codes, add_ons, requires_auth, criteria, params", SPEC,
                         ids=[f"{row[0]}-{row[1]}" for row in SPEC])
def test_every_builtin_policy_holds_the_spec_thresholds(payer, policy_id, procedure, codes, add_ons, requires_auth,
                                                        criteria, params):
    policies = load_policies()
    for cpt in codes:
        policy = policies.policy_for(payer, cpt, ON)
        assert policy is not None and policy.id == policy_id, cpt
    assert policy.procedure_type == procedure
    assert policy.cpt_codes == codes
    assert policy.add_on_codes == add_ons
    assert policy.requires_auth is requires_auth
    assert [c.id for c in policy.criteria] == criteria
    for criterion in policy.criteria:
        assert dict(criterion.params) == params.get(criterion.id, {}), criterion.id
        assert criterion.text
    assert policy.source and policy.version


def test_the_builtin_set_has_the_two_payers_and_cites_the_medicare_sources():
    policies = load_policies()
    assert policies.payer_keys() == ["commercial", "medicare"]
    assert policies.payer_name("medicare") == "Medicare Part B"
    sources = {p.id: p.source for p in policies.policies("medicare")}
    assert "L39240" in sources["esi"]
    assert "L38803" in sources["medial_branch_block"] and "L38803" in sources["radiofrequency_ablation"]
    assert "L39462" in sources["si_joint_injection"]
    assert "NCD 160.7" in sources["scs_trial"]


@pytest.mark.parametrize("payer", ["medicare", "commercial"])
def test_third_level_facet_add_ons_are_not_covered(payer):
    data = load_policies().payer(payer)
    assert set(data.not_covered) == {"64492", "64495"}
    assert all(reason for reason in data.not_covered.values())


def test_treated_regions_follow_the_cpt_code():
    policies = load_policies()
    region = lambda cpt: policies.policy_for("medicare", cpt, ON).regions[cpt]  # noqa: E731
    for cpt in ("62323", "64483", "64484", "64493", "64494", "64635", "64636"):
        assert "lumbar" in region(cpt) and "cervical" not in region(cpt), cpt
    for cpt in ("62321", "64479", "64480", "64490", "64491", "64633", "64634"):
        assert region(cpt) == {"cervical", "thoracic"}, cpt
    assert region("27096") == region("G0260") == {"sacroiliac"}
    assert region("63650") is None


def test_an_unknown_payer_is_a_key_error_naming_the_known_ones():
    with pytest.raises(UnknownPayer) as caught:
        load_policies().policy_for("acme", "64483", ON)
    assert isinstance(caught.value, KeyError)
    assert "acme" in str(caught.value) and "medicare" in str(caught.value)


def test_start_up_loaded_the_set_the_engine_uses():
    assert policy_set().payer_keys() == ["commercial", "medicare"]


# --- malformed files ---------------------------------------------------------------------------

@pytest.fixture
def policies_dir(tmp_path) -> Path:
    """A copy of the built-in payer folders to break."""
    root = tmp_path / "policies"
    for payer in ("medicare", "commercial"):
        shutil.copytree(BUILTIN_DIR / payer, root / payer)
    assert load_policies(root).payer_keys() == ["commercial", "medicare"]
    return root


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _set_param(index: int, name: str, value):
    def change(data):
        data["criteria"][index].setdefault("params", {})[name] = value
    return change


def _drop_param(index: int, name: str):
    def change(data):
        del data["criteria"][index]["params"][name]
    return change


MALFORMED = [
    ("commercial/esi.yaml", _set_param(3, "weeks", "six"), "criteria[3].params.weeks", "valid number"),
    ("commercial/esi.yaml", _set_param(3, "weeks", True), "criteria[3].params.weeks", "valid number"),
    ("commercial/esi.yaml", _drop_param(2, "months"), "criteria[2].params.months", "missing"),
    ("commercial/esi.yaml", _set_param(0, "weeks", 4), "criteria[0].params.weeks", "no such parameter"),
    ("commercial/esi.yaml", _set_param(8, "sessions", 2.5), "criteria[8].params.sessions", "whole number"),
    ("commercial/esi.yaml", _set_param(3, "weeks", -1), "criteria[3].params.weeks", "negative"),
    ("medicare/esi.yaml", lambda d: d["criteria"][0].update(id="radicular"), "criteria[0].id", "unknown criterion"),
    ("medicare/esi.yaml", lambda d: d["criteria"].append({"id": "pain_scale"}), "criteria[9].id", "twice"),
    ("medicare/esi.yaml", lambda d: d.update(colour="blue"), "colour", "Extra inputs"),
    ("medicare/esi.yaml", lambda d: d.pop("source"), "source", "Field required"),
    ("medicare/esi.yaml", lambda d: d["codes"][0].update(cpt="6232"), "codes[0].cpt", "pattern"),
    ("medicare/esi.yaml", lambda d: d["codes"][0].update(region=["lumber"]), "codes[0].region[0]",
     "Input should be"),
    ("medicare/esi.yaml", lambda d: d.update(procedure_type="esi"), "procedure_type", "Input should be"),
    ("medicare/esi.yaml", lambda d: d.update(effective_from="2025-13-01"), "effective_from", "date"),
    ("medicare/esi.yaml", lambda d: d.update(effective_to=datetime.date(2019, 1, 1)), "(file)", "before"),
    ("medicare/esi.yaml", lambda d: d.update(payer="commercial"), "payer", "medicare"),
    ("medicare/esi.yaml", lambda d: d["codes"].append({"cpt": "64492", "region": ["lumbar"]}), "codes[6].cpt",
     "not covered"),
    ("medicare/payer.yaml", lambda d: d.update(key="cms"), "key", "folder"),
    ("medicare/payer.yaml", lambda d: d["not_covered"][0].pop("reason"), "not_covered[0].reason", "Field required"),
]


@pytest.mark.parametrize("file, change, field, message", MALFORMED, ids=[f"{m[0]}:{m[2]}:{m[3]}" for m in MALFORMED])
def test_a_malformed_file_fails_naming_the_file_and_the_field(policies_dir, file, change, field, message):
    _edit(policies_dir / file, change)
    with pytest.raises(PolicyFileError) as caught:
        load_policies(policies_dir)
    assert caught.value.path.endswith(file)
    assert caught.value.field == field
    assert message in caught.value.message
    assert str(caught.value).startswith(f"{caught.value.path}: {field}: ")


def test_invalid_yaml_names_the_file_and_line(policies_dir):
    path = policies_dir / "medicare" / "scs_trial.yaml"
    path.write_text(path.read_text() + "criteria: [unclosed\n")
    with pytest.raises(PolicyFileError, match=r"medicare/scs_trial\.yaml: line \d+"):
        load_policies(policies_dir)


def test_a_payer_folder_without_its_payer_file_is_refused(policies_dir):
    (policies_dir / "medicare" / "payer.yaml").unlink()
    with pytest.raises(PolicyFileError, match=r"medicare/payer\.yaml: is missing"):
        load_policies(policies_dir)


def test_a_code_in_two_policies_with_overlapping_dates_is_refused(policies_dir):
    copy = policies_dir / "commercial" / "esi_2026.yaml"
    shutil.copy(policies_dir / "commercial" / "esi.yaml", copy)
    _edit(copy, lambda d: d.update(id="esi_2026", effective_from=datetime.date(2026, 1, 1)))
    with pytest.raises(PolicyFileError) as caught:
        load_policies(policies_dir)
    assert caught.value.field == "codes" and "overlapping" in caught.value.message


def test_policies_are_chosen_by_effective_date(policies_dir):
    esi = policies_dir / "commercial" / "esi.yaml"
    _edit(esi, lambda d: d.update(effective_to=datetime.date(2025, 12, 31)))
    newer = policies_dir / "commercial" / "esi_2026.yaml"
    shutil.copy(esi, newer)
    _edit(newer, lambda d: (d.update(id="esi_2026", version="2026.1", effective_from=datetime.date(2026, 1, 1),
                                     effective_to=None), d["criteria"][3]["params"].update(weeks=8)))
    policies = load_policies(policies_dir)
    assert policies.policy_for("commercial", "64483", datetime.date(2025, 12, 31)).id == "esi"
    later = policies.policy_for("commercial", "64483", datetime.date(2026, 1, 1))
    assert later.id == "esi_2026" and later.criterion("conservative_care").params["weeks"] == 8
    assert policies.policy_for("commercial", "64483", datetime.date(2019, 12, 31)) is None


def test_a_duplicate_policy_id_is_refused(policies_dir):
    shutil.copy(policies_dir / "commercial" / "esi.yaml", policies_dir / "commercial" / "esi_copy.yaml")
    _edit(policies_dir / "commercial" / "esi_copy.yaml", lambda d: d.update(effective_from=datetime.date(2030, 1, 1)))
    with pytest.raises(PolicyFileError, match=r"esi_copy\.yaml: id: 'esi' is already"):
        load_policies(policies_dir)


# --- start-up ----------------------------------------------------------------------------------

def _manage(*args: str, env_extra: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(env_extra)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def _acme(root: Path) -> Path:
    payer = root / "acme"
    payer.mkdir(parents=True)
    (payer / "payer.yaml").write_text("key: acme\nname: Acme Health Plan\nrequires_auth_codes: ['99999']\n")
    (payer / "scs.yaml").write_text(
        "id: scs\npayer: acme\nname: SCS trial\nprocedure_type: scs_trial\nrequires_auth: true\n"
        "source: Acme policy 12\nversion: '1'\neffective_from: 2020-01-01\ncodes: [{cpt: '63650'}]\n"
        "criteria:\n  - {id: pain_duration, params: {months: 9}}\n  - {id: psych_evaluation}\n")
    return payer


def test_django_start_up_fails_on_a_malformed_file_naming_file_and_field(tmp_path):
    payer = _acme(tmp_path / "extra")
    (payer / "scs.yaml").write_text((payer / "scs.yaml").read_text().replace("months: 9", "months: nine"))
    done = _manage("check", env_extra={"PRIORAUTH_POLICY_DIRS": str(tmp_path / "extra")})
    assert done.returncode != 0
    assert f"{payer / 'scs.yaml'}: criteria[0].params.months: Input should be a valid number" in done.stderr


def test_a_practice_adds_a_payer_with_files_only(tmp_path):
    _acme(tmp_path / "extra")
    note = tmp_path / "note.txt"
    note.write_text("Date: 2025-01-06\nLow back pain for 10 months. Pain 7/10 today.\n")
    done = _manage("evaluate_prior_auth", "--note", str(note), "--cpt", "63650", "--payer", "acme",
                   "--date", "2025-02-01", env_extra={"PRIORAUTH_POLICY_DIRS": str(tmp_path / "extra")})
    assert done.returncode == 0, done.stderr
    import json
    result = json.loads(done.stdout)
    assert result["policy"] == "scs" and result["requires_auth"] is True
    assert [(c["id"], c["status"]) for c in result["criteria"]] == [
        ("pain_duration", "met"), ("psych_evaluation", "insufficient_documentation")]
