"""Run the extractor over a corpus of ``NAME.txt`` / ``NAME.json`` gold pairs and score it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from documentation.facts.scoring import Report, score
from documentation.nlp.extract import extract_facts


def evaluate_corpus(corpus: Path) -> Report:
    names, pairs = [], []
    for gold_path in sorted(Path(corpus).glob("*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        text = gold_path.with_suffix(".txt").read_text(encoding="utf-8")
        note_date = date.fromisoformat(gold["note_date"]) if gold.get("note_date") else None
        pairs.append((gold["facts"], extract_facts(text, note_date=note_date)))
        names.append(gold_path.stem)
    return score(pairs, names)
