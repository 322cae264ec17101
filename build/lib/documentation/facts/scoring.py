"""Score extracted ClinicalFacts against gold ones, fact by fact.

A document is broken into atomic facts: each scalar of ``SCALAR_PATHS``; each pain region; per
conservative-care modality its status, weeks and response; per imaging modality its regions and
each finding; per procedure type its presence, relief percents and relief weeks; per red flag
whether it is present; each ICD-10 code. Lists are sets, so order carries no meaning and an entry
repeated under the same key counts once. A value that is null (or absent) in both gold and
prediction is no fact at all; a null prediction of a gold value is a miss (false negative); a
value where gold has none is a false positive; a wrong value is both. Numbers match within a
small tolerance (``TOLERANCES``). Evidence offsets are not scored.

``python -m documentation.facts.scoring GOLD_DIR PRED_JSONL`` scores the output of
``manage.py extract_facts`` against a corpus of ``NAME.txt`` / ``NAME.json`` pairs.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from documentation.facts.schema import SCALAR_PATHS

# How far apart two numbers may be and still state the same fact, by atom kind.
TOLERANCES: dict[str, float] = {
    "pain.duration_months": 0.1,
    "opioid_mme_per_day": 1.0,
    "function.odi_percent": 0.5,
    "function.ndi_percent": 0.5,
    "conservative_care.weeks": 0.1,
    "prior_procedures.relief_weeks": 0.1,
    "prior_procedures.relief_percent": 0.5,
}
_FLOAT_SLACK = 1e-6  # 13.04 vs 13.14 is 0.1 on paper but 0.10000000000000142 in floats

FIELDS = [*SCALAR_PATHS, "pain.regions", "conservative_care", "imaging", "prior_procedures",
          "red_flags", "icd10_codes"]


@dataclass(frozen=True)
class Counts:
    """True positives, false positives and false negatives; a ratio with nothing to count is None."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        if not self.tp + self.fp + self.fn:
            return None
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn)


@dataclass(frozen=True)
class Miss:
    """One disagreement: a gold fact not predicted (``missed``, a false negative), a predicted fact
    gold lacks (``spurious``, a false positive), or a different value (``wrong``, one of each)."""

    outcome: Literal["missed", "spurious", "wrong"]
    field: str
    fact: str
    gold: Any = None
    predicted: Any = None

    def __str__(self) -> str:
        if self.outcome == "missed":
            return f"missed    {self.fact} = {self.gold!r}"
        if self.outcome == "spurious":
            return f"spurious  {self.fact} = {self.predicted!r}"
        return f"wrong     {self.fact}: gold {self.gold!r}, predicted {self.predicted!r}"


@dataclass(frozen=True)
class NoteScore:
    name: str
    counts: Counts
    misses: list[Miss]


@dataclass(frozen=True)
class Report:
    """Micro-averaged counts overall, by field (``pain.nrs_current``, ``imaging``, ...), by atom kind
    (``conservative_care.weeks``, ...) and by note, with each note's misses."""

    overall: Counts
    fields: dict[str, Counts]
    kinds: dict[str, Counts]
    notes: list[NoteScore]

    def format_table(self, *, kinds: bool = False) -> str:
        """A fixed-width table of precision, recall and F1 per field (or per atom kind) and overall."""
        rows = self.kinds if kinds else self.fields
        width = max([len("overall (micro)"), *map(len, rows)])
        lines = [f"{'field':<{width}}  {'TP':>4} {'FP':>4} {'FN':>4}  {'P':>5} {'R':>5} {'F1':>5}"]
        lines.append("-" * len(lines[0]))
        for name, counts in rows.items():
            lines.append(_row(name, counts, width))
        lines.append("-" * len(lines[0]))
        lines.append(_row("overall (micro)", self.overall, width))
        return "\n".join(lines)

    def format_misses(self) -> str:
        """Every note's misses, for finding what the extractor got wrong."""
        out = []
        for note in self.notes:
            if note.misses:
                out.append(f"{note.name}  (TP {note.counts.tp}, FP {note.counts.fp}, FN {note.counts.fn})")
                out.extend(f"  {miss}" for miss in note.misses)
        return "\n".join(out)


def _row(name: str, counts: Counts, width: int) -> str:
    ratios = " ".join(f"{value:5.2f}" if value is not None else f"{'-':>5}"
                      for value in (counts.precision, counts.recall, counts.f1))
    return f"{name:<{width}}  {counts.tp:>4} {counts.fp:>4} {counts.fn:>4}  {ratios}"


@dataclass(frozen=True)
class Atom:
    """One atomic fact of a document."""

    field: str          # top-level field the atom is reported under
    kind: str           # what is compared, e.g. "conservative_care.weeks"; picks the tolerance
    key: tuple          # the atoms of one (kind, key) are compared with each other
    value: Any
    label: str          # how a miss names it


def score(pairs: Sequence[tuple[dict, dict]], names: Sequence[str] | None = None) -> Report:
    """Score (gold facts, predicted facts) pairs, one pair per note; ``names`` label the notes."""
    if names is not None and len(names) != len(pairs):
        raise ValueError("one name per pair")
    fields: dict[str, Counts] = {name: Counts() for name in FIELDS}
    kinds: dict[str, Counts] = defaultdict(Counts)
    notes = []
    for index, (gold, predicted) in enumerate(pairs):
        note_counts = Counts()
        misses: list[Miss] = []
        for atom_field, kind, counts, note_misses in _compare(atoms(gold), atoms(predicted)):
            fields[atom_field] += counts
            kinds[kind] += counts
            note_counts += counts
            misses.extend(note_misses)
        notes.append(NoteScore(names[index] if names is not None else str(index), note_counts, misses))
    overall = sum(fields.values(), Counts())
    return Report(overall, fields, dict(sorted(kinds.items())), notes)


def atoms(facts: dict | Any) -> list[Atom]:
    """The atomic facts of one document; tolerant of missing keys and malformed entries."""
    if hasattr(facts, "model_dump"):
        facts = facts.model_dump(mode="json")
    facts = facts if isinstance(facts, dict) else {}
    out: list[Atom] = []
    for path in SCALAR_PATHS:
        value = _get(facts, path)
        if value is not None:
            out.append(Atom(path, path, (), value, path))
    for region in _items(_get(facts, "pain.regions")):
        out.append(Atom("pain.regions", "pain.regions", (region,), region, "pain.regions"))
    for entry in _entries(facts, "conservative_care", "modality"):
        modality = entry["modality"]
        for part in ("status", "weeks", "response"):
            if entry.get(part) is not None:
                out.append(Atom("conservative_care", f"conservative_care.{part}", (modality,), entry[part],
                                 f"conservative_care[{modality}].{part}"))
    for entry in _entries(facts, "imaging", "modality"):
        modality = entry["modality"]
        out.append(Atom("imaging", "imaging.region", (modality,), entry.get("region"),
                         f"imaging[{modality}].region"))
        for finding in _items(entry.get("findings")):
            out.append(Atom("imaging", "imaging.findings", (modality, finding), finding,
                             f"imaging[{modality}].findings"))
    for entry in _entries(facts, "prior_procedures", "type"):
        kind = entry["type"]
        out.append(Atom("prior_procedures", "prior_procedures.type", (kind,), kind, "prior_procedures.type"))
        for part in ("relief_percent", "relief_weeks"):
            if entry.get(part) is not None:
                out.append(Atom("prior_procedures", f"prior_procedures.{part}", (kind,), entry[part],
                                 f"prior_procedures[{kind}].{part}"))
    for entry in _entries(facts, "red_flags", "flag"):
        if entry.get("present") is not None:
            out.append(Atom("red_flags", "red_flags.present", (entry["flag"],), entry["present"],
                             f"red_flags[{entry['flag']}].present"))
    for code in _items(facts.get("icd10_codes")):
        code = str(code).strip().upper()
        out.append(Atom("icd10_codes", "icd10_codes", (code,), code, "icd10_codes"))
    return out


def _get(facts: dict, path: str) -> Any:
    node: Any = facts
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _items(value: Any) -> list:
    return [item for item in value if isinstance(item, (str, int, float))] if isinstance(value, list) else []


def _entries(facts: dict, name: str, key: str) -> Iterator[dict]:
    entries = facts.get(name)
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get(key), str):
            yield entry


def _compare(gold: list[Atom], predicted: list[Atom]) -> Iterable[tuple[str, str, Counts, list[Miss]]]:
    groups: dict[tuple, tuple[list[Atom], list[Atom]]] = defaultdict(lambda: ([], []))
    for side, side_atoms in enumerate((gold, predicted)):
        for atom in side_atoms:
            groups[(atom.field, atom.kind, atom.key)][side].append(atom)
    for (atom_field, kind, _key), (gold_atoms, predicted_atoms) in groups.items():
        tolerance = TOLERANCES.get(kind, 0.0)
        gold_left, predicted_left = _distinct(gold_atoms), _distinct(predicted_atoms)
        # Closest pairs first, so that two near values on each side pair up with each other.
        candidates = sorted(
            ((_distance(g.value, p.value), i, j) for i, g in enumerate(gold_left)
             for j, p in enumerate(predicted_left) if _same(g.value, p.value, tolerance)),
            key=lambda candidate: candidate[0])
        used_gold: set[int] = set()
        used_predicted: set[int] = set()
        for _gap, i, j in candidates:
            if i not in used_gold and j not in used_predicted:
                used_gold.add(i)
                used_predicted.add(j)
        tp = len(used_gold)
        gold_left = [atom for i, atom in enumerate(gold_left) if i not in used_gold]
        predicted_left = [atom for j, atom in enumerate(predicted_left) if j not in used_predicted]
        misses = [Miss("wrong", atom_field, atom.label, atom.value, other.value)
                  for atom, other in zip(gold_left, predicted_left)]
        misses += [Miss("missed", atom_field, atom.label, gold=atom.value) for atom in gold_left[len(predicted_left):]]
        misses += [Miss("spurious", atom_field, atom.label, predicted=atom.value)
                   for atom in predicted_left[len(gold_left):]]
        yield atom_field, kind, Counts(tp, len(predicted_left), len(gold_left)), misses


def _distinct(group: list[Atom]) -> list[Atom]:
    out: list[Atom] = []
    for atom in group:
        if not any(_same(atom.value, kept.value, 0.0) for kept in out):
            out.append(atom)
    return out


def _distance(a: Any, b: Any) -> float:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b)
    return 0.0


def _same(a: Any, b: Any, tolerance: float) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, abs_tol=tolerance + _FLOAT_SLACK)
    return a == b


def load_corpus(gold_dir: Path) -> dict[str, dict]:
    """Gold facts by note name from ``NAME.json`` files (``{"note_date": ..., "facts": ...}``)."""
    return {path.stem: json.loads(path.read_text(encoding="utf-8"))["facts"]
            for path in sorted(Path(gold_dir).glob("*.json"))}


def load_predictions(lines: Iterable[str]) -> dict[str, dict]:
    """Predicted facts by note name from ``extract_facts`` output (``{"source": path, "facts": ...}``)."""
    out = {}
    for line in lines:
        if line.strip():
            record = json.loads(line)
            out[Path(record["source"]).stem] = record["facts"]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m documentation.facts.scoring", description=__doc__.split("\n")[0])
    parser.add_argument("gold_dir", type=Path, help="folder of NAME.txt / NAME.json gold pairs")
    parser.add_argument("predictions", type=Path, help="JSON lines from manage.py extract_facts ('-' for stdin)")
    parser.add_argument("--kinds", action="store_true", help="one row per atom kind instead of per field")
    parser.add_argument("--misses", action="store_true", help="list every note's misses")
    args = parser.parse_args(argv)
    gold = load_corpus(args.gold_dir)
    if str(args.predictions) == "-":
        predicted = load_predictions(sys.stdin)
    else:
        predicted = load_predictions(args.predictions.read_text(encoding="utf-8").splitlines())
    for name in sorted(set(gold) - set(predicted)):
        print(f"warning: no prediction for {name}; scored as empty", file=sys.stderr)
    for name in sorted(set(predicted) - set(gold)):
        print(f"warning: prediction for {name} has no gold; ignored", file=sys.stderr)
    names = sorted(gold)
    report = score([(gold[name], predicted.get(name, {})) for name in names], names)
    print(report.format_table(kinds=args.kinds))
    if args.misses:
        print()
        print(report.format_misses())
    return 0


if __name__ == "__main__":
    sys.exit(main())
