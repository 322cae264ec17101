"""The extractor's F1 on the development corpus may rise, never silently fall."""

from pathlib import Path

from documentation.nlp.evaluation import evaluate_corpus

CORPUS = Path(__file__).resolve().parent / "corpus"

# The level reached (bench/nlp_f1.py prints the table). Raise these when the extractor improves.
OVERALL_F1_FLOOR = 0.89
FIELD_F1_FLOORS = {
    "pain.laterality": 0.98,
    "pain.duration_months": 0.98,
    "pain.nrs_current": 0.89,
    "pain.radicular": 0.88,
    "pain.axial": 1.0,
    "function.odi_percent": 1.0,
    "function.ndi_percent": 1.0,
    "function.adl_limited": 1.0,
    "exam.straight_leg_raise": 1.0,
    "psych_eval.done": 1.0,
    "psych_eval.cleared": 1.0,
    "anticoagulated": 0.93,
    "opioid_mme_per_day": 0.91,
    "pain.regions": 0.93,
    "conservative_care": 0.76,
    "imaging": 0.91,
    "prior_procedures": 0.95,
    "red_flags": 0.98,
    "icd10_codes": 1.0,
}


def test_overall_and_key_field_f1_hold_their_level():
    report = evaluate_corpus(CORPUS)

    assert report.overall.f1 >= OVERALL_F1_FLOOR, report.format_table()
    for field, floor in FIELD_F1_FLOORS.items():
        assert report.fields[field].f1 >= floor, f"{field}\n{report.format_table()}"
