"""Overall and per-field F1 of the extractor on the development corpus and the held-out notes.

    .venv/bin/python bench/nlp_f1.py                       # every set: summary, then the corpus's table
    .venv/bin/python bench/nlp_f1.py --set C --table       # one set's table
    .venv/bin/python bench/nlp_f1.py --set corpus --misses # and each note's misses
    # an older extractor on today's notes, e.g. the commit before this work:
    mkdir -p /tmp/old && git archive ca95ae4 | tar -x -C /tmp/old && .venv/bin/python bench/nlp_f1.py --project /tmp/old

The sets (tests/documentation/heldout/README.md says who wrote them and what each has been used for):
``corpus`` (tests/documentation/corpus), and the held-out notes ``A`` (a_*), ``B`` (b_*), ``C``
(c_* and d_*), ``E`` (e_* and f_*) and ``G`` (g_* and h_*).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTES = ROOT / "tests" / "documentation"
SETS = {"corpus": (NOTES / "corpus", ["*"]), "A": (NOTES / "heldout", ["a_*"]), "B": (NOTES / "heldout", ["b_*"]),
        "C": (NOTES / "heldout", ["c_*", "d_*"]), "E": (NOTES / "heldout", ["e_*", "f_*"]),
        "G": (NOTES / "heldout", ["g_*", "h_*"])}

# Run in a child process whose import path is the project measured, so an older checkout's
# extractor reads today's notes.
CHILD = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from documentation.nlp.evaluation import evaluate_corpus
from documentation.nlp.extract import EXTRACTOR_VERSION
report = evaluate_corpus(Path(sys.argv[2]))
print(json.dumps({"version": EXTRACTOR_VERSION, "notes": len(report.notes), "overall": [report.overall.precision,
      report.overall.recall, report.overall.f1], "table": report.format_table(), "misses": report.format_misses()}))
"""


def evaluate(project: Path, name: str) -> dict:
    folder, patterns = SETS[name]
    with tempfile.TemporaryDirectory() as scratch:
        for pattern in patterns:
            for path in folder.glob(f"{pattern}.json"):
                for suffix in (".json", ".txt"):
                    shutil.copy(path.with_suffix(suffix), scratch)
        done = subprocess.run([sys.executable, "-c", CHILD, str(project), scratch], capture_output=True, text=True,
                              cwd=project)
        if done.returncode:
            sys.exit(f"scoring {name} with {project} failed:\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", choices=sorted(SETS), action="append", help="default: every set")
    parser.add_argument("--table", action="store_true", help="the per-field table of each set")
    parser.add_argument("--misses", action="store_true", help="and each note's misses")
    parser.add_argument("--project", type=Path, default=ROOT, help="the checkout whose extractor is measured")
    args = parser.parse_args()
    names = args.set or list(SETS)
    results = {name: evaluate(args.project.resolve(), name) for name in names}
    version = next(iter(results.values()))["version"]
    print(f"extractor {version} ({args.project.resolve()})")
    print(f"{'set':<8}{'notes':>6}{'P':>7}{'R':>7}{'F1':>7}")
    for name, result in results.items():
        precision, recall, f1 = result["overall"]
        print(f"{name:<8}{result['notes']:>6}{precision:>7.2f}{recall:>7.2f}{f1:>7.2f}")
    for name, result in results.items():
        if args.table or args.misses or (args.set is None and name == "corpus"):
            print(f"\n{name}\n{result['table']}")
        if args.misses:
            print(result["misses"])


if __name__ == "__main__":
    main()
