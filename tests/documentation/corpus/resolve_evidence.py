"""Turn hand-written gold into exact gold: ``python tests/documentation/corpus/resolve_evidence.py [--dir DIR] [NAME ...]``.

``--dir`` names another folder of notes and gold (the held-out notes); the default is this corpus.

A gold file may be written with evidence as a bare quote (``"evidence": "6 weeks of PT"``) or as
``{"text": ..., "after": ...}`` when the quote occurs more than once (the first occurrence after
``after``). This rewrites every such evidence as ``{"start", "end", "text"}`` with offsets into the
note, re-finds evidence whose offsets no longer quote the note (after an edit of the note), fills
the schema's defaults, copies ``note_date`` into the facts, and checks the result with
``validate_facts``. It is idempotent; a quote that is missing or ambiguous is an error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parents[2]))

from documentation.facts.schema import ClinicalFacts, validate_facts  # noqa: E402


class QuoteError(ValueError):
    pass


def locate(note: str, evidence: str | dict) -> dict:
    """Exact evidence for a quote; keeps offsets that already quote the note."""
    if isinstance(evidence, str):
        evidence = {"text": evidence}
    text = evidence["text"]
    start, end = evidence.get("start"), evidence.get("end")
    if start is not None and end is not None and note[start:end] == text:
        return {"start": start, "end": end, "text": text}
    origin = 0
    if "after" in evidence:
        origin = note.find(evidence["after"])
        if origin < 0:
            raise QuoteError(f"context not in note: {evidence['after']!r}")
    found = note.find(text, origin)
    if found < 0:
        raise QuoteError(f"quote not in note: {text!r}")
    if "after" not in evidence and note.find(text, found + 1) >= 0:
        raise QuoteError(f"quote occurs more than once, give a longer one or 'after': {text!r}")
    return {"start": found, "end": found + len(text), "text": text}


def resolve(note: str, gold: dict) -> dict:
    facts = dict(gold["facts"])
    facts["note_date"] = gold["note_date"]
    for name in ("conservative_care", "imaging", "prior_procedures", "red_flags"):
        for entry in facts.get(name, []):
            entry["evidence"] = locate(note, entry["evidence"])
    facts["evidence"] = {path: locate(note, ev) for path, ev in facts.get("evidence", {}).items()}
    facts = ClinicalFacts.model_validate(facts).model_dump(mode="json")
    validate_facts(facts, note)
    return {"note_date": gold["note_date"], "facts": facts}


def main(args: list[str]) -> int:
    folder = ROOT
    if args[:1] == ["--dir"]:
        folder, args = Path(args[1]), args[2:]
    paths = [folder / f"{name}.json" for name in args] if args else sorted(folder.glob("*.json"))
    failed = 0
    for path in paths:
        note = path.with_suffix(".txt").read_text(encoding="utf-8")
        try:
            gold = resolve(note, json.loads(path.read_text(encoding="utf-8")))
        except Exception as error:  # report every bad file, not just the first
            print(f"{path.name}: {error}", file=sys.stderr)
            failed += 1
            continue
        path.write_text(json.dumps(gold, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(paths) - failed} resolved, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
