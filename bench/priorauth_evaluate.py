"""Evaluations per second of the pure criteria engine (priorauth.criteria.evaluate).

    .venv/bin/python bench/priorauth_evaluate.py            # 1,000 cases, 5 runs, prints the median
    .venv/bin/python bench/priorauth_evaluate.py --cases 5000 --runs 7

The cases are varied and reproducible (seeded): every payer and CPT code the built-in policies
name plus not-covered and unlisted codes; one to three notes of ClinicalFacts each, with facts
present, missing or contradicting each criterion; a procedure history for the frequency rule.
Two figures per run: ``evaluate`` alone on merged facts (what re-evaluating a stored request
costs once its facts are merged) and ``merge + evaluate`` from the notes' facts. No database:
the workflow engineer's bench measures the same over stored requests.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pracops.settings")

import django  # noqa: E402

django.setup()

from documentation.facts.schema import empty_facts  # noqa: E402
from priorauth.criteria import NoteFactsInput, PastProcedure, evaluate, merge_facts  # noqa: E402
from priorauth.policies import policy_set  # noqa: E402

MODALITIES = ["physical_therapy", "nsaid", "gabapentinoid", "opioid", "home_exercise", "chiropractic"]
PROCEDURES = ["epidural_steroid_injection", "medial_branch_block", "radiofrequency_ablation", "si_joint_injection"]


def _span(rng: random.Random) -> dict:
    start = rng.randrange(0, 2000)
    return {"start": start, "end": start + 12, "text": "quoted words"}


def _note_facts(rng: random.Random, day: datetime.date) -> dict:
    facts = empty_facts(day.isoformat())
    maybe = lambda value: value if rng.random() < 0.75 else None  # noqa: E731
    facts["pain"].update(regions=rng.sample(["lumbar", "cervical", "sacroiliac"], rng.randint(0, 2)),
                         duration_months=maybe(round(rng.uniform(0.5, 30), 1)), nrs_current=maybe(rng.randint(0, 10)),
                         radicular=maybe(rng.random() < 0.6), axial=maybe(rng.random() < 0.5))
    facts["function"]["odi_percent"] = maybe(rng.randint(10, 80))
    facts["exam"]["si_provocative_positive"] = maybe(rng.randint(0, 5))
    facts["psych_eval"] = {"done": maybe(rng.random() < 0.8), "cleared": maybe(rng.random() < 0.8)}
    for path in ("pain.duration_months", "pain.nrs_current", "pain.radicular", "function.odi_percent"):
        facts["evidence"][path] = _span(rng)
    facts["conservative_care"] = [
        {"modality": m, "status": rng.choice(["completed", "ongoing", "planned", "not_done"]),
         "weeks": maybe(rng.choice([2, 4, 5.99, 6, 8, 12])),
         "response": rng.choice(["failed", "partial", "helped", "not_tolerated", None]), "evidence": _span(rng)}
        for m in rng.sample(MODALITIES, rng.randint(0, 3))]
    facts["imaging"] = [
        {"modality": rng.choice(["mri", "ct", "xray"]), "region": rng.choice(["lumbar", "cervical", None]),
         "findings": rng.sample(["disc_herniation", "facet_arthropathy", "central_stenosis", "normal"],
                                rng.randint(0, 2)), "evidence": _span(rng)}
        for _ in range(rng.randint(0, 2))]
    facts["prior_procedures"] = [
        {"type": rng.choice(PROCEDURES), "relief_percent": maybe(rng.choice([30, 50, 79, 80, 90])),
         "relief_weeks": maybe(rng.choice([1, 12.99, 13, 26, 40])), "evidence": _span(rng)}
        for _ in range(rng.randint(0, 3))]
    facts["red_flags"] = [{"flag": f, "present": rng.random() < 0.1, "evidence": _span(rng)}
                          for f in rng.sample(["bowel_bladder_dysfunction", "saddle_anesthesia", "fever_or_infection"],
                                              rng.randint(0, 3))]
    return facts


def build_cases(count: int, seed: int = 8) -> list[dict]:
    rng = random.Random(seed)
    policies = policy_set()
    codes = sorted({(p.payer, cpt) for p in policies.policies() for cpt in p.cpt_codes})
    codes += [("medicare", "64492"), ("commercial", "64495"), ("medicare", "63685"), ("commercial", "99213")]
    cases = []
    for index in range(count):
        payer, cpt = codes[index % len(codes)]
        planned = datetime.date(2025, 1, 1) + datetime.timedelta(days=rng.randrange(365))
        notes = [NoteFactsInput(note=f"DocumentReference/{index}-{n}", date=None,
                                facts=_note_facts(rng, planned - datetime.timedelta(days=rng.randrange(1, 300))))
                 for n in range(rng.randint(1, 3))]
        history = [PastProcedure(date=planned - datetime.timedelta(days=rng.randrange(1, 500)),
                                 cpt=rng.choice(["64483", "62321", "64484", "64493", "64635", "27096"]))
                   for _ in range(rng.randint(0, 5))]
        cases.append({"payer": payer, "cpt": cpt, "notes": notes, "history": history, "planned": planned})
    return cases


def run(cases: list[dict]) -> tuple[float, float]:
    policies = policy_set()
    merged = [merge_facts(case["notes"]) for case in cases]
    started = time.perf_counter()
    for case, facts in zip(cases, merged):
        evaluate(payer=case["payer"], cpt=case["cpt"], facts=facts, history=case["history"],
                 planned=case["planned"], policies=policies)
    evaluate_only = len(cases) / (time.perf_counter() - started)
    started = time.perf_counter()
    for case in cases:
        evaluate(payer=case["payer"], cpt=case["cpt"], facts=merge_facts(case["notes"]), history=case["history"],
                 planned=case["planned"], policies=policies)
    with_merge = len(cases) / (time.perf_counter() - started)
    return evaluate_only, with_merge


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cases = build_cases(args.cases)
    run(cases[:100])  # warm-up: imports, first-call caches
    figures = []
    for number in range(1, args.runs + 1):
        figures.append(run(cases))
        print(f"run {number}: evaluate {figures[-1][0]:,.0f}/s; merge + evaluate {figures[-1][1]:,.0f}/s")
    print(f"median of {args.runs} runs over {args.cases:,} cases: evaluate "
          f"{statistics.median(f[0] for f in figures):,.0f} evaluations/s; merge + evaluate "
          f"{statistics.median(f[1] for f in figures):,.0f}/s (one process, one core)")


if __name__ == "__main__":
    main()
