import string
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from documentation.facts.schema import empty_facts, validate_facts
from documentation.nlp.extract import extract_facts

FRAGMENTS = [
    "Low back pain", "radiating down the left leg", "for 8 months", "since March 2024", "x6 weeks", "7/10",
    "4-9/10", "NRS 6", "ODI 21/50", "NDI 40%", "no", "denies", "without relief", "and", "tried", "ibuprofen",
    "Norco 10/325 q6h prn", "fentanyl 25 mcg/h", "MME 90", "PT", "if no better, refer to PT", "mother had",
    "MRI L4-5 disc herniation", "was not performed", "ESI with 80% relief for 3 months", "two MBBs",
    "FABER positive", "SLR negative", "psych eval cleared", "Eliquis", "aspirin 81", "M54.16", "CPT 64483",
    "HPI:", "PLAN:", "ASSESSMENT AND PLAN\n", "FAMILY HISTORY:", "\n", "\n\n", ". ", ", ", "; ", "(", ")", "%",
    "six", "eighty percent", "L4-5", "q6h", "800mg", "x6", "-", "/", ":", "DOS: 06/02/2025",
]


def test_empty_and_blank_notes_give_empty_facts():
    for note in ["", "   ", "\n\n\t", "...;;!!", "—"]:
        assert extract_facts(note) == empty_facts()


def test_other_language_gives_a_valid_result():
    note = "Dolor lumbar irradiado a la pierna izquierda desde hace ocho meses. Niega fiebre."
    validate_facts(extract_facts(note), note)


def test_replacement_characters_give_a_valid_result():
    note = b"Back pain 7/10 \xff\xfe\x00 for 8 months".decode("utf-8", errors="replace")
    facts = extract_facts(note)
    validate_facts(facts, note)
    assert facts["pain"]["nrs_current"] == 7


def test_a_two_megabyte_note_finishes_quickly():
    block = ("Low back pain radiating down the left leg for 8 months. Tried ibuprofen without relief and gabapentin. "
             "Denies fever. MRI L4-5 disc herniation. Pain 7/10 today.\n")
    note = block * (2_000_000 // len(block))
    started = time.perf_counter()
    facts = extract_facts(note)
    assert time.perf_counter() - started < 60
    validate_facts(facts, note)


def test_a_note_without_punctuation_or_spaces_finishes_quickly():
    for note in ["a" * 500_000, "pain " * 100_000, "7/10" * 50_000, "(" * 100_000 + "no" * 1000]:
        started = time.perf_counter()
        validate_facts(extract_facts(note), note)
        assert time.perf_counter() - started < 20


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_arbitrary_text_gives_valid_facts(note):
    validate_facts(extract_facts(note), note)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS) | st.text(alphabet=string.printable, max_size=6), max_size=40),
       st.sampled_from([" ", "", "\n"]))
def test_clinical_fragments_give_valid_facts(fragments, joiner):
    note = joiner.join(fragments)
    validate_facts(extract_facts(note), note)
