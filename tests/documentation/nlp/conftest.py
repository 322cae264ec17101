import datetime

import pytest

from documentation.facts.schema import validate_facts
from documentation.nlp.extract import extract_facts
from documentation.nlp.pipeline import get_pipeline

NOTE_DATE = datetime.date(2025, 6, 2)


@pytest.fixture(scope="session", autouse=True)
def pipeline():
    """Build the pipeline once for the whole session."""
    return get_pipeline()


@pytest.fixture
def facts_of():
    """Extract from a note, check the result against the contract, and return it."""

    def run(note: str, note_date: datetime.date | None = NOTE_DATE) -> dict:
        facts = extract_facts(note, note_date=note_date)
        validate_facts(facts, note)
        return facts

    return run


def care(facts: dict, modality: str) -> dict | None:
    return next((c for c in facts["conservative_care"] if c["modality"] == modality), None)
