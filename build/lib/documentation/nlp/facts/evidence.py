"""Evidence: the quoted span of the note that supports a fact."""

from __future__ import annotations


def evidence(text: str, start: int, end: int) -> dict:
    """The span [start, end) of the note as a ClinicalFacts Evidence."""
    start, end = max(0, start), max(0, min(end, len(text)))
    return {"start": start, "end": end, "text": text[start:end]}


def set_fact(facts: dict, path: str, value, text: str, start: int, end: int) -> None:
    """Set a scalar fact at a dotted path and record its evidence."""
    node = facts
    *parents, leaf = path.split(".")
    for part in parents:
        node = node[part]
    node[leaf] = value
    facts["evidence"][path] = evidence(text, start, end)
