"""Note text to a ClinicalFacts document (shared/specs/clinical-facts.md).

Pure and deterministic: the same text, date and rules give the same document.
"""

from __future__ import annotations

import datetime

from documentation.facts.schema import empty_facts
from documentation.nlp.facts.clinical_flags import extract_icd10, extract_psych, extract_red_flags
from documentation.nlp.facts.conservative_care import extract_conservative_care
from documentation.nlp.facts.dates import note_date_in_header
from documentation.nlp.facts.exam import extract_exam
from documentation.nlp.facts.function import extract_function
from documentation.nlp.facts.imaging import extract_imaging
from documentation.nlp.facts.medications import extract_anticoagulation, extract_mme
from documentation.nlp.facts.pain import extract_pain
from documentation.nlp.facts.procedures import extract_procedures
from documentation.nlp.note import read_note

# Changes whenever the rules or the code change what is extracted, so that notes are read again
# (read_notes); tests/documentation/test_extractor_version.py holds it to that (nlp/fingerprint.py).
EXTRACTOR_VERSION = "1.8.0"


def extract_facts(text: str, *, note_date: datetime.date | None = None) -> dict:
    """The ClinicalFacts of one note. A date stated in the note's header wins over ``note_date``."""
    if not isinstance(text, str):
        raise TypeError("extract_facts takes the note as str")
    stated = note_date_in_header(text)
    date = stated or note_date
    facts = empty_facts(date.isoformat() if date else None)
    if not any(character.isalnum() for character in text[:200_000]) and not any(c.isalnum() for c in text):
        return facts
    note = read_note(text)
    extract_exam(note, facts)  # first: where the pain is depends on the SI provocation tests
    extract_pain(note, facts, date)
    extract_function(note, facts)
    extract_conservative_care(note, facts, date)
    extract_imaging(note, facts)
    extract_procedures(note, facts, date)
    extract_psych(note, facts)
    extract_red_flags(note, facts)
    extract_anticoagulation(note, facts)
    extract_mme(note, facts)
    extract_icd10(note, facts)
    return facts
