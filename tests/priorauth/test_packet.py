"""The prior-authorization packet, read back from the PDF: the request form, the criteria
checklist, the letter of medical necessity (blank where a fact is unknown, never invented) and
the note excerpts, for packets shaped like the four demo orders."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader

from documentation.facts.schema import empty_facts
from priorauth.packet import PacketInputError, PacketNote, packet_context, render_packet
from priorauth.packet.render import packet_html
from tests.priorauth.packet_cases import NOTE_DATE, REQUEST_IDS, demo_facts, demo_packet_inputs

CASES = ["esi", "mbb", "si", "scs"]


def pages_of(pdf: bytes) -> list[str]:
    """Each page's text with runs of whitespace as one space (lines wrap where the layout says)."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def section(pages: list[str], heading: str) -> str:
    """The text of the pages from the one that starts with ``heading`` to the next section's."""
    headings = ("Prior Authorization Request", "Criteria checklist", "Letter of medical necessity",
                "Clinical note excerpts")
    start = next(i for i, page in enumerate(pages) if page.startswith(heading))
    end = next((i for i in range(start + 1, len(pages)) if pages[i].startswith(headings)), len(pages))
    # Drop the running header and footer, which repeat on every page.
    return " ".join(re.sub(r"Prior authorization request \S+ .*?Page \d+ of \d+$", "", page) for page in pages[start:end])


def render(case: str, **overrides) -> tuple[dict, list[str]]:
    inputs = demo_packet_inputs(case, **overrides)
    return inputs, pages_of(render_packet(packet_context(**inputs)))


EXPECTED_FORM = {
    "esi": ["Name Maria Alvarez", "Date of birth 04/12/1961", "Sex Female", "MRN RIP-1000",
            "Payer Acme Health Plan", "Payer ID ACME01", "Plan PPO Gold", "Group GRP-1001",
            "Member ID AHP123456789", "Site / level Left L4-L5",
            "64483 Transforaminal epidural steroid injection, lumbar/sacral, single level 1",
            "M54.16 Radiculopathy, lumbar region"],
    "mbb": ["Name Robert Chen", "Date of birth 09/30/1955", "Sex Male", "MRN RIP-1001",
            "Payer Medicare Part B (Jurisdiction J)", "Plan Part B", "Member ID 1EG4TE5MK72",
            "64493 Medial branch block, lumbar, single level 1",
            "M47.816 Spondylosis without myelopathy or radiculopathy, lumbar region"],
    "si": ["Name Grace Okafor", "Date of birth 01/22/1970", "MRN RIP-1002", "Member ID AHP987654321",
           "Plan HMO Silver", "Group GRP-2002",
           "27096 Injection procedure for sacroiliac joint, anesthetic/steroid 1",
           "M46.1 Sacroiliitis, not elsewhere classified"],
    "scs": ["Name Peter Novak", "Date of birth 07/08/1966", "MRN RIP-1003", "Member ID 2FH5UF6NL83",
            "63650 Percutaneous implantation of neurostimulator electrode array, epidural 1",
            "M96.1 Postlaminectomy syndrome, not elsewhere classified"],
}


@pytest.mark.parametrize("case", CASES)
def test_request_form_holds_patient_coverage_providers_facility_and_codes(case):
    _, pages = render(case)
    form = section(pages, "Prior Authorization Request")

    for text in EXPECTED_FORM[case]:
        assert text in form
    assert f"Request ID {REQUEST_IDS[case]}" in form
    assert "Ordering provider Name Anika Patel NPI 1234567893" in form
    assert "Rendering provider Name Anika Patel NPI 1234567893" in form
    assert "Facility Name Riverside Interventional Pain NPI 1245319599" in form
    assert "Urgency Standard" in form
    assert "Units 1" in form


def test_unknown_form_fields_are_blank_lines_and_urgency_units_and_dates_print_as_given():
    inputs = demo_packet_inputs("esi", urgency="expedited", units=2, performer=None)
    inputs["service_request"] = {**inputs["service_request"],
                                 "occurrencePeriod": {"start": "2026-11-20", "end": "2026-12-20"}}
    form = section(pages_of(render_packet(packet_context(**inputs))), "Prior Authorization Request")

    assert "Expedited (urgent)" in form
    assert "Units 2" in form
    assert "Planned date(s) 11/20/2026 to 12/20/2026" in form
    assert "Rendering provider Name ________________ NPI ________________" in form
    assert "Address ________________" in form  # the demo practice has no address on file


@pytest.mark.parametrize("case", CASES)
def test_every_page_carries_the_request_id_the_patient_and_its_page_number(case):
    _, pages = render(case)

    assert len(pages) >= 4
    for number, page in enumerate(pages, start=1):
        assert f"Prior authorization request {REQUEST_IDS[case]}" in page
        assert f"Page {number} of {len(pages)}" in page


def test_pages_are_us_letter():
    pdf = render_packet(packet_context(**demo_packet_inputs("si")))
    for page in PdfReader(io.BytesIO(pdf)).pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (612, 792)


@pytest.mark.parametrize("case", CASES)
def test_checklist_prints_each_criterion_with_its_status_evidence_and_what_is_missing(case):
    inputs, pages = render(case)
    checklist = section(pages, "Criteria checklist")
    labels = {"met": "✓ Met", "not_met": "✗ Not met", "insufficient_documentation": "✗ Insufficient documentation",
              "not_applicable": "N/A"}

    for criterion in inputs["evaluation"]["criteria"]:
        assert f"{criterion['text']} {labels[criterion['status']]}" in checklist
        for evidence in criterion["evidence"]:
            assert f"“{evidence['text']}” Consult note, 11/02/2026" in checklist
        if criterion["missing"]:
            assert f"Missing: {criterion['missing']}" in checklist


def test_checklist_says_whether_the_request_is_ready():
    _, ready = render("esi")
    _, not_ready = render("scs")

    assert "Criteria All criteria met or not applicable" in section(ready, "Criteria checklist")
    assert "Not all criteria are met" in section(not_ready, "Criteria checklist")
    assert "Reason 2 criteria need documentation" in section(not_ready, "Criteria checklist")


def test_letter_states_the_documented_facts():
    _, pages = render("esi")
    letter = section(pages, "Letter of medical necessity")

    assert ("prior authorization of transforaminal epidural steroid injection, lumbar/sacral, single level "
            "(CPT 64483) for my patient, Maria Alvarez, whom I am treating for radiculopathy, lumbar region "
            "(M54.16)") in letter
    assert "left-sided low back (lumbar) pain for 8 months" in letter
    assert "The pain radiates into the limb (radicular pain)." in letter
    assert "Current pain intensity is 7/10" in letter
    assert "The Oswestry Disability Index (ODI) is 46%." in letter
    assert "physical therapy for 6 weeks without relief" in letter
    assert "NSAIDs for ____ weeks without relief" in letter  # ibuprofen: tried, for how long the note does not say
    assert "MRI of the lumbar spine showed disc herniation and nerve root compression." in letter
    assert "Anika Patel, ordering provider NPI: 1234567893" in letter
    assert "Member ID: AHP123456789" in letter


def test_letter_leaves_unknown_facts_blank_for_the_provider():
    _, pages = render("scs")
    letter = section(pages, "Letter of medical necessity")

    # "Persistent leg and back pain after L4-S1 fusion in 2021": how long is not stated.
    assert "low back (lumbar) pain for ____ months" in letter
    assert "physical therapy for ____ weeks without relief" in letter
    assert "2 prior epidural steroid injections: ____% relief lasting ____ weeks each." in letter
    assert "psychological evaluation has been completed and the patient was cleared" in letter
    assert "The Oswestry Disability Index (ODI) is 52%." in letter
    assert re.search(r"pain for \d", letter) is None


def test_letter_does_not_mention_a_score_the_notes_do_not_give():
    _, pages = render("mbb")
    letter = section(pages, "Letter of medical necessity")

    assert demo_facts("Chen")["function"]["odi_percent"] is None
    assert "ODI" not in letter and "Oswestry" not in letter and "NDI" not in letter
    assert "Functional disability score (validated disability index): ____%." in letter
    assert "There are no radicular symptoms." in letter
    assert "The pain is predominantly axial." in letter
    assert "MRI" not in letter  # no imaging documented, and the policy asks for none
    assert "a home exercise program for 12 weeks without relief" in letter


def test_letter_from_empty_facts_invents_no_value():
    _, pages = render("esi", facts=empty_facts(None))
    letter = section(pages, "Letter of medical necessity")

    body = letter.split("To whom it may concern:", 1)[1].split("Sincerely,", 1)[0]
    assert re.findall(r"\d+(?:\.\d+)?\s*(?:%|months|weeks|/10)", body) == []
    for blank in ("The patient has had ____ pain for ____ months.",
                  "Radicular symptoms (pain radiating into the limb): ____.",
                  "Current pain intensity is ____/10",
                  "Functional disability score (validated disability index): ____%.",
                  "Conservative treatment tried (treatment, weeks and response): ____.",
                  "Imaging (study, date and findings): ____."):
        assert blank in body
    assert "cleared" not in body  # no psychological evaluation is asked for or documented


def test_letter_writes_documented_red_flags_and_denials_as_they_are():
    facts = demo_facts("Alvarez")
    facts["red_flags"] = [
        {"flag": "bowel_bladder_dysfunction", "present": False, "evidence": {"start": 0, "end": 3, "text": "Low"}},
        {"flag": "saddle_anesthesia", "present": False, "evidence": {"start": 0, "end": 3, "text": "Low"}},
    ]
    _, pages = render("esi", facts=facts)
    letter = section(pages, "Letter of medical necessity")

    assert "The patient has no bowel or bladder dysfunction and saddle anesthesia." in letter
    assert "Red-flag symptoms (" not in letter


def test_note_excerpts_print_the_cited_note_with_the_evidence_marked():
    inputs, pages = render("esi")
    excerpts = section(pages, "Clinical note excerpts")
    context = packet_context(**inputs)

    assert "Consult note 11/02/2026" in excerpts
    assert "Complete note" in excerpts
    assert "Tried ibuprofen and 6 weeks of physical therapy without relief." in excerpts
    marked = [segment.text for passage in context.excerpts[0].passages for segment in passage.segments
              if segment.marked]
    quoted = {e["text"] for c in inputs["evaluation"]["criteria"] for e in c["evidence"]}
    assert set(marked) == quoted
    html = packet_html(context)
    for quote in quoted:
        assert f"<mark>{quote}</mark>" in html


def test_a_long_note_is_excerpted_around_the_evidence():
    filler_before = "Review of systems otherwise negative. " * 60
    filler_after = "Discussed risks, benefits and alternatives at length. " * 60
    text = f"{filler_before}Pain has lasted 8 months despite therapy.\nNRS 7/10 today. {filler_after}Signed."
    note = PacketNote(key="note-long", title="Follow-up note", date=dt.date(2026, 10, 1), text=text)
    start = text.index("8 months")
    evaluation = {"payer": "commercial", "cpt": "64483", "requires_auth": True, "policy": "commercial-esi",
                  "ready": False, "reason": None, "criteria": [
                      {"id": "pain_duration", "text": "Pain for at least 6 weeks", "status": "met",
                       "evidence": [{"note": "note-long", "start": start, "end": start + 8, "text": "8 months"}],
                       "facts": {}, "missing": None}]}
    context = packet_context(**demo_packet_inputs("esi", evaluation=evaluation, notes=[note]))
    excerpts = section(pages_of(render_packet(context)), "Clinical note excerpts")

    assert "Follow-up note 10/01/2026" in excerpts
    assert "Excerpts" in excerpts
    assert "[…] " in excerpts and " […]" in excerpts
    assert "Pain has lasted 8 months despite therapy. NRS 7/10 today." in excerpts
    assert "Signed." not in excerpts
    assert excerpts.count("Review of systems otherwise negative.") < 10
    (passage,) = context.excerpts[0].passages
    assert [s.text for s in passage.segments if s.marked] == ["8 months"]


def test_evidence_with_stale_offsets_marks_the_quoted_words_or_nothing():
    note = PacketNote(key="n1", title="Consult note", date=NOTE_DATE, text="Pain 7/10. Pain for 8 months.")
    evaluation = {"criteria": [
        {"id": "pain_duration", "text": "Pain duration", "status": "met", "facts": {}, "missing": None,
         "evidence": [{"note": "n1", "start": 0, "end": 8, "text": "8 months"}]},       # offsets from another version
        {"id": "pain_scale", "text": "Pain scale", "status": "met", "facts": {}, "missing": None,
         "evidence": [{"note": "n1", "start": 5, "end": 9, "text": "9/10"}]},           # not in this note at all
        {"id": "axial_pain", "text": "Axial pain", "status": "met", "facts": {}, "missing": None,
         "evidence": [{"note": "elsewhere", "start": 0, "end": 4, "text": "back"}]},    # a note not enclosed
    ]}
    context = packet_context(**demo_packet_inputs("esi", evaluation=evaluation, notes=[note]))

    (excerpt,) = context.excerpts
    assert [s.text for p in excerpt.passages for s in p.segments if s.marked] == ["8 months"]
    axial = next(item for item in context.checklist if item.id == "axial_pain")
    assert axial.evidence[0].note_title is None and axial.evidence[0].text == "back"
    checklist = section(pages_of(render_packet(context)), "Criteria checklist")
    assert "“back” Note elsewhere" in checklist


def test_record_text_is_printed_as_text_and_nothing_is_fetched(monkeypatch):
    from weasyprint.urls import URLFetcher

    fetched = []
    monkeypatch.setattr(URLFetcher, "fetch", lambda self, url, headers=None: fetched.append(url))
    text = 'Pain 7/10. <img src="http://127.0.0.1:9/x.png"> <link rel="stylesheet" href="file:///etc/passwd">'
    note = PacketNote(key="n1", title="Consult <b>note</b>", date=None, text=text)
    evaluation = {"criteria": [{"id": "pain_scale", "text": "Pain scale", "status": "met", "facts": {},
                                "missing": None, "evidence": [{"note": "n1", "start": 5, "end": 9, "text": "7/10"}]}]}
    excerpts = section(pages_of(render_packet(packet_context(
        **demo_packet_inputs("esi", evaluation=evaluation, notes=[note])))), "Clinical note excerpts")

    assert fetched == []
    assert '<img src="http://127.0.0.1:9/x.png">' in excerpts
    assert "Consult <b>note</b>" in excerpts


@pytest.mark.parametrize(("override", "field"), [
    ({"urgency": "urgent"}, "urgency"),
    ({"units": 0}, "units"),
    ({"units": True}, "units"),
    ({"request_id": " "}, "request_id"),
])
def test_bad_inputs_are_refused_naming_the_field(override, field):
    with pytest.raises(PacketInputError, match=field):
        packet_context(**demo_packet_inputs("esi", **override))


def test_an_unknown_criterion_status_is_refused_without_patient_data():
    inputs = demo_packet_inputs("esi")
    inputs["evaluation"]["criteria"][0]["status"] = "probably"

    with pytest.raises(PacketInputError) as raised:
        packet_context(**inputs)
    assert "radicular_pain" in str(raised.value)
    assert "Alvarez" not in str(raised.value) and "probably" not in str(raised.value)


def test_codes_and_descriptions_come_from_the_order_and_the_conditions():
    inputs = demo_packet_inputs("si")
    inputs["service_request"] = {
        **inputs["service_request"],
        "code": {"coding": [{"system": "urn:oid:2.16.840.1.113883.6.285", "code": "G0260",
                             "display": "Injection procedure for sacroiliac joint; provision of anesthetic, "
                                        "steroid and/or other therapeutic agent, with or without arthrography"},
                            {"system": "http://snomed.info/sct", "code": "24028007"}]},
        "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M53.3"}]},
                       {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M46.1"}]}],
    }
    context = packet_context(**inputs)

    assert [(line.code, line.description is not None) for line in context.services] == [("G0260", True)]
    # The order's reasons first; a description only where a coding gives one (the Condition's for M46.1).
    assert [(line.code, line.description) for line in context.diagnoses] == [
        ("M53.3", None), ("M46.1", "Sacroiliitis, not elsewhere classified")]
    form = section(pages_of(render_packet(context)), "Prior Authorization Request")
    assert "M53.3 ________________" in form


def test_member_id_falls_back_to_the_member_number_identifier():
    inputs = demo_packet_inputs("mbb")
    coverage = {key: value for key, value in inputs["coverage"].items() if key != "subscriberId"}
    coverage["identifier"] = [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                                                    "code": "MB"}]}, "value": "MBR-77"}]
    context = packet_context(**{**inputs, "coverage": coverage})

    coverage_fields = {f.label: f.value for f in context.form[0][1].fields}
    assert coverage_fields["Member ID"] == "MBR-77"


@pytest.mark.parametrize(("case", "payer", "cpt"), [
    ("esi", "commercial", "64483"), ("mbb", "medicare", "64493"), ("si", "commercial", "27096"),
    ("scs", "medicare", "63650"),
])
def test_packet_from_the_criteria_engines_evaluation(case, payer, cpt):
    from priorauth.criteria import NoteFactsInput, evaluate, merge_facts

    inputs = demo_packet_inputs(case)
    (note,) = inputs["notes"]
    merged = merge_facts([NoteFactsInput(note=note.key, date=note.date, facts=inputs["facts"])])
    evaluation = evaluate(payer=payer, cpt=cpt, facts=merged, planned=dt.date(2026, 11, 20)).as_dict()
    pages = pages_of(render_packet(packet_context(**{**inputs, "evaluation": evaluation, "facts": merged.facts})))
    checklist = section(pages, "Criteria checklist")
    labels = {"met": "Met", "not_met": "Not met", "insufficient_documentation": "Insufficient documentation",
              "not_applicable": "N/A"}

    assert evaluation["criteria"]
    for criterion in evaluation["criteria"]:
        assert " ".join(criterion["text"].split()) in checklist
        assert re.search(re.escape(" ".join(criterion["text"].split())) + r" [✓✗]? ?" + labels[criterion["status"]],
                         checklist)
        for evidence in criterion["evidence"]:
            assert f"“{' '.join(evidence['text'].split())}”" in checklist
        if criterion["missing"]:
            assert " ".join(criterion["missing"].split()) in checklist


def test_checklist_names_the_facts_a_status_rests_on_in_words():
    inputs = demo_packet_inputs("esi")
    inputs["evaluation"]["criteria"][3]["facts"] = {
        "conservative_care[0]": {"modality": "physical_therapy", "weeks": 6, "response": "failed"}}
    (item,) = [i for i in packet_context(**inputs).checklist if i.id == "conservative_care"]

    assert [(f.label, f.value) for f in item.basis] == [
        ("conservative care", "modality: physical therapy; weeks: 6; response: failed")]
