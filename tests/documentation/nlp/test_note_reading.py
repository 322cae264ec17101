"""Sections and ConText scope: how the note is read before any fact is taken from it."""

from documentation.nlp.note import read_note


def test_soap_letters_open_their_sections():
    note = read_note("S: Neck pain for a year.\nO: Spurling negative.\nA: Cervical spondylosis.\nP: Cervical RFA.")
    assert [s.section for s in note.sentences if s.text[:2] not in {"S:", "O:", "A:", "P:"}] == [
        "history_of_present_illness", "physical_exam", "assessment", "plan"]


def test_a_plan_line_after_soap_letters_is_not_a_prior_procedure(facts_of):
    facts = facts_of("S: Low back pain, axial.\nA: Facet arthropathy.\nP: Bilateral L4-5 radiofrequency ablation.")
    assert facts["prior_procedures"] == []


def test_a_negation_ends_where_a_new_clause_about_the_patient_begins(facts_of):
    facts = facts_of("Neck pain without any arm symptoms, he underwent a C5-6 interlaminar epidural steroid injection "
                     "in March.")
    assert [p["type"] for p in facts["prior_procedures"]] == ["epidural_steroid_injection"]


def test_the_requested_levels_do_not_make_a_done_procedure_planned(facts_of):
    facts = facts_of("He had one medial branch block at the requested levels in May, with 85% relief for 5 hours.")
    assert [(p["type"], p["relief_percent"]) for p in facts["prior_procedures"]] == [("medial_branch_block", 85)]


def test_a_trigger_word_in_both_directions_reaches_either_side(facts_of):
    facts = facts_of("She tried tizanidine 2 mg at bedtime for three weeks.")
    assert next(c for c in facts["conservative_care"] if c["modality"] == "muscle_relaxant")["status"] == "completed"
