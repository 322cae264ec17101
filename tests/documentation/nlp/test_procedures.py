import pytest


def relief(facts: dict) -> list[tuple]:
    return sorted((p["type"], p["relief_percent"], p["relief_weeks"]) for p in facts["prior_procedures"])


@pytest.mark.parametrize("note, expected", [
    # relief told in the sentences after the procedure
    ("She had a right L5-S1 transforaminal epidural steroid injection in May. Her diary shows 70% relief for 10 days.",
     [("epidural_steroid_injection", 70, 1.43)]),
    ("He returns after a left genicular nerve block. Unfortunately the block gave him no relief at all.",
     [("genicular_block", 0, None)]),
    # a year before a dash is not a range
    ("Prior: right SI joint injection 2022 - 60% relief for 4 months.", [("si_joint_injection", 60, 17.38)]),
    # a percent with how long it lasted, without the word relief
    ("L facet injection 02/2025: 40% x 3 weeks.", [("facet_injection", 40, 3)]),
    ("Cervical RFA in 2023 gave about half relief for six months.", [("radiofrequency_ablation", 50, 26.07)]),
    # a duration of relief without a percent
    ("Two sets of trigger point injections, each giving about two days of relief.",
     [("trigger_point_injection", None, 0.29), ("trigger_point_injection", None, 0.29)]),
])
def test_relief_in_its_common_wordings(facts_of, note, expected):
    assert relief(facts_of(note)) == expected


def test_sessions_listed_with_their_own_relief(facts_of):
    note = ("He has had two diagnostic medial branch blocks: on 03/03 with lidocaine, 75% relief for 2 hours, "
            "and on 03/24 with bupivacaine, 85% relief for 5 hours.")
    assert relief(facts_of(note)) == [("medial_branch_block", 75, 0.01), ("medial_branch_block", 85, 0.03)]


def test_a_heading_naming_the_procedure_is_not_another_session(facts_of):
    facts = facts_of("Prior RFAs: left L4-L5 RFA x2 in 2022 - 70% for 6 months each.")
    assert relief(facts) == [("radiofrequency_ablation", 70, 26.07)] * 2


def test_relief_of_a_later_drug_is_not_the_procedure_s(facts_of):
    facts = facts_of("He had a lumbar ESI last year. Gabapentin gave 30% relief for a month.")
    assert relief(facts) == [("epidural_steroid_injection", None, None)]


def test_a_later_sentence_about_another_kind_of_procedure_is_not_this_one_s(facts_of):
    facts = facts_of("Right L3-L5 radiofrequency ablation in 2021. A shot in his hip last month gave 80% relief.")
    assert relief(facts) == [("radiofrequency_ablation", None, None)]


@pytest.mark.parametrize("note, relief", [
    ("s/p MBB #1 10/02/25 (bupi 0.5%): 80% relief x 6 hrs per diary.", 80.0),
    ("R C3-C6 MBB #1, 0.5 mL 2% lidocaine per level - diary: 85% relief, lasted 2 hours.", 85.0),
])
def test_an_anaesthetics_strength_is_not_relief(facts_of, note, relief):
    assert facts_of(note)["prior_procedures"][0]["relief_percent"] == relief


@pytest.mark.parametrize("note", [
    "Pre-procedure H&P\n67M for L T10-11 TFESI today. Radicular pain x 5 mo.",
    "A/P:\n- 2 concordant MBBs, meets criteria -> bilat L3-L5 RFA, precert\n- RTC 4 wks after RFA",
    "Meets criteria for SCS trial: neuropathic pain, failed conservative care.",
])
def test_the_procedure_of_the_day_or_of_the_plan_is_not_prior(facts_of, note):
    assert {p["type"] for p in facts_of(note)["prior_procedures"]} <= {"medial_branch_block"}


def test_a_procedure_headed_in_a_later_call_was_done_before_it(facts_of):
    note = "Call date/time: 3/18/2026 10:42\nProcedure: Left L4-5 interlaminar ESI on 3/16/2026, Dr. Sato\nDoing well."
    assert [p["type"] for p in facts_of(note)["prior_procedures"]] == ["epidural_steroid_injection"]


def test_the_procedure_a_procedure_note_records_is_not_prior(facts_of):
    note = "Date of service: 3/16/2026\nProcedure: Left L4-5 interlaminar ESI, Dr. Sato\nTolerated well."
    assert facts_of(note)["prior_procedures"] == []


def test_a_failed_back_surgery_with_a_pain_score_today_is_still_a_surgery(facts_of):
    facts = facts_of("54F, failed back surgery (L5-S1 fusion 2020), persistent right leg > back pain, 7/10 today.")
    assert [p["type"] for p in facts["prior_procedures"]] == ["spine_surgery"]


def test_a_level_range_is_not_a_count_and_a_title_does_not_end_the_clause(facts_of):
    note = ("She had a right L3-4 transforaminal epidural steroid injection with Dr. Ibsen in June 2025 and reports "
            "approximately 40% improvement in the leg pain lasting about 6 weeks.")
    assert relief(facts_of(note)) == [("epidural_steroid_injection", 40.0, 6.0)]


def test_a_block_outside_the_contract_keeps_its_own_relief(facts_of):
    note = ('Procedures:\n10/15/25 R T6 + T7 intercostal nerve blocks (bupivacaine/dex) - ~60% relief for ten days\n'
            '11/05/25 R T6-7 transforaminal ESI - "maybe 30%", lasted about 2 weeks\n')
    assert relief(facts_of(note)) == [("epidural_steroid_injection", 30.0, 2.0)]


def test_joint_injections_are_not_prior_procedures(facts_of):
    facts = facts_of("Had a series of three hyaluronic acid injections and a hip injection last year.")
    assert facts["prior_procedures"] == []


def test_a_payer_denying_the_repeat_does_not_undo_the_first(facts_of):
    note = ("Bilateral L4-5 and L5-S1 radiofrequency ablation in April 2023 gave about 50% relief for six months; "
            "the repeat was denied by his insurer.")
    assert relief(facts_of(note)) == [("radiofrequency_ablation", 50.0, 26.07)]


@pytest.mark.parametrize("note", [
    "Requested procedure: Bilateral L4-L5 and L5-S1 lumbar medial branch blocks (diagnostic, 1st block).",
    "Referring him back to you for consideration of a diagnostic left SI joint injection.",
    "Reason for visit: right knee pain. Review of the genicular nerve block results, discuss RFA.",
])
def test_requested_and_considered_procedures_are_not_prior(facts_of, note):
    assert {p["type"] for p in facts_of(note)["prior_procedures"]} <= {"genicular_block"}


@pytest.mark.parametrize("note", [
    # the demo's Novak note: the evaluation was completed; the trial is what it clears him for
    "Psychological evaluation completed, cleared for spinal cord stimulator trial.",
    "Had his psychology visit last week and is a candidate for an SCS trial.",
    "She completed her labs, scheduled for a right SI joint injection.",
    "Received medical clearance, awaiting the lumbar RFA.",
])
def test_a_procedure_a_past_step_leads_to_is_not_prior(facts_of, note):
    assert facts_of(note)["prior_procedures"] == []


def test_a_procedure_done_after_another_step_is_still_prior(facts_of):
    facts = facts_of("Psychological evaluation completed. Underwent an SCS trial in 2024 with 60% relief.")
    assert relief(facts) == [("scs_trial", 60, None)]
