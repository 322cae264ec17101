"""The extractor's F1 on the development corpus may rise, never silently fall."""

from pathlib import Path

from documentation.nlp.evaluation import evaluate_corpus

CORPUS = Path(__file__).resolve().parent / "corpus"

# The level reached (bench/nlp_f1.py prints the table). Raise these when the extractor improves.
OVERALL_F1_FLOOR = 0.80
FIELD_F1_FLOORS = {
    "pain.nrs_current": 0.88,
    "icd10_codes": 1.0,
    "imaging": 0.90,
    "exam.straight_leg_raise": 1.0,
}


def test_overall_and_key_field_f1_hold_their_level():
    report = evaluate_corpus(CORPUS)

    assert report.overall.f1 >= OVERALL_F1_FLOOR, report.format_table()
    for field, floor in FIELD_F1_FLOORS.items():
        assert report.fields[field].f1 >= floor, f"{field}\n{report.format_table()}"
