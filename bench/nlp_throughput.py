"""Note-understanding throughput in one process: notes/second, and how it scales with length.

    .venv/bin/python bench/nlp_throughput.py [--runs 5] [--notes 200]
    .venv/bin/python bench/nlp_throughput.py --compare /tmp/old   # against an older checkout, alternating

Notes are composed from varied clinical sentences (seeded, so runs are comparable). Prints the
median of several runs; the pipeline is built once before timing. In the same sitting it also
times, on the same notes:

- the note corpora under tests/documentation (hand-written notes of every form and length);
- the trial's shape: a plain medSpaCy pipeline (blank English, spaCy's sentencizer, medSpaCy's
  TargetMatcher with the project's target phrases and drug rules, medSpaCy's ConText with its
  default rules) that only parses and extracts nothing. On this VM the CPU's speed changes from sitting to
  sitting, so the ratio to this baseline is the figure that compares across sittings.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pracops.settings")

from documentation.nlp.extract import extract_facts  # noqa: E402
from documentation.nlp.pipeline import get_pipeline  # noqa: E402

HEADERS = ["HPI:", "MEDICATIONS:", "PAST MEDICAL HISTORY:", "ROS:", "PHYSICAL EXAM:", "IMAGING:", "ASSESSMENT:", "PLAN:"]
SENTENCES = [
    "{age} y/o {sex} with {region} pain radiating down the {side} leg for {n} months.",
    "Pain is {nrs}/10 today, {worst}/10 at worst.",
    "She completed {n} weeks of physical therapy without improvement.",
    "Tried ibuprofen 800 mg TID which caused GI upset and gabapentin 300 mg TID with partial relief.",
    "Currently taking Norco 10/325 q6h prn and cyclobenzaprine 10 mg qhs.",
    "Denies bowel or bladder changes, saddle anesthesia, fevers or unexplained weight loss.",
    "No chiropractic care yet. If no better, refer to acupuncture.",
    "Prior L4-5 transforaminal ESI gave {pct}% relief for {n} weeks.",
    "Mother had back surgery; father with diabetes.",
    "MRI lumbar spine 3/2025 shows L4-5 disc herniation contacting the left L5 nerve root and mild foraminal stenosis.",
    "Straight leg raise positive on the {side} at 40 degrees. FABER negative bilaterally.",
    "ODI {odi}%. Pain limits her ability to work and perform household chores.",
    "Takes Eliquis 5 mg BID for atrial fibrillation; aspirin 81 mg daily.",
    "Lumbar radiculopathy M54.16, lumbar disc herniation M51.26.",
    "Will schedule left L5-S1 TFESI; continue home exercise program.",
    "Reports numbness and tingling in the {side} foot, worse with sitting and bending.",
    "Sleep is poor due to pain; mood is stable and she works as a teacher.",
    "Lives with her husband, no tobacco, occasional alcohol.",
    "Reflexes 2+ and symmetric, strength 5/5 except EHL 4/5 on the {side}.",
    "Discussed risks and benefits of the procedure including bleeding, infection and nerve injury.",
]


def compose(words: int, rng: random.Random) -> str:
    parts, count = [], 0
    while count < words:
        if rng.random() < 0.12:
            parts.append("\n" + rng.choice(HEADERS) + "\n")
        sentence = rng.choice(SENTENCES).format(
            age=rng.randint(25, 85), sex=rng.choice(["F", "M"]), region=rng.choice(["low back", "neck", "knee"]),
            side=rng.choice(["left", "right"]), n=rng.randint(2, 24), nrs=rng.randint(0, 10),
            worst=rng.randint(5, 10), pct=rng.randint(0, 100), odi=rng.randint(10, 80))
        parts.append(sentence)
        count += len(sentence.split())
    return " ".join(parts)


def notes_per_second(notes: list[str], read=extract_facts) -> float:
    start = time.perf_counter()
    for note in notes:
        read(note)
    return len(notes) / (time.perf_counter() - start)


def trial_pipeline():
    """The trial's plain medSpaCy pipeline (see the module docstring)."""
    import medspacy  # noqa: F401
    import spacy
    from medspacy.target_matcher import TargetRule

    from documentation.nlp.pipeline import RULES_DIR, _drug_rules

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    targets = nlp.add_pipe("medspacy_target_matcher")
    # the phrase rules only: the handful of regular-expression rules run through medSpaCy's RegexMatcher
    # would cost the trial more than all its phrases (PracOps runs them itself, see pipeline.py)
    targets.add([rule for rule in TargetRule.from_json(str(RULES_DIR / "targets.json")) if not isinstance(rule.pattern, str)])
    targets.add(_drug_rules())
    nlp.add_pipe("medspacy_context")
    return nlp


def corpus_notes() -> list[str]:
    root = Path(__file__).resolve().parents[1] / "tests" / "documentation"
    return [path.read_text(encoding="utf-8") for folder in ("corpus", "heldout") for path in sorted((root / folder).glob("*.txt"))]


# One timing in a child process whose import path is the checkout measured: fresh notes (seeded)
# through its extract_facts, after a warm-up.
CHILD = """
import random, sys, time
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[2])
from nlp_throughput import compose
from documentation.nlp.extract import extract_facts
rng = random.Random(int(sys.argv[3]))
notes = [compose(300, rng) for _ in range(int(sys.argv[4]))]
extract_facts(notes[0])
start = time.perf_counter()
for note in notes:
    extract_facts(note)
print(len(notes) / (time.perf_counter() - start))
"""


def compare(other: Path, runs: int, count: int) -> None:
    """This checkout against another, alternating runs in one sitting, each on fresh notes."""
    import subprocess

    here = Path(__file__).resolve()
    rates: dict[Path, list[float]] = {here.parents[1]: [], other.resolve(): []}
    for run in range(runs):
        for project in rates:
            done = subprocess.run([sys.executable, "-c", CHILD, str(project), str(here.parent), str(run), str(count)],
                                  capture_output=True, text=True, cwd=project)
            if done.returncode:
                sys.exit(f"{project}: {done.stderr}")
            rates[project].append(float(done.stdout.split()[-1]))
    for project, values in rates.items():
        print(f"{project}: median {statistics.median(values):.1f} notes/s ({', '.join(f'{v:.0f}' for v in values)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--notes", type=int, default=200, help="300-word notes per run")
    parser.add_argument("--compare", type=Path, help="another checkout to time against this one, alternating")
    args = parser.parse_args()
    if args.compare:
        compare(args.compare, args.runs, args.notes)
        return
    rng = random.Random(20250602)
    started = time.perf_counter()
    get_pipeline()
    print(f"pipeline built in {time.perf_counter() - started:.2f} s")
    notes = [compose(300, rng) for _ in range(args.notes)]
    extract_facts(notes[0])  # warm up
    rates = [notes_per_second(notes) for _ in range(args.runs)]
    print(f"300-word notes: median {statistics.median(rates):.1f} notes/s over {args.runs} runs of {len(notes)} "
          f"(min {min(rates):.1f}, max {max(rates):.1f})")
    trial = trial_pipeline()
    trial(notes[0])
    trial_rates = [notes_per_second(notes, trial) for _ in range(args.runs)]
    print(f"  trial's plain medSpaCy pipeline, same notes: median {statistics.median(trial_rates):.1f} notes/s "
          f"(PracOps is {statistics.median(rates) / statistics.median(trial_rates):.2f}x)")
    corpus = corpus_notes()
    corpus_words = sum(len(note.split()) for note in corpus)
    corpus_rate = statistics.median(notes_per_second(corpus) for _ in range(args.runs))
    print(f"hand-written notes ({len(corpus)}, {corpus_words / len(corpus):.0f} words on average): "
          f"median {corpus_rate:.1f} notes/s, {corpus_rate * corpus_words / len(corpus):.0f} words/s")
    print("words  notes/s  words/s  ms/note")
    for words in (100, 300, 1000, 3000):
        count = max(10, 60_000 // words)
        batch = [compose(words, rng) for _ in range(count)]
        rate = statistics.median(notes_per_second(batch) for _ in range(max(3, args.runs)))
        print(f"{words:>5}  {rate:7.1f}  {rate * words:7.0f}  {1000 / rate:7.2f}")


if __name__ == "__main__":
    main()
