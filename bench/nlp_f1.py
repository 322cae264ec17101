"""Overall and per-field F1 of the extractor on the development corpus.

    .venv/bin/python bench/nlp_f1.py            # the table
    .venv/bin/python bench/nlp_f1.py --misses   # and each note's misses
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from documentation.nlp.evaluation import evaluate_corpus  # noqa: E402
from documentation.nlp.extract import EXTRACTOR_VERSION  # noqa: E402

CORPUS = ROOT / "tests" / "documentation" / "corpus"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args()
    report = evaluate_corpus(CORPUS)
    print(f"extractor {EXTRACTOR_VERSION}, {len(report.notes)} notes")
    print(report.format_table())
    if args.misses:
        print(report.format_misses())


if __name__ == "__main__":
    main()
