"""Merging the ClinicalFacts of a patient's notes into one document, newest note winning per fact.

Pure: plain dicts in, plain dicts out. Every merged fact remembers the note its evidence is from,
so a criterion can quote the right note.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from documentation.facts.schema import SCALAR_PATHS

# Scalars and the list of the pain's regions: the newest note that states them wins.
_NEWEST_VALUE_PATHS = (*SCALAR_PATHS, "pain.regions")
_LISTS = ("conservative_care", "imaging", "prior_procedures", "red_flags")


@dataclass(frozen=True)
class NoteFactsInput:
    """The facts of one note. ``note`` is its key (a DocumentReference fhir_id or a file path);
    ``date`` None falls back to the facts' own ``note_date``."""

    note: str
    date: datetime.date | None
    facts: dict


@dataclass(frozen=True)
class EvidenceSpan:
    """Where in which note a fact is written: offsets [start, end) and the quoted text."""

    note: str
    start: int
    end: int
    text: str

    def as_dict(self) -> dict:
        return {"note": self.note, "start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True)
class MergedFacts:
    """A ClinicalFacts document merged over notes, and the note each fact is from.

    ``sources`` maps a fact path ("pain.nrs_current", "conservative_care[0]") to its note key.
    """

    facts: dict
    sources: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # oldest first

    def evidence(self, path: str) -> EvidenceSpan | None:
        """The evidence of a scalar fact ("pain.radicular") or a list entry ("imaging[1]")."""
        note = self.sources.get(path)
        if note is None:
            return None
        if "[" in path:
            name, index = path[:-1].split("[")
            raw = self.facts[name][int(index)].get("evidence")
        else:
            raw = (self.facts.get("evidence") or {}).get(path)
        if not raw:
            return None
        return EvidenceSpan(note=note, start=raw["start"], end=raw["end"], text=raw["text"])


def _note_date(note: NoteFactsInput) -> datetime.date | None:
    if note.date is not None:
        return note.date
    stated = note.facts.get("note_date") if isinstance(note.facts, dict) else None
    try:
        return datetime.date.fromisoformat(stated) if stated else None
    except (TypeError, ValueError):
        return None


def _get(facts: dict, path: str):
    node = facts
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _set(facts: dict, path: str, value) -> None:
    *parents, last = path.split(".")
    node = facts
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


def _empty() -> dict:
    return {
        "note_date": None,
        "pain": {"regions": [], "laterality": None, "duration_months": None, "nrs_current": None,
                 "radicular": None, "axial": None},
        "function": {"odi_percent": None, "ndi_percent": None, "adl_limited": None},
        "conservative_care": [], "imaging": [], "prior_procedures": [],
        "exam": {"straight_leg_raise": None, "si_provocative_positive": None},
        "psych_eval": {"done": None, "cleared": None},
        "red_flags": [], "anticoagulated": None, "opioid_mme_per_day": None, "icd10_codes": [], "evidence": {},
    }


def _same_imaging(entry: dict) -> tuple:
    return (entry.get("modality"), entry.get("region"), frozenset(entry.get("findings") or ()))


def _same_procedure(entry: dict) -> tuple:
    return (entry.get("type"), entry.get("relief_percent"), entry.get("relief_weeks"))


def merge_facts(notes: Sequence[NoteFactsInput]) -> MergedFacts:
    """One ClinicalFacts document over several notes (shared/specs/prior-auth-criteria.md).

    Newest note first (by date; undated notes count as oldest; equal dates: later in ``notes``
    is newer). Scalars: the newest non-null value. conservative_care: per modality the newest
    note's entry; red_flags: per flag the newest. imaging and prior_procedures: the union over
    notes, duplicates (same modality, region and findings; same type and relief values) once.
    """
    ordered = sorted(enumerate(notes), key=lambda item: (_note_date(item[1]) or datetime.date.min, item[0]))
    newest_first = [note for _, note in reversed(ordered)]
    merged = _empty()
    sources: dict[str, str] = {}
    for path in _NEWEST_VALUE_PATHS:
        for note in newest_first:
            value = _get(note.facts, path)
            if value is not None and value != []:
                _set(merged, path, copy.deepcopy(value))
                sources[path] = note.note
                evidence = (note.facts.get("evidence") or {}).get(path)
                if evidence:
                    merged["evidence"][path] = dict(evidence)
                break
    dates = [d for d in (_note_date(n) for n in notes) if d is not None]
    merged["note_date"] = max(dates).isoformat() if dates else None

    keyed = {"conservative_care": lambda e: e.get("modality"), "red_flags": lambda e: e.get("flag"),
             "imaging": _same_imaging, "prior_procedures": _same_procedure}
    for name in _LISTS:
        seen: set = set()
        for note in newest_first:
            for entry in note.facts.get(name) or ():
                key = keyed[name](entry)
                if key in seen:
                    continue
                seen.add(key)
                sources[f"{name}[{len(merged[name])}]"] = note.note
                merged[name].append(copy.deepcopy(entry))
    codes: list[str] = []
    for note in newest_first:
        codes.extend(code for code in note.facts.get("icd10_codes") or () if code not in codes)
    merged["icd10_codes"] = codes
    return MergedFacts(facts=merged, sources=sources, notes=tuple(note.note for _, note in ordered))


def facts_of_one_note(note: str, facts: dict) -> MergedFacts:
    """A single note's facts as MergedFacts (every fact from that note)."""
    return merge_facts([NoteFactsInput(note=note, date=None, facts=facts)])
