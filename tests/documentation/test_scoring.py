"""The facts scorer: atomic facts, set semantics, tolerances, and the CLI."""

import copy
import json

import pytest

from documentation.facts.schema import empty_facts
from documentation.facts.scoring import Counts, main, score

NOTE_DATE = "2025-06-02"


def _evidence(text: str) -> dict:
    return {"start": 0, "end": len(text), "text": text}


def example_facts() -> dict:
    """The spec's example, with a little of every list."""
    facts = empty_facts(NOTE_DATE)
    facts["pain"].update(regions=["lumbar"], laterality="left", duration_months=8, nrs_current=7, radicular=True)
    facts["conservative_care"] = [
        {"modality": "physical_therapy", "status": "completed", "weeks": 6, "response": "failed",
         "evidence": _evidence("6 weeks of PT")},
        {"modality": "nsaid", "status": "completed", "weeks": None, "response": "not_tolerated",
         "evidence": _evidence("ibuprofen")},
    ]
    facts["imaging"] = [{"modality": "mri", "region": "lumbar",
                         "findings": ["disc_herniation", "nerve_root_compression"], "evidence": _evidence("MRI")}]
    facts["prior_procedures"] = [
        {"type": "medial_branch_block", "relief_percent": 80, "relief_weeks": 0.04, "evidence": _evidence("MBB")},
        {"type": "medial_branch_block", "relief_percent": 90, "relief_weeks": 0.05, "evidence": _evidence("MBB")},
    ]
    facts["red_flags"] = [{"flag": "bowel_bladder_dysfunction", "present": False, "evidence": _evidence("Denies")}]
    facts["opioid_mme_per_day"] = 60
    facts["icd10_codes"] = ["M54.16", "M51.26"]
    return facts


def test_perfect_prediction_scores_f1_one_in_every_field_with_gold():
    gold = example_facts()

    report = score([(gold, copy.deepcopy(gold))])

    assert report.overall.f1 == 1.0
    assert report.overall.fp == report.overall.fn == 0
    # 4 pain scalars (axial is null) and the MME; 1 region; 3 + 2 care atoms; imaging's region and
    # 2 findings; 1 procedure type with 2 percents and 2 durations; 1 flag; 2 codes.
    assert report.overall.tp == 4 + 1 + 1 + 5 + 3 + 5 + 1 + 2
    assert report.fields["conservative_care"] == Counts(tp=5)
    assert report.notes[0].misses == []


def test_wrong_scalar_counts_one_false_positive_and_one_false_negative():
    gold = example_facts()
    predicted = copy.deepcopy(gold)
    predicted["pain"]["nrs_current"] = 6

    report = score([(gold, predicted)])

    assert report.fields["pain.nrs_current"] == Counts(tp=0, fp=1, fn=1)
    assert (report.overall.fp, report.overall.fn) == (1, 1)
    [miss] = report.notes[0].misses
    assert (miss.outcome, miss.fact, miss.gold, miss.predicted) == ("wrong", "pain.nrs_current", 7, 6)


def test_missing_list_entry_counts_one_false_negative():
    gold = example_facts()
    predicted = copy.deepcopy(gold)
    predicted["red_flags"] = []

    report = score([(gold, predicted)])

    assert report.fields["red_flags"] == Counts(tp=0, fp=0, fn=1)
    assert (report.overall.fp, report.overall.fn) == (0, 1)
    assert [miss.outcome for miss in report.notes[0].misses] == ["missed"]


def test_a_missing_conservative_care_entry_misses_each_of_its_atoms():
    gold = example_facts()
    predicted = copy.deepcopy(gold)
    predicted["conservative_care"] = predicted["conservative_care"][1:]

    report = score([(gold, predicted)])

    # physical therapy's status, weeks and response
    assert report.fields["conservative_care"] == Counts(tp=2, fp=0, fn=3)


def test_null_in_gold_and_prediction_is_no_fact():
    gold = example_facts()

    report = score([(gold, copy.deepcopy(gold))])

    assert report.fields["pain.axial"] == Counts()
    assert report.fields["psych_eval.cleared"] == Counts()
    assert report.fields["pain.axial"].f1 is None


def test_value_where_gold_is_null_is_a_false_positive():
    gold = example_facts()
    predicted = copy.deepcopy(gold)
    predicted["anticoagulated"] = False
    predicted["conservative_care"][1]["weeks"] = 4

    report = score([(gold, predicted)])

    assert report.fields["anticoagulated"] == Counts(fp=1)
    assert report.fields["conservative_care"] == Counts(tp=5, fp=1)


def test_false_is_a_value_not_an_absence():
    gold = example_facts()
    gold["pain"]["axial"] = False
    predicted = copy.deepcopy(gold)
    predicted["pain"]["axial"] = None

    assert score([(gold, predicted)]).fields["pain.axial"] == Counts(fn=1)


def test_a_boolean_never_matches_a_number():
    gold = example_facts()
    predicted = copy.deepcopy(gold)
    predicted["pain"]["radicular"] = 1

    assert score([(gold, predicted)]).fields["pain.radicular"] == Counts(fp=1, fn=1)


def test_lists_are_sets_order_and_duplicates_do_not_matter():
    gold = example_facts()
    predicted = copy.deepcopy(gold)
    for name in ("conservative_care", "imaging", "prior_procedures", "red_flags", "icd10_codes"):
        predicted[name] = list(reversed(predicted[name])) * 2
    predicted["imaging"][0]["findings"].reverse()
    predicted["pain"]["regions"] = ["lumbar", "lumbar"]
    predicted["icd10_codes"].append("m54.16 ")

    report = score([(gold, predicted)])

    assert report.overall.f1 == 1.0
    assert report.overall.tp == score([(gold, gold)]).overall.tp


def test_an_entry_repeated_with_another_value_adds_a_false_positive():
    gold = example_facts()
    predicted = copy.deepcopy(gold)
    planned_again = {**gold["conservative_care"][0], "status": "planned", "weeks": None, "response": None}
    predicted["conservative_care"].append(planned_again)

    report = score([(gold, predicted)])

    assert report.fields["conservative_care"] == Counts(tp=5, fp=1)


def test_two_procedures_of_one_type_are_one_type_atom_with_two_reliefs():
    gold = example_facts()
    predicted = copy.deepcopy(gold)
    predicted["prior_procedures"] = predicted["prior_procedures"][:1]

    report = score([(gold, predicted)])

    assert report.kinds["prior_procedures.type"] == Counts(tp=1)
    assert report.kinds["prior_procedures.relief_percent"] == Counts(tp=1, fn=1)
    assert report.kinds["prior_procedures.relief_weeks"] == Counts(tp=1, fn=1)


def test_imaging_findings_are_scored_one_by_one():
    gold = example_facts()
    predicted = copy.deepcopy(gold)
    predicted["imaging"][0]["findings"] = ["disc_herniation", "disc_bulge"]

    report = score([(gold, predicted)])

    assert report.kinds["imaging.findings"] == Counts(tp=1, fp=1, fn=1)
    assert report.kinds["imaging.region"] == Counts(tp=1)


def test_a_red_flag_recorded_present_instead_of_denied_is_wrong():
    gold = example_facts()
    predicted = copy.deepcopy(gold)
    predicted["red_flags"][0]["present"] = True

    report = score([(gold, predicted)])

    assert report.fields["red_flags"] == Counts(fp=1, fn=1)


@pytest.mark.parametrize(("path", "value", "matches"), [
    (("pain", "duration_months"), 8.1, True),
    (("pain", "duration_months"), 7.9, True),
    (("pain", "duration_months"), 8.2, False),
    (("opioid_mme_per_day",), 61, True),
    (("opioid_mme_per_day",), 58.5, False),
    (("conservative_care", 0, "weeks"), 6.1, True),
    (("conservative_care", 0, "weeks"), 5.8, False),
    (("prior_procedures", 0, "relief_weeks"), 0.1, True),
    (("prior_procedures", 0, "relief_weeks"), 0.2, False),
    (("pain", "nrs_current"), 7.0, True),
])
def test_numbers_match_within_their_tolerance(path, value, matches):
    gold = example_facts()
    predicted = copy.deepcopy(gold)
    node = predicted
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value

    report = score([(gold, predicted)])

    assert (report.overall.fp == 0) is matches
    assert report.overall.fn == (0 if matches else 1)


def test_empty_notes_score_nothing_and_a_guess_on_one_is_a_false_positive():
    empty = empty_facts(None)

    nothing = score([(empty, copy.deepcopy(empty))])
    assert nothing.overall == Counts()
    assert nothing.overall.precision is None and nothing.overall.f1 is None

    guessed = copy.deepcopy(empty)
    guessed["pain"]["regions"] = ["lumbar"]
    report = score([(empty, guessed)])
    assert report.overall == Counts(fp=1)
    assert report.overall.precision == 0.0


def test_a_missing_or_malformed_prediction_is_all_false_negatives():
    gold = example_facts()
    total = score([(gold, gold)]).overall.tp

    for predicted in ({}, {"pain": None, "conservative_care": [{"status": "completed"}], "icd10_codes": "M54.16"}):
        assert score([(gold, predicted)]).overall == Counts(fn=total)


def test_counts_add_up_over_notes_micro_averaged():
    gold = example_facts()
    wrong = copy.deepcopy(gold)
    wrong["pain"]["nrs_current"] = 3
    total = score([(gold, gold)]).overall.tp

    report = score([(gold, gold), (gold, wrong)], names=["a", "b"])

    assert report.overall == Counts(tp=2 * total - 1, fp=1, fn=1)
    assert [note.name for note in report.notes] == ["a", "b"]
    assert report.notes[0].misses == [] and len(report.notes[1].misses) == 1


def test_format_table_shows_every_field_and_the_overall_row():
    gold = example_facts()
    wrong = copy.deepcopy(gold)
    wrong["pain"]["nrs_current"] = 3

    report = score([(gold, wrong)], names=["example"])
    table = report.format_table()

    assert "pain.nrs_current" in table and "icd10_codes" in table
    assert table.splitlines()[-1].startswith("overall (micro)")
    assert "wrong     pain.nrs_current: gold 7, predicted 3" in report.format_misses()
    assert "conservative_care.weeks" in report.format_table(kinds=True)


def test_cli_scores_extract_facts_output_against_a_gold_folder(tmp_path, capsys):
    gold = example_facts()
    (tmp_path / "gold").mkdir()
    (tmp_path / "gold" / "example.json").write_text(json.dumps({"note_date": NOTE_DATE, "facts": gold}))
    (tmp_path / "gold" / "unpredicted.json").write_text(json.dumps({"note_date": None, "facts": empty_facts()}))
    wrong = copy.deepcopy(gold)
    wrong["opioid_mme_per_day"] = 90
    predictions = tmp_path / "predicted.jsonl"
    predictions.write_text(json.dumps({"source": "notes/example.txt", "facts": wrong}) + "\n")

    assert main([str(tmp_path / "gold"), str(predictions), "--misses"]) == 0

    out, err = capsys.readouterr()
    overall = next(line for line in out.splitlines() if line.startswith("overall"))
    total = score([(gold, gold)]).overall.tp
    assert overall.split()[2:5] == [str(total - 1), "1", "1"]
    assert "wrong     opioid_mme_per_day: gold 60, predicted 90" in out
    assert "no prediction for unpredicted" in err


def test_near_values_pair_with_their_closest_counterpart():
    gold = example_facts()
    gold["prior_procedures"][1]["relief_weeks"] = 0.12
    predicted = copy.deepcopy(gold)
    predicted["prior_procedures"][0]["relief_weeks"] = 0.1   # near both 0.04 (no) and 0.12 (yes)
    predicted["prior_procedures"][1]["relief_weeks"] = 0.04

    assert score([(gold, predicted)]).kinds["prior_procedures.relief_weeks"] == Counts(tp=2)
