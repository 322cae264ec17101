"""Evaluations per second over stored requests, one by one (priorauth.services.evaluate_authorization:
row lock, the patient's note facts and procedure history from the database, the engine, the write,
the audit, one transaction each) and in one batch (services.evaluate_authorizations: the same
work for all requests in a fixed number of queries and one transaction).

    DATABASE_URL=postgres://.../bench taskset -c 0 .venv/bin/python bench/priorauth_evaluate_stored.py
    # 1,000 requests, 3 runs of each mode; --mode single|batch|both

Creates a throwaway test database (Django's test runner machinery: ``test_<name>``), fills it
with 1,000 requests of 1,000 patients (one note's facts each, read once by the real extractor
from the demo notes), then evaluates every request once per run (one by one, then as one batch)
and prints each run's rate, its queries per evaluation and the median. The pure engine alone: bench/priorauth_evaluate.py.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pracops.settings")

import django  # noqa: E402

django.setup()

from django.test.utils import setup_test_environment  # noqa: E402


def _fill(count: int) -> list[int]:
    from datetime import date, datetime, timezone

    from documentation.models import NoteFacts
    from documentation.nlp.extract import EXTRACTOR_VERSION, extract_facts
    from priorauth.models import PayerProfile, PriorAuthorization
    from pracops.fhir.mapping import CPT
    from pracops.records.demo import PATIENTS
    from pracops.records.models import Coverage, DocumentReference, Organization, Patient, ServiceRequest

    payers = {key: Organization.objects.create(name=key, kind="pay") for key in ("commercial", "medicare")}
    for key, payer in payers.items():
        PayerProfile.objects.create(organization=payer, policy_key=key, adapter="fax", fax_number="+15550100")
    cases = [("commercial" if p[5] == "acme" else "medicare", p[10][0],
              extract_facts(p[11], note_date=date(2026, 11, 2))) for p in PATIENTS]
    pks = []
    for n in range(count):
        key, cpt, facts = cases[n % len(cases)]
        patient = Patient.objects.create(family=f"Bench{n}")
        coverage = Coverage.objects.create(beneficiary=patient, payor=payers[key], status="active")
        order = ServiceRequest.objects.create(patient=patient, code=cpt, code_system=CPT, status="active",
                                              date=datetime(2026, 11, 20, tzinfo=timezone.utc))
        note = DocumentReference.objects.create(patient=patient, text="(bench)", code="11488-4",
                                                date=datetime(2026, 11, 2, tzinfo=timezone.utc))
        NoteFacts.objects.create(document=note, extractor_version=EXTRACTOR_VERSION, text_sha256="-", facts=facts)
        pks.append(PriorAuthorization.objects.create(
            service_request=order, patient=patient, coverage=coverage, payer=payers[key], cpt=cpt,
            planned_date=date(2026, 11, 20), policy_key=key).pk)
    return pks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--mode", choices=("single", "batch", "both"), default="both")
    args = parser.parse_args()

    from django.db import connection

    from priorauth.models import PriorAuthorization
    from priorauth.services import evaluate_authorization, evaluate_authorizations

    def single(pks: list[int]) -> None:
        for pk in pks:
            evaluate_authorization(authorization=PriorAuthorization(pk=pk))

    def batch(pks: list[int]) -> None:
        evaluate_authorizations(authorizations=[PriorAuthorization(pk=pk) for pk in pks])

    modes = {"single": single, "batch": batch}
    chosen = list(modes) if args.mode == "both" else [args.mode]

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        pks = _fill(args.requests)
        evaluate_authorization(authorization=PriorAuthorization(pk=pks[0]))  # warm the policy cache
        for mode in chosen:
            rates = []
            # The queries are counted in a separate pass: capturing them costs time.
            for run in range(args.runs):
                started = time.perf_counter()
                modes[mode](pks)
                elapsed = time.perf_counter() - started
                rates.append(len(pks) / elapsed)
                print(f"{mode} run {run + 1}: {len(pks)} evaluations in {elapsed:.2f} s = {rates[-1]:.0f}/s")
            queries = []
            with connection.execute_wrapper(lambda execute, sql, *rest: queries.append(sql) or execute(sql, *rest)):
                modes[mode](pks)
            print(f"{mode} median: {statistics.median(rates):.0f} evaluations/s ({connection.vendor}; "
                  f"{len(queries)} statements for {len(pks)} requests)")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
