import datetime

import pytest

from tests.documentation.nlp.conftest import care


def test_spec_example_care(facts_of):
    facts = facts_of("Completed 6 weeks of PT without improvement; ibuprofen 800 mg TID caused GI upset.")
    assert care(facts, "physical_therapy") | {"evidence": None} == {
        "modality": "physical_therapy", "status": "completed", "weeks": 6.0, "response": "failed", "evidence": None}
    nsaid = care(facts, "nsaid")
    assert (nsaid["status"], nsaid["response"]) == ("completed", "not_tolerated")


def test_negation_scope_does_not_swallow_the_next_drug(facts_of):
    facts = facts_of("Tried ibuprofen without relief and gabapentin.")
    assert care(facts, "nsaid")["status"] == "completed"
    assert care(facts, "gabapentinoid")["status"] == "completed"


@pytest.mark.parametrize("note", [
    "Naproxen 500 mg twice daily for 3 months and gabapentin 300 mg three times daily gave minimal relief.",
    "Took naproxen for 3 months, and gabapentin, without relief.",
])
def test_a_predicate_shared_by_a_list_of_care_gives_each_its_duration_and_response(facts_of, note):
    facts = facts_of(note)
    for modality in ("nsaid", "gabapentinoid"):
        assert (care(facts, modality)["weeks"], care(facts, modality)["response"]) == (13.04, "failed"), modality


def test_each_item_of_a_list_keeps_what_its_own_part_says(facts_of):
    facts = facts_of("Tried ibuprofen 800 mg TID for 2 weeks and gabapentin 300 mg TID for 6 weeks without relief.")
    assert (care(facts, "nsaid")["weeks"], care(facts, "nsaid")["response"]) == (2.0, "failed")
    assert (care(facts, "gabapentinoid")["weeks"], care(facts, "gabapentinoid")["response"]) == (6.0, "failed")


def test_a_relative_clause_after_the_last_item_is_said_of_that_item_only(facts_of):
    facts = facts_of("Tried naproxen 500 mg BID for 3 months, a Medrol Dosepak, and gabapentin, which he stopped "
                     "after a month because it made him foggy.")
    assert care(facts, "nsaid")["weeks"] == 13.04
    assert (care(facts, "gabapentinoid")["weeks"], care(facts, "gabapentinoid")["response"]) == (4.34, "not_tolerated")
    assert care(facts, "oral_steroid")["weeks"] is None


def test_a_list_that_states_no_duration_leaves_one_said_after_its_predicate(facts_of):
    facts = facts_of("Massage and chiropractic failed over 6 weeks.")
    assert care(facts, "chiropractic")["weeks"] == 6.0


def test_a_duration_without_a_shared_predicate_stays_with_its_item(facts_of):
    facts = facts_of("Tried ibuprofen for 2 weeks and gabapentin.")
    assert care(facts, "nsaid")["weeks"] == 2.0
    assert care(facts, "gabapentinoid")["weeks"] is None


@pytest.mark.parametrize("note, modality, status", [
    ("No PT yet.", "physical_therapy", "not_done"),
    ("If no better, refer to PT.", "physical_therapy", "planned"),
    ("Physical therapy was not performed.", "physical_therapy", "not_done"),
    ("Will consider acupuncture.", "acupuncture", "planned"),
    ("Currently taking Neurontin 300 mg TID.", "gabapentinoid", "ongoing"),
    ("Completed chiropractic care with partial relief.", "chiropractic", "completed"),
])
def test_status(facts_of, note, modality, status):
    assert care(facts_of(note), modality)["status"] == status


def test_planned_care_has_no_weeks_or_response(facts_of):
    entry = care(facts_of("Plan: start PT 2x/week for 6 weeks."), "physical_therapy")
    assert entry["status"] == "planned"
    assert (entry["weeks"], entry["response"]) == (None, None)


@pytest.mark.parametrize("note, weeks", [
    ("Completed six weeks of physical therapy.", 6.0),
    ("PT for 6-8 weeks with some relief.", 6.0),
    ("Completed 8 visits of PT over 4 weeks.", 4.0),
    ("Completed 12 visits of PT.", None),
    ("Chiropractic care for 3 months.", 13.04),
])
def test_weeks(facts_of, note, weeks):
    assert facts_of(note)["conservative_care"][0]["weeks"] == weeks


def test_one_entry_per_modality_with_worst_response_and_longest_duration(facts_of):
    facts = facts_of("Ibuprofen for 4 weeks helped. Naproxen for 8 weeks caused GI upset.")
    nsaids = [c for c in facts["conservative_care"] if c["modality"] == "nsaid"]
    assert len(nsaids) == 1
    assert (nsaids[0]["weeks"], nsaids[0]["response"]) == (8.0, "not_tolerated")


@pytest.mark.parametrize("name, modality", [
    ("Norco", "opioid"), ("Neurontin", "gabapentinoid"), ("Cymbalta", "antidepressant"), ("Flexeril", "muscle_relaxant"),
    ("Lidoderm", "topical"), ("Medrol dose pack", "oral_steroid"), ("Celebrex", "nsaid"), ("Tylenol", "acetaminophen"),
])
def test_brand_names_map_to_their_class(facts_of, name, modality):
    assert care(facts_of(f"Tried {name} without relief."), modality) is not None


def test_family_history_care_is_ignored(facts_of):
    assert facts_of("Mother had physical therapy and gabapentin.")["conservative_care"] == []


def test_allergies_are_not_care(facts_of):
    assert facts_of("ALLERGIES: codeine, ibuprofen.")["conservative_care"] == []


@pytest.mark.parametrize("note, mme", [
    ("MEDICATIONS: oxycodone 10 mg q6h prn.", 60),
    ("MEDICATIONS: Norco 10/325 TID.", 30),
    ("MEDICATIONS: fentanyl patch 25 mcg/h every 72 hours.", 60),
    ("MEDICATIONS: tramadol 50 mg BID, hydromorphone 2 mg q4-6h prn.", 80),
    ("Current MME is 45 per day. Oxycodone 5 mg q6h.", 45),
    ("Stopped oxycodone last year.", None),
    ("No opioids.", None),
    # Epic's sig: the brand in brackets, numbers spelled out in brackets, a daily cap on the same line.
    ("Current Outpatient Medications\n•  oxyCODONE (ROXICODONE) 5 MG tablet, Take 1 tablet (5 mg total) by mouth every 6 (six) "
     "hours as needed for severe pain. Max Daily Amount: 20 mg\n", 30),
    ("MEDICATIONS: tramadol 50 MG tablet, Take 1 tablet by mouth 3 (three) times daily.", 30),
    ("Plan: proceed with the implant. Oxycodone 5 mg q6h prn continued for now.", 30),
    ("Plan: start oxycodone 5 mg q6h prn if the pain flares.", None),
    ("hydrocodone-acetaminophen 5-325 mg 1 tab q6h prn pain, max 4/day", 20),
    ("- Oxycodone 5 mg q4h prn after the TKA, weaned off by 6 weeks post-op.\n"
     "- Hydrocodone/APAP 5/325 mg, 1 tab q12h prn, for the past 4 months.", 10),
    ("Stopped gabapentin last month; still takes oxycodone 5 mg q6h prn.", 30),
    ("MEDICATIONS: Oxycodone 5 mg q6h prn, typically 2-3 tablets a day.", 30),
    ("MEDICATIONS: Norco 10/325 2 tablets daily.", 20),
    ("- Morphine ER 15 mg BID, tapered off 2024 because of constipation.\n- Current: oxycodone 5 mg q6h prn, max 3 tabs/day.\n"
     "Plan:\n- Continue oxycodone 5 mg q6h prn at current limit.", 22.5),
])
def test_opioid_mme(facts_of, note, mme):
    assert facts_of(note)["opioid_mme_per_day"] == mme


@pytest.mark.parametrize("note, anticoagulated", [
    ("MEDICATIONS: Eliquis 5 mg BID.", True),
    ("MEDICATIONS: clopidogrel 75 mg daily.", True),
    ("MEDICATIONS: aspirin 81 mg daily.", False),
    ("Not on any blood thinners.", False),
    ("MEDICATIONS: gabapentin.", None),
    ("FAMILY HISTORY: father on warfarin.", None),
    ("Anticoagulation: aspirin 81 mg daily only; no other antiplatelet or anticoagulant.", False),
])
def test_anticoagulation(facts_of, note, anticoagulated):
    assert facts_of(note)["anticoagulated"] is anticoagulated


@pytest.mark.parametrize("note, modality, status", [
    ("Chiropractic 6 visits in 2023, no lasting change; he still takes naproxen daily.", "chiropractic", "completed"),
    ("Medications: duloxetine 30 mg daily. Prior: PT last in 2021 for 6 weeks.", "physical_therapy", "completed"),
    ("Did acupuncture for a month last year with some benefit.", "acupuncture", "completed"),
    ("Currently in PT since 2024, twice a week.", "physical_therapy", "ongoing"),
    ("Chiropractic referral today.", "chiropractic", "planned"),
])
def test_a_course_placed_in_the_past_is_completed(facts_of, note, modality, status):
    assert care(facts_of(note), modality)["status"] == status


@pytest.mark.parametrize("note, modality, response", [
    ("Gabapentin has not helped.", "gabapentinoid", "failed"),
    ("He used a TENS unit for a while which he says was useless.", "tens", "failed"),
    ("Completed 6 weeks of PT; no meaningful gains.", "physical_therapy", "failed"),
    ("Meloxicam 15 mg daily, which he thinks helps a bit.", "nsaid", "partial"),
    ("Acetaminophen 1 g TID - continuing, helps some.", "acetaminophen", "partial"),
    ("Took prednisone for 10 days, which took the edge off.", "oral_steroid", "partial"),
    ("Goes for massage every week which helps for a day or so.", "massage", "partial"),
    ("Physiotherapy weekly for the past 12 weeks - improving.", "physical_therapy", "helped"),
    ("Ibuprofen 600 mg for 3 weeks, stopped for heartburn.", "nsaid", "not_tolerated"),
    ("She stopped cyclobenzaprine because of dry mouth.", "muscle_relaxant", "not_tolerated"),
    ("Tried Flexeril but it made him too sleepy to drive.", "muscle_relaxant", "not_tolerated"),
    # Stopping for a reason that is not the drug's effect says nothing about the response.
    ("Physical therapy: 6 visits, stopped because of a copay issue.", "physical_therapy", None),
])
def test_response_phrases(facts_of, note, modality, response):
    assert care(facts_of(note), modality)["response"] == response


@pytest.mark.parametrize("note, modality, status", [
    ("Celebrex 200 mg daily caused ankle swelling and was stopped.", "nsaid", "completed"),
    ("Stopped gabapentin 300 mg TID and now takes Lyrica 75 mg BID.", "gabapentinoid", "ongoing"),
    ("Tried: ibuprofen and naproxen with little benefit.", "nsaid", "completed"),
    ("Uses a TENS unit at work.", "tens", "ongoing"),
    ("Weekly acupuncture for the past 6 weeks - she feels it helps.", "acupuncture", "ongoing"),
    ("He has been pacing activities since May 2025.", "activity_modification", "ongoing"),
    ("She will continue pregabalin and her home exercises from therapy.", "home_exercise", "ongoing"),
    ("Plan: continue gabapentin 300 mg TID.", "gabapentinoid", "ongoing"),
    ("Meloxicam was avoided because of CKD stage 3.", "nsaid", "not_done"),
    ("NSAIDs are contraindicated (CKD).", "nsaid", "not_done"),
    ("NSAIDs have been avoided because of his kidneys and the apixaban.", "nsaid", "not_done"),
])
def test_status_phrases(facts_of, note, modality, status):
    assert care(facts_of(note), modality)["status"] == status


@pytest.mark.parametrize("note, modality, weeks", [
    # How often is not how long.
    ("Doing physiotherapy once a week for the past 12 weeks.", "physical_therapy", 12.0),
    ("Norco 10/325 three times a day.", "opioid", None),
    ("Goes for massage every week which helps for a day or so.", "massage", None),
    ("Duloxetine 30 mg daily (started 6 weeks ago, too early to judge).", "antidepressant", 6.0),
    ("Ultram 50 mg q6h prn since January for bad days.", "opioid", 21.7),
])
def test_weeks_are_the_course_not_a_frequency_or_the_relief(facts_of, note, modality, weeks):
    assert care(facts_of(note), modality)["weeks"] == weeks


@pytest.mark.parametrize("note", [
    "Hydrocodone-acetaminophen 10/325 q6h prn.",
    "Hydrocodone acetaminophen ten three twenty-five every six hours as needed.",
    "oxyCODONE/acetaminophen 5/325 mg BID.",
])
def test_a_combination_opioid_is_not_also_acetaminophen(facts_of, note):
    facts = facts_of(note)
    assert care(facts, "opioid") is not None
    assert care(facts, "acetaminophen") is None


def test_acetaminophen_taken_beside_an_opioid_is_acetaminophen(facts_of):
    facts = facts_of("Takes oxycodone 5 mg BID. Also acetaminophen 1 g TID.")
    assert care(facts, "acetaminophen")["status"] == "ongoing"


@pytest.mark.parametrize("note, expected", [
    ("Pain is 5/10 at rest and 8/10 with standing.", None),
    ("Worse with rest and better with walking.", None),
    ("Plan: rest from climbing for 2 weeks.", "planned"),
])
def test_rest_is_care_only_when_prescribed(facts_of, note, expected):
    entry = care(facts_of(note), "activity_modification")
    assert (entry and entry["status"]) == expected


@pytest.mark.parametrize("phrase, modality", [
    ("unloader braces", "bracing"), ("a lumbar corset", "bracing"), ("her home program", "home_exercise"),
    ("yoga", "home_exercise"), ("aquatic physical therapy", "physical_therapy"), ("ergonomic changes", "activity_modification"),
    ("osteopathic manipulation", "chiropractic"), ("cognitive-behavioral therapy", "cognitive_behavioral_therapy"),
])
def test_care_vocabulary(facts_of, phrase, modality):
    assert care(facts_of(f"She has tried {phrase}."), modality) is not None


def test_a_relatives_line_is_not_the_patients_care(facts_of):
    facts = facts_of("Family history:\n- Mother (58): lumbar fusion; takes oxycodone 15 mg every 4 hours and Lyrica daily.\n"
                     "- Father: diabetes.\nMedications: ibuprofen 400 mg prn.")
    assert [c["modality"] for c in facts["conservative_care"]] == ["nsaid"]
    assert facts["opioid_mme_per_day"] is None


@pytest.mark.parametrize("note", [
    "Pt c/o low back pain. pt reports 70% relief after the block.",
    "Pt states the injection helped.",
])
def test_pt_the_patient_is_not_physical_therapy(facts_of, note):
    assert care(facts_of(note), "physical_therapy") is None


@pytest.mark.parametrize("note, modality, status", [
    ("Meds: meloxicam 15 mg qd.\nPT x2 courses (2022, 2024), last one 6 wks, minimal help.", "physical_therapy", "completed"),
    ("Chiro ~6 months 2023, temporary relief only.", "chiropractic", "completed"),
    ("Gabapentin 800 mg TID since June 2022 - partial help.", "gabapentinoid", "ongoing"),
    # Epic's reconciliation: the list still names a drug the patient has stopped.
    ("HPI: back pain.\n\nCurrent Outpatient Medications\n•  cyclobenzaprine (FLEXERIL) 10 MG tablet, Take 1 tablet by mouth 3 (three) times daily "
     "as needed. Patient not taking: Reported on 2/3/2026\n•  gabapentin 300 MG capsule, Take 1 capsule 3 times daily.\n",
     "muscle_relaxant", "completed"),
])
def test_a_past_course_is_completed(facts_of, note, modality, status):
    assert care(facts_of(note), modality)["status"] == status


def test_where_a_home_program_came_from_is_not_more_care(facts_of):
    facts = facts_of("Completed pelvic floor PT x 8 weeks (Jun-Aug 2025).\nPlan: continue belt, HEP from PT.")
    assert care(facts, "physical_therapy")["status"] == "completed"
    assert care(facts, "home_exercise")["status"] == "ongoing"


def test_a_response_before_the_next_item_is_said_of_the_one_before(facts_of):
    facts = facts_of("She takes celecoxib 200 mg daily, which gives her a little relief, and acetaminophen 1 g TID.")
    assert care(facts, "nsaid")["response"] == "partial"
    assert care(facts, "acetaminophen")["response"] is None


def test_a_course_without_benefit_and_a_routine_kept_up(facts_of):
    facts = facts_of("She has completed two courses of physical therapy, most recently eight weeks ending in January, "
                     "without meaningful benefit, and she keeps up a daily walking and stretching routine.")
    assert care(facts, "physical_therapy")["response"] == "failed"
    assert care(facts, "home_exercise") | {"evidence": None} == {
        "modality": "home_exercise", "status": "ongoing", "weeks": None, "response": None, "evidence": None}


@pytest.mark.parametrize("note", [
    "Naproxen 500 mg BID x 4 months, stopped by cardiology d/t CHF/fluid retention.",
    "Meloxicam stopped for elevated creatinine.",
])
def test_more_side_effects(facts_of, note):
    assert care(facts_of(note), "nsaid")["response"] == "not_tolerated"


@pytest.mark.parametrize("note, modality, status, response", [
    ("Celecoxib 200 mg daily for about a year; stopped in June when her creatinine rose (CKD 3a).", "nsaid", "completed",
     "not_tolerated"),
    ("Hinged knee brace - gave up on it, too uncomfortable.", "bracing", "completed", "not_tolerated"),
    ("• SI / pelvic support belt for about two months - helps when walking.", "bracing", "ongoing", "helped"),
    ("He gets a massage every couple of weeks, which gives temporary relief.", "massage", "ongoing", "partial"),
    ("Gabapentin 600 mg TID, which he says does help and keeps him working.", "gabapentinoid", "ongoing", "helped"),
    ("Prednisone taper in May, about a week of benefit.", "oral_steroid", "completed", "partial"),
    ("NSAIDs avoided because of warfarin.", "nsaid", "not_done", None),
    ("| Chiropractor | summer 2025, about 6 visits | \"didnt do anything\" |", "chiropractic", "completed", "failed"),
    ("| Acupuncture | never tried | |", "acupuncture", "not_done", None),
    ("Discharge prescriptions:\n  4. Lidocaine 4% patch, 1 daily (OTC)\n", "topical", "ongoing", None),
    ("Continue the home neck exercises from PT.", "home_exercise", "ongoing", None),
])
def test_more_ways_notes_report_care(facts_of, note, modality, status, response):
    entry = care(facts_of(note), modality)
    assert (entry["status"], entry["response"]) == (status, response)


def test_a_bracketed_response_is_said_of_the_drug_before_it(facts_of):
    facts = facts_of("Current meds: oxycodone IR 10 mg BID, pregabalin 150 mg BID (takes the edge off the burning), "
                     "duloxetine 60 mg daily.")
    assert care(facts, "gabapentinoid")["response"] == "partial"
    assert care(facts, "antidepressant")["response"] is None
    assert care(facts, "opioid")["response"] is None


def test_lidocaine_injected_is_not_care(facts_of):
    assert care(facts_of("Skin infiltrated with 2 mL of 1% lidocaine."), "topical") is None


def test_a_stop_word_belongs_to_the_drug_before_it(facts_of):
    note = ("she tried flexeril but it made her to groggy to work so she stopped it her primary care also gave her "
            "tramadol 50 mg twice daily as needed which she uses mostly at night")
    assert facts_of(note)["opioid_mme_per_day"] == 20


@pytest.mark.parametrize("note, modality, status, weeks, response", [
    ("- Gabapentin 300 mg TID - helps some, no sedation", "gabapentinoid", "ongoing", None, "partial"),
    ("- Cyclobenzaprine 10 mg qhs - took it for 3 weeks, stopped on her own d/t morning hangover", "muscle_relaxant",
     "completed", 3.0, "not_tolerated"),
    ("- Chiropractic: two manipulation sessions in June 2024, each triggered a severe headache.", "chiropractic",
     "completed", None, "not_tolerated"),
    ('She did two courses of physical therapy, "about sixteen weeks altogether, and it didn\'t change a thing."',
     "physical_therapy", "completed", 16.0, "failed"),
    ("She has been going to PT twice a week since August 25 (six visits so far) and feels it is helping.",
     "physical_therapy", "ongoing", 5.42, "helped"),
    ("- Oxycodone-acetaminophen 5/325 mg, 1 tab q8h prn, uses 1-2 tablets a day.", "opioid", "ongoing", None, None),
])
def test_care_read_from_set_e(facts_of, note, modality, status, weeks, response):
    entry = care(facts_of(note, note_date=datetime.date(2025, 10, 2)), modality)
    assert (entry["status"], entry["weeks"], entry["response"]) == (status, weeks, response)


def test_pt_home_exercises_are_the_home_program(facts_of):
    facts = facts_of('Still doing her PT home exercises, "they help a little."')
    assert care(facts, "physical_therapy") is None
    assert care(facts, "home_exercise")["status"] == "ongoing"
