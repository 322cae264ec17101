import pytest


@pytest.mark.parametrize("note, done, cleared", [
    ("Pre-implant psychological evaluation was done in May. The psychologist found him an appropriate candidate.", True, True),
    ("Psych eval completed last month; psychology recommends proceeding with the stimulator trial.", True, True),
    ("Behavioral health evaluation performed 04/2025: no psychological contraindication to neuromodulation.", True, True),
    ("Psychological assessment: done 02/10/2025.\nShe was cleared for a spinal cord stimulator trial.", True, True),
    ("Psychology clearance is on file from March.", True, True),
    ("He was psychologically cleared for implantation by Dr. Lowe.", True, True),
    ("Psych evaluation was completed in January. The psychologist did not clear him for a trial and advised CBT first.",
     True, False),
    ("The psychological evaluation was performed; he is not a suitable candidate until his depression is treated.",
     True, False),
    ("Psychological testing done. Clearance was deferred pending treatment of PTSD.", True, False),
    ("She has not had a psychological evaluation yet.", False, None),
    ("Psych evaluation pending; will proceed once cleared.", False, None),
    ("Pre-SCS psychological evaluation completed 02/20/2026 by Dr. Halvorsen (BDI-II 14). Impression: mild depressive "
     "symptoms, realistic expectations. Cleared for SCS trial.", True, True),
    ("Pre-implant psychological evaluation completed 11/4/2025 (clinical interview, MMPI-2-RF, PHQ-9). PHQ-9 8 (mild). "
     "Pain Catastrophizing Scale 24. No active substance use disorder. Expectations realistic. Good social support. "
     'Conclusion: "no psychological contraindication to proceed with a trial of spinal cord stimulation."', True, True),
])
def test_psych_clearance_phrasings(facts_of, note, done, cleared):
    assert facts_of(note)["psych_eval"] == {"done": done, "cleared": cleared}


def test_other_clearances_are_not_psychological(facts_of):
    note = "Psych eval completed 05/2025, report not yet received. Medically cleared by cardiology for the procedure."
    assert facts_of(note)["psych_eval"]["cleared"] is None


def test_a_header_word_inside_a_sentence_does_not_open_a_section():
    from documentation.nlp.note import read_note

    note = read_note("Neuropsychological assessment: normal memory.\nHe walks daily.")
    assert {sentence.section for sentence in note.sentences} == {None}


def test_a_psychologists_letter_states_its_result_far_from_the_evaluation(facts_of):
    note = ("Thank you for referring Ms. F for pre-implant psychological evaluation. I saw her for a 90-minute interview.\n\n"
            "Pain history\nSeven years of back and leg pain after a fusion.\n\nTesting\nBDI-II 14, PCS 22.\n\n"
            "Recommendation\nFrom a psychological standpoint, Ms. F is cleared to proceed with the spinal cord stimulator trial.")
    assert facts_of(note)["psych_eval"] == {"done": True, "cleared": True}


def test_medical_clearance_far_from_a_psych_evaluation_is_not_psychological(facts_of):
    note = "Psych evaluation pending.\n\nCardiology: medically cleared to proceed."
    assert facts_of(note)["psych_eval"] == {"done": False, "cleared": None}


def test_cleared_for_a_trial_is_a_clearance_and_not_a_prior_trial(facts_of):
    facts = facts_of("Failed medications, PT and two epidural injections. Psychological evaluation completed, "
                     "cleared for spinal cord stimulator trial.")
    assert facts["psych_eval"] == {"done": True, "cleared": True}
    assert "scs_trial" not in {p["type"] for p in facts["prior_procedures"]}
