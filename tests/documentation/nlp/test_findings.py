import pytest


def test_imaging_modality_region_and_findings(facts_of):
    facts = facts_of("MRI lumbar spine 3/2025: L4-5 disc herniation contacting the L5 root. No central stenosis.")
    [study] = facts["imaging"]
    assert (study["modality"], study["region"]) == ("mri", "lumbar")
    assert set(study["findings"]) == {"disc_herniation", "nerve_root_compression"}


def test_imaging_not_performed_or_planned_is_not_recorded(facts_of):
    assert facts_of("MRI was not performed. Will order a CT scan.")["imaging"] == []


def test_imaging_section_spans_lines(facts_of):
    facts = facts_of("IMAGING:\nCervical MRI 2/2024:\nC5-6 broad-based disc bulge.\nModerate foraminal stenosis.")
    [study] = facts["imaging"]
    assert study["region"] == "cervical"
    assert set(study["findings"]) == {"disc_bulge", "foraminal_stenosis"}


def test_prior_procedure_relief(facts_of):
    [entry] = facts_of("Prior L4-5 TFESI gave eighty percent relief for three months.")["prior_procedures"]
    assert (entry["type"], entry["relief_percent"], entry["relief_weeks"]) == ("epidural_steroid_injection", 80, 13.04)


@pytest.mark.parametrize("note, percent, weeks", [
    ("RFA in 2023 with no relief.", 0, None),
    ("Medial branch block with 50-60% relief lasting 6 hours.", 50, 0.04),
    ("SI joint injection 6 months ago gave 70% relief for 2 weeks.", 70, 2.0),
])
def test_relief_forms(facts_of, note, percent, weeks):
    [entry] = facts_of(note)["prior_procedures"]
    assert (entry["relief_percent"], entry["relief_weeks"]) == (percent, weeks)


def test_two_blocks_are_two_entries(facts_of):
    facts = facts_of("She had two medial branch blocks.")
    assert [p["type"] for p in facts["prior_procedures"]] == ["medial_branch_block"] * 2


@pytest.mark.parametrize("note", [
    "Will schedule an L5-S1 ESI.", "Mother had back surgery.", "No prior injections or ESI.",
    "Will consider RFA if the blocks help.",
])
def test_not_prior_procedures(facts_of, note):
    assert facts_of(note)["prior_procedures"] == []


@pytest.mark.parametrize("note, slr, si", [
    ("Straight leg raise positive on the left.", "positive", None),
    ("SLR negative bilaterally.", "negative", None),
    ("Positive FABER and Gaenslen, negative thigh thrust.", None, 2),
    ("FABER, Gaenslen and thigh thrust all positive.", None, 3),
    ("SI provocative tests negative.", None, 0),
    ("3/5 SI provocative tests positive.", None, 3),
    ("Spurling positive.", None, None),
    ("SI provocation: 3 of 5 positive.", None, 3),
    ("Two of the five SI provocation tests were positive.", None, 2),
    ("FABER +R, Gaenslen +R, thigh thrust neg.", None, 2),
    ("Test | Right | Left\nFABER | + | -\nGaenslen | + | -\nThigh thrust | - | -\n", None, 2),
])
def test_exam(facts_of, note, slr, si):
    exam = facts_of(note)["exam"]
    assert (exam["straight_leg_raise"], exam["si_provocative_positive"]) == (slr, si)


@pytest.mark.parametrize("note, odi, ndi", [
    ("ODI 21/50.", 42, None), ("Oswestry Disability Index 46%.", 46, None), ("NDI: 30%.", None, 30),
    ("Neck Disability Index 12/50.", None, 24),
])
def test_disability_indices(facts_of, note, odi, ndi):
    function = facts_of(note)["function"]
    assert (function["odi_percent"], function["ndi_percent"]) == (odi, ndi)


@pytest.mark.parametrize("note, limited", [
    ("Pain limits her ability to work.", True), ("Independent in ADLs, no functional limitations.", False),
    ("Back pain.", None),
])
def test_adl(facts_of, note, limited):
    assert facts_of(note)["function"]["adl_limited"] is limited


def test_red_flags_present_and_denied(facts_of):
    facts = facts_of("Denies fever, saddle anesthesia or bowel or bladder incontinence. History of prostate cancer.")
    flags = {f["flag"]: f["present"] for f in facts["red_flags"]}
    assert flags == {"fever_or_infection": False, "saddle_anesthesia": False, "bowel_bladder_dysfunction": False,
                     "history_of_cancer": True}


def test_family_cancer_is_not_a_red_flag(facts_of):
    assert facts_of("Mother had breast cancer.")["red_flags"] == []


@pytest.mark.parametrize("note, done, cleared", [
    ("Psychological evaluation completed; cleared for SCS trial.", True, True),
    ("Psych eval pending.", False, None),
    ("Psychological evaluation: not cleared.", True, False),
    ("Back pain.", None, None),
])
def test_psych_eval(facts_of, note, done, cleared):
    assert facts_of(note)["psych_eval"] == {"done": done, "cleared": cleared}


def test_icd10_codes_not_cpt_or_levels(facts_of):
    facts = facts_of("Lumbar radiculopathy M54.16. Cervicalgia M54.2. CPT 64483. L4-5, T12 and C5-6 levels.")
    assert facts["icd10_codes"] == ["M54.16", "M54.2"]


def test_a_quoted_report_belongs_to_its_study(facts_of):
    facts = facts_of('Recent imaging:\nMRI lumbar spine 3/11/2026: "Postoperative changes of L4-5. At L3-4 there is a grade 1 '
                     'anterolisthesis with moderate facet arthritis. Disc desiccation L3-4."\nShe walks two blocks.')
    [study] = facts["imaging"]
    assert set(study["findings"]) == {"spondylolisthesis", "facet_arthropathy", "degenerative_disc_disease"}


def test_a_title_case_header_alone_on_its_line_opens_the_imaging_section(facts_of):
    facts = facts_of("Assessment reviewed.\n\nImaging\nMRI L-spine without contrast, read by Dr. Patel on 12/09/2025.\n"
                     "L4-5 disc space narrowing with a broad-based bulge.\n")
    [study] = facts["imaging"]
    assert set(study["findings"]) == {"degenerative_disc_disease", "disc_bulge"}


def test_findings_after_the_studys_sentence_in_a_narrative_are_not_its_report(facts_of):
    facts = facts_of("She had an MRI of the lumbar spine last year. Her mother has spinal stenosis.")
    [study] = facts["imaging"]
    assert study["findings"] == []


@pytest.mark.parametrize("note, codes", [
    ("ICD-10: M80.08XA, G30.1, F02.80, I48.91", ["M80.08XA", "G30.1", "F02.80", "I48.91"]),
    ("Problem list:\n3. Hypertension (I10)", ["I10"]),
    ("Diagnoses: M96.1 Postlaminectomy syndrome, NEC; F54 Psychological factors affecting a medical condition.",
     ["M96.1", "F54"]),
    ("Tenderness at T12 (T12) and over L45 on the left. CPT 64483.", []),
    ("ICD-10: M5416", ["M54.16"]),
])
def test_icd10_codes_as_written(facts_of, note, codes):
    assert facts_of(note)["icd10_codes"] == codes


def test_headers_alone_on_their_line_with_windows_line_ends(facts_of):
    note = "HPI: low back pain.\r\n\r\nIMAGING\r\nMRI L-spine without contrast, read by Dr. Patel on 12/09/2025.\r\n" \
           "L4-5 disc space narrowing with a broad-based bulge.\r\n"
    [study] = facts_of(note)["imaging"]
    assert set(study["findings"]) == {"degenerative_disc_disease", "disc_bulge"}
