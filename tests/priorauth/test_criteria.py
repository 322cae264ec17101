"""The criteria engine against shared/specs/prior-auth-criteria.md: every criterion's boundaries,
merging notes (newest wins), frequency windows, codes without a policy, coverage information.

Pure: no database (these tests have no db fixture, so any query would fail them).
"""

from __future__ import annotations

import copy
import datetime
from typing import get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from documentation.facts.schema import ClinicalFacts, Finding, Modality, Procedure, RedFlag, Region, empty_facts
from priorauth.criteria import (
    INSUFFICIENT,
    MET,
    NOT_APPLICABLE,
    NOT_MET,
    STATUSES,
    NoteFactsInput,
    PastProcedure,
    coverage_information,
    evaluate,
    facts_of_one_note,
    merge_facts,
)
from priorauth.policies import load_policies

POLICIES = load_policies()
PLANNED = datetime.date(2025, 6, 2)
D = datetime.date


def span(text: str = "quoted", start: int = 0) -> dict:
    return {"start": start, "end": start + len(text), "text": text}


def care(modality="physical_therapy", status="completed", weeks=6, response="failed") -> dict:
    return {"modality": modality, "status": status, "weeks": weeks, "response": response,
            "evidence": span(f"{modality} {weeks} weeks")}


def imaging(modality="mri", region="lumbar", findings=("disc_herniation",)) -> dict:
    return {"modality": modality, "region": region, "findings": list(findings), "evidence": span(f"{modality} {region}")}


def prior(type_="epidural_steroid_injection", percent=None, weeks=None) -> dict:
    return {"type": type_, "relief_percent": percent, "relief_weeks": weeks, "evidence": span(f"{type_} {percent}%")}


def flag(name="bowel_bladder_dysfunction", present=False) -> dict:
    return {"flag": name, "present": present, "evidence": span(name)}


def facts(**changes) -> dict:
    """A ClinicalFacts document; dotted keys set scalars ("pain.radicular"), others replace lists."""
    document = empty_facts("2025-05-01")
    for key, value in changes.items():
        path = key.replace("__", ".")
        *parents, last = path.split(".")
        node = document
        for part in parents:
            node = node[part]
        node[last] = value
        if "." in path and value is not None and not isinstance(value, list):
            document["evidence"][path] = span(f"{path}={value}")
    ClinicalFacts.model_validate(document)  # the tests feed only documents the contract allows
    return document


def status(payer: str, cpt: str, criterion: str, document: dict, history=(), planned=PLANNED) -> str:
    return result(payer, cpt, criterion, document, history, planned).status


def result(payer, cpt, criterion, document, history=(), planned=PLANNED):
    evaluation = evaluate(payer=payer, cpt=cpt, facts=facts_of_one_note("n1", document), history=history,
                          planned=planned, policies=POLICIES)
    found = [c for c in evaluation.criteria if c.id == criterion]
    assert found, f"{criterion} not in {payer} {cpt}"
    return found[0]


# --- every criterion's boundaries ----------------------------------------------------------------

BOUNDARIES = [
    # pain_duration: commercial ESI 1.38 months, medicare ESI 0.92, facet 3, SCS 6 / 12
    ("commercial", "64483", "pain_duration", facts(pain__duration_months=1.38), MET),
    ("commercial", "64483", "pain_duration", facts(pain__duration_months=1.37), NOT_MET),
    ("commercial", "64483", "pain_duration", facts(), INSUFFICIENT),
    ("medicare", "64483", "pain_duration", facts(pain__duration_months=0.92), MET),
    ("medicare", "64483", "pain_duration", facts(pain__duration_months=0.91), NOT_MET),
    ("medicare", "64493", "pain_duration", facts(pain__duration_months=3), MET),
    ("medicare", "64493", "pain_duration", facts(pain__duration_months=2.99), NOT_MET),
    ("medicare", "63650", "pain_duration", facts(pain__duration_months=6), MET),
    ("medicare", "63650", "pain_duration", facts(pain__duration_months=5.99), NOT_MET),
    ("commercial", "63650", "pain_duration", facts(pain__duration_months=12), MET),
    ("commercial", "63650", "pain_duration", facts(pain__duration_months=11.9), NOT_MET),
    # conservative_care: commercial 6 weeks, medicare 4 weeks; FAILED definition
    ("commercial", "64483", "conservative_care", facts(conservative_care=[care(weeks=6)]), MET),
    ("commercial", "64483", "conservative_care", facts(conservative_care=[care(weeks=5.99)]), NOT_MET),
    ("medicare", "64483", "conservative_care", facts(conservative_care=[care(weeks=4)]), MET),
    ("medicare", "64483", "conservative_care", facts(conservative_care=[care(weeks=3.99)]), NOT_MET),
    ("commercial", "64483", "conservative_care", facts(conservative_care=[care(weeks=None)]), INSUFFICIENT),
    ("commercial", "64483", "conservative_care", facts(conservative_care=[care(weeks=3), care("nsaid", weeks=None)]),
     INSUFFICIENT),
    ("commercial", "64483", "conservative_care", facts(conservative_care=[care(weeks=3), care("nsaid", weeks=8)]), MET),
    ("commercial", "64483", "conservative_care", facts(conservative_care=[care(weeks=3), care("nsaid", weeks=5)]),
     NOT_MET),
    ("commercial", "64483", "conservative_care", facts(conservative_care=[care(status="ongoing", response="partial")]),
     MET),
    ("commercial", "64483", "conservative_care", facts(conservative_care=[care(response="not_tolerated")]), MET),
    ("commercial", "64483", "conservative_care", facts(conservative_care=[care(weeks=12, response="helped")]),
     INSUFFICIENT),
    ("commercial", "64483", "conservative_care", facts(conservative_care=[care(weeks=12, response=None)]),
     INSUFFICIENT),
    ("commercial", "64483", "conservative_care",
     facts(conservative_care=[care(status="planned", weeks=None, response=None)]), INSUFFICIENT),
    ("commercial", "64483", "conservative_care",
     facts(conservative_care=[care(status="not_done", weeks=None, response=None)]), INSUFFICIENT),
    ("commercial", "64483", "conservative_care", facts(), INSUFFICIENT),
    # pain_scale, function_scale
    ("commercial", "64483", "pain_scale", facts(pain__nrs_current=0), MET),
    ("commercial", "64483", "pain_scale", facts(), INSUFFICIENT),
    ("commercial", "64483", "function_scale", facts(function__odi_percent=0), MET),
    ("commercial", "64479", "function_scale", facts(function__ndi_percent=30), MET),
    ("commercial", "64483", "function_scale", facts(function__adl_limited=True), INSUFFICIENT),
    # no_red_flags
    ("medicare", "64483", "no_red_flags", facts(), MET),
    ("medicare", "64483", "no_red_flags", facts(red_flags=[flag(), flag("saddle_anesthesia")]), MET),
    ("medicare", "64483", "no_red_flags", facts(red_flags=[flag(), flag("history_of_cancer", True)]), NOT_MET),
    # radicular_pain, no_radiculopathy, axial_pain
    ("medicare", "64483", "radicular_pain", facts(pain__radicular=True), MET),
    ("medicare", "64483", "radicular_pain", facts(pain__radicular=False), NOT_MET),
    ("medicare", "64483", "radicular_pain", facts(), INSUFFICIENT),
    ("medicare", "64493", "no_radiculopathy", facts(pain__radicular=False), MET),
    ("medicare", "64493", "no_radiculopathy", facts(pain__radicular=True), NOT_MET),
    ("medicare", "64493", "no_radiculopathy", facts(), INSUFFICIENT),
    ("medicare", "64635", "axial_pain", facts(pain__axial=True), MET),
    ("medicare", "64635", "axial_pain", facts(pain__axial=False), NOT_MET),
    ("medicare", "64635", "axial_pain", facts(), INSUFFICIENT),
    # imaging_concordant: treated region per CPT, cross-sectional modality, concordant finding
    ("medicare", "64483", "imaging_concordant", facts(imaging=[imaging()]), MET),
    ("medicare", "64483", "imaging_concordant", facts(imaging=[imaging(region=None, findings=["central_stenosis"])]),
     MET),
    ("medicare", "62323", "imaging_concordant",
     facts(imaging=[imaging("ct_myelogram", findings=["spondylolisthesis"])]), MET),
    ("medicare", "64483", "imaging_concordant", facts(imaging=[imaging(region="cervical")]), INSUFFICIENT),
    ("medicare", "64483", "imaging_concordant", facts(imaging=[imaging("xray")]), INSUFFICIENT),
    ("medicare", "64483", "imaging_concordant", facts(imaging=[imaging("emg")]), INSUFFICIENT),
    ("medicare", "64483", "imaging_concordant", facts(imaging=[imaging(findings=["facet_arthropathy"])]), NOT_MET),
    ("medicare", "64483", "imaging_concordant",
     facts(imaging=[imaging(findings=["normal"]), imaging(region="cervical")]), NOT_MET),
    ("medicare", "64479", "imaging_concordant", facts(imaging=[imaging(region="thoracic", findings=["disc_bulge"])]),
     MET),
    ("medicare", "62321", "imaging_concordant", facts(imaging=[imaging()]), INSUFFICIENT),
    ("medicare", "64480", "imaging_concordant", facts(imaging=[imaging(region="cervical")]), MET),
    # si_location, provocative_tests
    ("medicare", "27096", "si_location", facts(pain__regions=["lumbar", "sacroiliac"]), MET),
    ("medicare", "27096", "si_location", facts(pain__regions=["lumbar"]), INSUFFICIENT),
    ("medicare", "G0260", "provocative_tests", facts(exam__si_provocative_positive=3), MET),
    ("medicare", "G0260", "provocative_tests", facts(exam__si_provocative_positive=2), NOT_MET),
    ("medicare", "G0260", "provocative_tests", facts(exam__si_provocative_positive=0), NOT_MET),
    ("medicare", "G0260", "provocative_tests", facts(), INSUFFICIENT),
    # repeat_relief: the policy's own procedure type; 50% and 13 weeks
    ("medicare", "64483", "repeat_relief", facts(), NOT_APPLICABLE),
    ("medicare", "64483", "repeat_relief", facts(prior_procedures=[prior("medial_branch_block", 10, 1)]),
     NOT_APPLICABLE),
    ("medicare", "64483", "repeat_relief", facts(prior_procedures=[prior(percent=50, weeks=13)]), MET),
    ("medicare", "64483", "repeat_relief", facts(prior_procedures=[prior(percent=49.9, weeks=20)]), NOT_MET),
    ("medicare", "64483", "repeat_relief", facts(prior_procedures=[prior(percent=80, weeks=12.99)]), NOT_MET),
    ("medicare", "64483", "repeat_relief", facts(prior_procedures=[prior(percent=0, weeks=None)]), NOT_MET),
    ("medicare", "64483", "repeat_relief", facts(prior_procedures=[prior(percent=80, weeks=None)]), INSUFFICIENT),
    ("medicare", "64483", "repeat_relief", facts(prior_procedures=[prior()]), INSUFFICIENT),
    ("medicare", "64483", "repeat_relief",
     facts(prior_procedures=[prior(percent=20, weeks=2), prior(percent=60, weeks=16)]), MET),
    ("medicare", "64483", "repeat_relief",
     facts(prior_procedures=[prior(percent=20, weeks=2), prior(percent=60, weeks=None)]), INSUFFICIENT),
    ("commercial", "27096", "repeat_relief", facts(prior_procedures=[prior(percent=90, weeks=30)]), NOT_APPLICABLE),
    ("commercial", "27096", "repeat_relief",
     facts(prior_procedures=[prior("si_joint_injection", percent=90, weeks=30)]), MET),
    ("commercial", "27096", "repeat_relief",
     facts(prior_procedures=[prior("si_joint_injection", percent=90, weeks=4)]), NOT_MET),
    # two_diagnostic_blocks: two medial branch blocks with 80%; not applicable after an ablation
    ("medicare", "64635", "two_diagnostic_blocks",
     facts(prior_procedures=[prior("medial_branch_block", 80), prior("medial_branch_block", 90, 1)]), MET),
    ("medicare", "64635", "two_diagnostic_blocks",
     facts(prior_procedures=[prior("medial_branch_block", 80), prior("medial_branch_block", 79.9, 1)]), NOT_MET),
    ("medicare", "64635", "two_diagnostic_blocks",
     facts(prior_procedures=[prior("medial_branch_block", 90)]), INSUFFICIENT),
    ("medicare", "64635", "two_diagnostic_blocks",
     facts(prior_procedures=[prior("medial_branch_block", 90), prior("medial_branch_block", None, 1)]),
     INSUFFICIENT),
    ("medicare", "64635", "two_diagnostic_blocks", facts(), INSUFFICIENT),
    ("medicare", "64635", "two_diagnostic_blocks",
     facts(prior_procedures=[prior("radiofrequency_ablation", 70, 40)]), NOT_APPLICABLE),
    # repeat_rfa_relief: 50% for 26 weeks
    ("commercial", "64633", "repeat_rfa_relief", facts(), NOT_APPLICABLE),
    ("commercial", "64633", "repeat_rfa_relief", facts(prior_procedures=[prior("radiofrequency_ablation", 50, 26)]),
     MET),
    ("commercial", "64633", "repeat_rfa_relief",
     facts(prior_procedures=[prior("radiofrequency_ablation", 50, 25.99)]), NOT_MET),
    ("commercial", "64633", "repeat_rfa_relief", facts(prior_procedures=[prior("radiofrequency_ablation", 49, 52)]),
     NOT_MET),
    ("commercial", "64633", "repeat_rfa_relief",
     facts(prior_procedures=[prior("radiofrequency_ablation", None, 30)]), INSUFFICIENT),
    # failed_therapies: two distinct FAILED modalities
    ("medicare", "63650", "failed_therapies", facts(conservative_care=[care(), care("opioid", weeks=None)]), MET),
    ("medicare", "63650", "failed_therapies", facts(conservative_care=[care(), care("opioid", response="helped")]),
     INSUFFICIENT),
    ("medicare", "63650", "failed_therapies", facts(), INSUFFICIENT),
    # psych_evaluation
    ("commercial", "63650", "psych_evaluation", facts(psych_eval__done=True, psych_eval__cleared=True), MET),
    ("commercial", "63650", "psych_evaluation", facts(psych_eval__done=True, psych_eval__cleared=False), NOT_MET),
    ("commercial", "63650", "psych_evaluation", facts(psych_eval__done=True), INSUFFICIENT),
    ("commercial", "63650", "psych_evaluation", facts(psych_eval__done=False, psych_eval__cleared=False),
     INSUFFICIENT),
    ("commercial", "63650", "psych_evaluation", facts(), INSUFFICIENT),
]


@pytest.mark.parametrize("payer, cpt, criterion, document, expected", BOUNDARIES,
                         ids=[f"{i}-{b[0]}-{b[1]}-{b[2]}-{b[4]}" for i, b in enumerate(BOUNDARIES)])
def test_criterion_boundaries(payer, cpt, criterion, document, expected):
    outcome = result(payer, cpt, criterion, document)
    assert outcome.status == expected
    if expected in (NOT_MET, INSUFFICIENT):
        assert outcome.missing and outcome.missing[0].isupper() and outcome.missing.endswith(".")
    else:
        assert outcome.missing is None


def test_a_met_criterion_carries_its_facts_and_the_note_evidence():
    document = facts(pain__duration_months=8.0, conservative_care=[care(weeks=3), care("nsaid", weeks=10)])
    duration = result("commercial", "64483", "pain_duration", document)
    assert duration.facts == {"pain.duration_months": 8.0}
    assert [e.as_dict() for e in duration.evidence] == [{"note": "n1", **span("pain.duration_months=8.0")}]
    conservative = result("commercial", "64483", "conservative_care", document)
    assert list(conservative.facts) == ["conservative_care[1]"]
    assert conservative.facts["conservative_care[1]"]["modality"] == "nsaid"
    assert [e.text for e in conservative.evidence] == ["nsaid 10 weeks"]


def test_missing_texts_tell_staff_what_to_document_or_what_contradicts():
    missing = result("commercial", "64483", "conservative_care", facts(conservative_care=[care(weeks=None)])).missing
    assert "weeks of physical therapy" in missing and "6" in missing
    contradicted = result("medicare", "64483", "no_red_flags",
                          facts(red_flags=[flag("saddle_anesthesia", True)])).missing
    assert "saddle anesthesia" in contradicted
    short = result("commercial", "64483", "pain_duration", facts(pain__duration_months=1.0)).missing
    assert "1 months" in short and "1.38" in short


# --- frequency ---------------------------------------------------------------------------------

def sessions(*days: str, cpt: str = "64483") -> list[PastProcedure]:
    return [PastProcedure(date=D.fromisoformat(day), cpt=cpt) for day in days]


FREQUENCY = [
    # medicare ESI: 4 sessions per 12 months, this one included
    ("medicare", "64483", sessions("2024-07-01", "2024-10-01", "2025-01-01"), MET),
    ("medicare", "64483", sessions("2024-07-01", "2024-10-01", "2025-01-01", "2025-04-01"), NOT_MET),
    # the window rolls back 12 months from the planned date; that day itself is outside it
    ("medicare", "64483", sessions("2024-06-02", "2024-10-01", "2025-01-01", "2025-04-01"), MET),
    ("medicare", "64483", sessions("2024-06-03", "2024-10-01", "2025-01-01", "2025-04-01"), NOT_MET),
    # every ESI code counts, and add-ons are not sessions: same day once, an add-on alone never
    ("medicare", "64483", [*sessions("2024-10-01", cpt="62323"), *sessions("2024-11-01", cpt="64479"),
                           *sessions("2025-01-01"), *sessions("2025-01-01", cpt="64484"),
                           *sessions("2025-02-01", cpt="64484")], MET),
    ("medicare", "64483", [*sessions("2024-10-01", cpt="62323"), *sessions("2024-11-01", cpt="64479"),
                           *sessions("2025-01-01"), *sessions("2025-02-01", cpt="62321")], NOT_MET),
    # other procedure types do not count; a session on the planned day is this one
    ("medicare", "64483", [*sessions("2024-10-01", "2024-11-01", "2024-12-01", cpt="64493"),
                           *sessions("2025-01-01", "2025-02-01", "2025-03-01", "2025-06-02")], MET),
    # sessions after the planned date are not history yet
    ("medicare", "64483", sessions("2025-01-01", "2025-02-01", "2025-03-01", "2025-07-01"), MET),
    # commercial ESI: 3 sessions per 6 months
    ("commercial", "64483", sessions("2025-01-01", "2025-03-01"), MET),
    ("commercial", "64483", sessions("2025-01-01", "2025-03-01", "2025-05-01"), NOT_MET),
    ("commercial", "64483", sessions("2024-12-02", "2025-03-01", "2025-05-01"), MET),
    # commercial facet: the medicare limit, 2 per 12 months
    ("commercial", "64493", sessions("2024-09-01", cpt="64490"), MET),
    ("commercial", "64493", sessions("2024-09-01", "2025-01-01", cpt="64490"), NOT_MET),
    ("commercial", "64635", sessions("2024-09-01", "2025-01-01", cpt="64493"), MET),
    ("medicare", "27096", sessions("2024-09-01", "2024-12-01", "2025-03-01", cpt="G0260"), MET),
    ("medicare", "27096", sessions("2024-09-01", "2024-12-01", "2025-03-01", "2025-05-01", cpt="G0260"), NOT_MET),
    ("medicare", "64483", [], MET),
]


@pytest.mark.parametrize("payer, cpt, history, expected", FREQUENCY, ids=[str(i) for i in range(len(FREQUENCY))])
def test_frequency_counts_sessions_in_the_rolling_window(payer, cpt, history, expected):
    outcome = result(payer, cpt, "frequency", facts(), history=history)
    assert outcome.status == expected
    assert outcome.facts["history.sessions"] == len(outcome.facts["history.dates"])


def test_frequency_window_clamps_to_the_end_of_a_shorter_month():
    outcome = result("commercial", "64483", "frequency", facts(), history=sessions("2025-02-28", "2025-03-01"),
                     planned=D(2025, 8, 31))
    assert outcome.facts["history.window_start"] == "2025-02-28"
    assert outcome.facts["history.dates"] == ["2025-03-01", "2025-08-31"]


# --- evaluations as a whole -------------------------------------------------------------------

def complete_esi_facts() -> dict:
    return facts(pain__regions=["lumbar"], pain__duration_months=7.0, pain__nrs_current=7, pain__radicular=True,
                 function__odi_percent=40, conservative_care=[care(weeks=8)], imaging=[imaging()], red_flags=[flag()])


@pytest.mark.parametrize("payer, requires_auth", [("medicare", False), ("commercial", True)])
def test_a_fully_documented_esi_is_ready(payer, requires_auth):
    evaluation = evaluate(payer=payer, cpt="64483", facts=facts_of_one_note("n1", complete_esi_facts()),
                          planned=PLANNED, policies=POLICIES)
    assert evaluation.ready and evaluation.requires_auth is requires_auth
    assert evaluation.policy.id == "esi" and evaluation.missing() == []
    as_dict = evaluation.as_dict()
    assert set(as_dict) == {"payer", "cpt", "requires_auth", "policy", "ready", "reason", "criteria"}
    assert set(as_dict["criteria"][0]) == {"id", "text", "status", "evidence", "facts", "missing"}
    assert {c["status"] for c in as_dict["criteria"]} == {MET, NOT_APPLICABLE}


def test_one_missing_fact_makes_it_not_ready_with_the_reason():
    document = complete_esi_facts()
    document["function"]["odi_percent"] = None
    evaluation = evaluate(payer="commercial", cpt="64483", facts=facts_of_one_note("n1", document), planned=PLANNED,
                          policies=POLICIES)
    assert not evaluation.ready
    assert [c.id for c in evaluation.criteria if c.status != MET and c.status != NOT_APPLICABLE] == ["function_scale"]
    assert "1 needing documentation" in evaluation.reason


@pytest.mark.parametrize("payer", ["medicare", "commercial"])
@pytest.mark.parametrize("cpt", ["64492", "64495"])
def test_third_level_facet_codes_are_not_covered(payer, cpt):
    evaluation = evaluate(payer=payer, cpt=cpt, facts=facts_of_one_note("n1", facts()), planned=PLANNED,
                          policies=POLICIES)
    assert evaluation.requires_auth is False and evaluation.policy is None and evaluation.criteria == ()
    assert evaluation.not_covered and evaluation.reason.startswith("not_covered: ")


@pytest.mark.parametrize("payer, cpt, requires_auth", [
    ("medicare", "63685", True), ("commercial", "63688", True), ("medicare", "99213", False),
    ("commercial", "20610", False),
])
def test_a_code_without_a_policy_answers_from_the_payer_list(payer, cpt, requires_auth):
    evaluation = evaluate(payer=payer, cpt=cpt, facts=facts_of_one_note("n1", facts()), planned=PLANNED,
                          policies=POLICIES)
    assert evaluation.policy is None and evaluation.criteria == () and evaluation.ready
    assert evaluation.requires_auth is requires_auth
    assert evaluation.as_dict()["policy"] is None


def test_before_any_policy_is_in_effect_there_is_none():
    evaluation = evaluate(payer="medicare", cpt="64493", facts=facts_of_one_note("n1", facts()),
                          planned=D(2019, 12, 31), policies=POLICIES)
    assert evaluation.policy is None and evaluation.requires_auth is False


# --- merging notes ------------------------------------------------------------------------------

def note(key: str, day: str | None, document: dict) -> NoteFactsInput:
    return NoteFactsInput(note=key, date=D.fromisoformat(day) if day else None, facts=document)


def test_the_newest_note_wins_per_scalar_and_an_older_value_fills_a_null():
    old = facts(pain__nrs_current=8, pain__duration_months=6.0, function__odi_percent=44)
    new = facts(pain__nrs_current=5)
    merged = merge_facts([note("new", "2025-05-01", new), note("old", "2025-01-01", old)])
    assert merged.facts["pain"]["nrs_current"] == 5 and merged.sources["pain.nrs_current"] == "new"
    assert merged.facts["pain"]["duration_months"] == 6.0 and merged.sources["pain.duration_months"] == "old"
    assert merged.evidence("function.odi_percent").note == "old"
    assert merged.facts["evidence"]["pain.nrs_current"]["text"] == "pain.nrs_current=5"
    assert merged.notes == ("old", "new") and merged.facts["note_date"] == "2025-05-01"


def test_a_newer_false_beats_an_older_true():
    merged = merge_facts([note("a", "2025-01-01", facts(pain__radicular=True)),
                          note("b", "2025-02-01", facts(pain__radicular=False))])
    assert merged.facts["pain"]["radicular"] is False and merged.sources["pain.radicular"] == "b"


def test_conservative_care_and_red_flags_take_the_newest_entry_per_modality_and_flag():
    old = facts(conservative_care=[care(weeks=4), care("nsaid", weeks=10)],
                red_flags=[flag("fever_or_infection", True), flag()])
    new = facts(conservative_care=[care(weeks=12)], red_flags=[flag("fever_or_infection", False)])
    merged = merge_facts([note("old", "2025-01-01", old), note("new", "2025-03-01", new)])
    by_modality = {e["modality"]: e["weeks"] for e in merged.facts["conservative_care"]}
    assert by_modality == {"physical_therapy": 12, "nsaid": 10}
    flags = {e["flag"]: e["present"] for e in merged.facts["red_flags"]}
    assert flags == {"fever_or_infection": False, "bowel_bladder_dysfunction": False}
    index = [e["modality"] for e in merged.facts["conservative_care"]].index("nsaid")
    assert merged.sources[f"conservative_care[{index}]"] == "old"
    assert status("medicare", "64483", "no_red_flags", facts()) == MET


def test_imaging_and_prior_procedures_are_the_union_without_duplicates():
    first = facts(imaging=[imaging()], prior_procedures=[prior("medial_branch_block", 80, 0.1)])
    second = facts(imaging=[imaging(), imaging("ct", "cervical", ["disc_bulge"])],
                   prior_procedures=[prior("medial_branch_block", 80, 0.1), prior("medial_branch_block", 90, 0.1)])
    merged = merge_facts([note("one", "2025-01-01", first), note("two", "2025-02-01", second)])
    assert len(merged.facts["imaging"]) == 2 and len(merged.facts["prior_procedures"]) == 2
    assert {merged.sources["imaging[0]"], merged.sources["imaging[1]"]} == {"two"}
    evaluation = evaluate(payer="medicare", cpt="64635", facts=merged, planned=PLANNED, policies=POLICIES)
    blocks = next(c for c in evaluation.criteria if c.id == "two_diagnostic_blocks")
    assert blocks.status == MET and {e.note for e in blocks.evidence} == {"two"}


def test_undated_notes_count_as_oldest_and_equal_dates_go_by_order():
    dated = facts(pain__nrs_current=4)
    undated = facts(pain__nrs_current=9)
    undated["note_date"] = None
    assert merge_facts([note("dated", "2025-01-01", dated), note("undated", None, undated)]) \
        .facts["pain"]["nrs_current"] == 4
    # a note given without a date falls back to the date its facts state
    stated = facts(pain__nrs_current=2)
    stated["note_date"] = "2026-01-01"
    assert merge_facts([note("stated", None, stated), note("dated", "2025-01-01", dated)]) \
        .facts["pain"]["nrs_current"] == 2
    same_day = merge_facts([note("a", "2025-01-01", facts(pain__nrs_current=1)),
                            note("b", "2025-01-01", facts(pain__nrs_current=3))])
    assert same_day.facts["pain"]["nrs_current"] == 3


def test_merging_does_not_change_the_inputs():
    document = complete_esi_facts()
    before = copy.deepcopy(document)
    merged = merge_facts([note("a", "2025-01-01", document)])
    merged.facts["conservative_care"][0]["weeks"] = 99
    assert document == before


# --- coverage information (CRD shape) -----------------------------------------------------------

def test_coverage_information_for_a_policy_needing_authorization():
    info = coverage_information(payer="commercial", cpt="64493", on=PLANNED, policies=POLICIES).as_dict()
    assert info["covered"] == "covered" and info["pa-needed"] == "auth-needed"
    assert info["doc-needed"] == "clinical" and info["doc-purpose"] == "withpa" and info["info-needed"] is None
    assert info["requires_auth"] is True and info["policy_id"] == "medial_branch_block"
    assert info["billingCode"] == {"system": "http://www.ama-assn.org/go/cpt", "code": "64493"}
    assert info["date"] == "2025-06-02" and info["reason"]["text"]
    assert len(info["documentation"]) == 7
    assert any("6 weeks" in line for line in info["documentation"])


def test_coverage_information_without_authorization_and_not_covered():
    esi = coverage_information(payer="medicare", cpt="64483", on=PLANNED, policies=POLICIES)
    assert esi.as_dict()["pa-needed"] == "no-auth" and esi.as_dict()["doc-purpose"] == "withclaim"
    assert esi.policy.source_url.endswith("39240")
    extension = esi.as_extension("Coverage/123")
    urls = [part["url"] for part in extension["extension"]]
    assert extension["url"].endswith("ext-coverage-information")
    assert urls[:2] == ["coverage", "covered"] and "pa-needed" in urls and "policy" in urls and "date" in urls
    facet = coverage_information(payer="medicare", cpt="64495", on=PLANNED, policies=POLICIES)
    assert facet.as_dict()["covered"] == "not-covered" and facet.as_dict()["pa-needed"] is None
    assert facet.requires_auth is False and "pa-needed" not in [p["url"] for p in facet.as_extension()["extension"]]
    hcpcs = coverage_information(payer="commercial", cpt="G0260", on=PLANNED, policies=POLICIES)
    assert hcpcs.billing_code()["system"].startswith("https://www.cms.gov")
    listed = coverage_information(payer="medicare", cpt="63685", on=PLANNED, policies=POLICIES)
    assert listed.requires_auth and listed.policy is None and listed.documentation == ()


# --- property: never raises; ready iff nothing blocks ---------------------------------------------

_evidence = st.builds(lambda start, text: {"start": start, "end": start + len(text), "text": text},
                      st.integers(0, 500), st.text(max_size=8))
_maybe_weeks = st.none() | st.floats(0, 60, allow_nan=False)
_maybe_percent = st.none() | st.floats(0, 100, allow_nan=False)
_clinical_facts = st.fixed_dictionaries({
    "note_date": st.none() | st.dates(D(2020, 1, 1), D(2026, 12, 31)).map(D.isoformat),
    "pain": st.fixed_dictionaries({
        "regions": st.lists(st.sampled_from(get_args(Region)),
                            max_size=3, unique=True),
        "laterality": st.sampled_from([None, "left", "right", "bilateral"]),
        "duration_months": st.none() | st.floats(0, 400, allow_nan=False),
        "nrs_current": st.none() | st.integers(0, 10),
        "radicular": st.sampled_from([None, True, False]),
        "axial": st.sampled_from([None, True, False]),
    }),
    "function": st.fixed_dictionaries({"odi_percent": _maybe_percent, "ndi_percent": _maybe_percent,
                                       "adl_limited": st.sampled_from([None, True, False])}),
    "conservative_care": st.lists(st.fixed_dictionaries({
        "modality": st.sampled_from(get_args(Modality)),
        "status": st.sampled_from(["completed", "ongoing", "not_done", "planned"]),
        "weeks": _maybe_weeks, "response": st.sampled_from([None, "failed", "partial", "helped", "not_tolerated"]),
        "evidence": _evidence}), max_size=4),
    "imaging": st.lists(st.fixed_dictionaries({
        "modality": st.sampled_from(["mri", "ct", "xray", "ct_myelogram", "emg"]),
        "region": st.none() | st.sampled_from(get_args(Region)),
        "findings": st.lists(st.sampled_from(get_args(Finding)), max_size=3, unique=True),
        "evidence": _evidence}), max_size=3),
    "prior_procedures": st.lists(st.fixed_dictionaries({
        "type": st.sampled_from(get_args(Procedure)),
        "relief_percent": _maybe_percent, "relief_weeks": _maybe_weeks, "evidence": _evidence}), max_size=4),
    "exam": st.fixed_dictionaries({"straight_leg_raise": st.sampled_from([None, "positive", "negative"]),
                                   "si_provocative_positive": st.none() | st.integers(0, 5)}),
    "psych_eval": st.fixed_dictionaries({"done": st.sampled_from([None, True, False]),
                                         "cleared": st.sampled_from([None, True, False])}),
    "red_flags": st.lists(st.fixed_dictionaries({
        "flag": st.sampled_from(get_args(RedFlag)),
        "present": st.booleans(), "evidence": _evidence}), max_size=3),
    "anticoagulated": st.sampled_from([None, True, False]),
    "opioid_mme_per_day": st.none() | st.floats(0, 300, allow_nan=False),
    "icd10_codes": st.lists(st.sampled_from(["M54.16", "M47.816"]), max_size=2, unique=True),
    "evidence": st.dictionaries(st.sampled_from(["pain.nrs_current", "pain.radicular", "pain.duration_months"]),
                                _evidence, max_size=3),
})
_CODES = sorted({(p.payer, cpt) for p in POLICIES.policies() for cpt in p.cpt_codes}
                | {("medicare", "64492"), ("commercial", "64495"), ("medicare", "99213")})
_history = st.lists(st.builds(PastProcedure, st.dates(D(2024, 1, 1), D(2026, 12, 31)),
                              st.sampled_from(["64483", "62321", "64484", "64493", "64635", "27096", "99213"])),
                    max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents=st.lists(_clinical_facts, min_size=1, max_size=3), code=st.sampled_from(_CODES), history=_history,
       planned=st.dates(D(2020, 1, 1), D(2026, 12, 31)))
def test_evaluate_never_raises_and_ready_means_nothing_blocks(documents, code, history, planned):
    for document in documents:
        ClinicalFacts.model_validate(document)
    merged = merge_facts([NoteFactsInput(note=f"n{i}", date=None, facts=d) for i, d in enumerate(documents)])
    payer, cpt = code
    evaluation = evaluate(payer=payer, cpt=cpt, facts=merged, history=history, planned=planned, policies=POLICIES)
    statuses = [c.status for c in evaluation.criteria]
    assert all(s in STATUSES for s in statuses)
    assert evaluation.ready == (not any(s in (NOT_MET, INSUFFICIENT) for s in statuses))
    for criterion in evaluation.criteria:
        assert (criterion.missing is None) == (criterion.status in (MET, NOT_APPLICABLE))
    evaluation.as_dict()
