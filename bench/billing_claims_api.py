"""Benchmark: ``GET /api/claims/`` latency under load with 100,000 claims, through gunicorn,
against PostgreSQL (issue 9's goal: p95 under 50 ms).

Loads 1,000 patients (one coverage each, three payers), 100,000 encounters and one claim with
one line per encounter, in bulk with the ORM (skipped when the database already holds them),
starts gunicorn on a free loopback port, creates a billing API token and drives ``wrk`` for a
fixed time per run on four list calls in turn (``bench/billing_claims_api.lua``): the first
page, a status filter, a patient filter and a service date range. Prints p50/p95 per run and
the medians. The number of SQL queries per call is pinned in tests/billing/api/test_claims.py.

    apt-get install -y wrk
    .venv/bin/python bench/billing_claims_api.py [--runs 3] [--duration 20] [--reload]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from import_synthea import ROOT, recreate_database  # noqa: E402
from search_latency import free_port, manage, start_gunicorn  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pracops_claims_bench"
PATIENTS, PAYERS, FIRST_DAY, DAYS = 1_000, 3, date(2025, 1, 1), 700
STATUSES = ("submitted", "accepted", "paid", "denied", "partially_paid", "rejected", "draft", "scrubbed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--reload", action="store_true", help="drop the database and load it again")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=20, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--project", type=Path, default=ROOT)
    parser.add_argument("--load-only", action="store_true", help="load the claims (if needed) and stop")
    args = parser.parse_args()

    if args.reload or claims_loaded(args.database_url) < args.claims:
        recreate_database(args.database_url)
        manage(args, "migrate", "-v0")
        started = time.perf_counter()
        load(args)
        print(json.dumps({"loaded_claims": args.claims, "seconds": round(time.perf_counter() - started, 1)}))
    if args.load_only:
        return
    token = manage(args, "create_api_client", f"claims-bench-{int(time.time())}", "--role", "billing").strip()
    port = free_port()
    server = start_gunicorn(args, port)
    runs = []
    try:
        base = f"http://127.0.0.1:{port}"
        wrk(args, base, token, duration=3)  # warm up
        for number in range(1, args.runs + 1):
            result = wrk(args, base, token, duration=args.duration)
            print(json.dumps({"run": number, **result}))
            runs.append(result)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(json.dumps({"median_p50_ms": statistics.median(r["p50_ms"] for r in runs),
                      "median_p95_ms": statistics.median(r["p95_ms"] for r in runs),
                      "median_requests_per_second": statistics.median(r["requests_per_second"] for r in runs),
                      "non_2xx": sum(r["non_2xx"] for r in runs)}))


def claims_loaded(url: str) -> int:
    try:
        with psycopg.connect(url) as conn:
            return conn.execute("SELECT count(*) FROM billing_claim").fetchone()[0]
    except psycopg.Error:
        return 0


def load(args) -> None:
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pracops.settings")
    sys.path.insert(0, str(args.project))
    import django

    django.setup()
    from billing.models import Claim, ClaimLine
    from pracops.records.models import Coverage, Encounter, Organization, Patient

    practice = Organization.objects.create(fhir_id="bench-practice", name="Bench Pain Clinic", kind="prov",
                                           npi="1234567893", resource={})
    payers = [Organization.objects.create(fhir_id=f"bench-payer-{n}", name=f"Bench Payer {n}", kind="pay",
                                          resource={}) for n in range(PAYERS)]
    patients = Patient.objects.bulk_create(
        [Patient(fhir_id=f"bench-patient-{n:05d}", family=f"Family{n:05d}", given="Pat",
                 birth_date=date(1950, 1, 1) + timedelta(days=n), resource={}) for n in range(PATIENTS)])
    coverages = Coverage.objects.bulk_create(
        [Coverage(fhir_id=f"bench-coverage-{n:05d}", beneficiary=patient, payor=payers[n % PAYERS],
                  member_id=f"M{n:08d}", resource={}) for n, patient in enumerate(patients)])
    for start in range(0, args.claims, 10_000):
        numbers = range(start, min(start + 10_000, args.claims))
        days = {n: FIRST_DAY + timedelta(days=(n * 37) % DAYS) for n in numbers}
        encounters = Encounter.objects.bulk_create(
            [Encounter(fhir_id=f"bench-visit-{n:06d}", status="finished", patient=patients[n % PATIENTS],
                       period_start=f"{days[n]}T09:00:00Z", resource={}) for n in numbers], batch_size=5000)
        claims = Claim.objects.bulk_create(
            [Claim(patient_control_number=f"B{n:011d}", encounter=encounter, patient=patients[n % PATIENTS],
                   coverage=coverages[n % PATIENTS], payer=payers[n % PATIENTS % PAYERS], billing_provider=practice,
                   status=STATUSES[n % len(STATUSES)], place_of_service="11", diagnoses=["M5416"],
                   service_date=days[n], total_charge=Decimal("950.00"))
             for n, encounter in zip(numbers, encounters, strict=True)], batch_size=5000)
        ClaimLine.objects.bulk_create(
            [ClaimLine(claim=claim, number=1, procedure_code="64483", modifiers=["LT"], units=1,
                       charge=Decimal("950.00"), service_date=claim.service_date, diagnosis_pointers=[1],
                       control_number=f"L{claim.patient_control_number}") for claim in claims], batch_size=5000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def wrk(args, base: str, token: str, *, duration: int) -> dict:
    done = subprocess.run(
        ["wrk", "--threads", "1", "--connections", str(args.connections), "--duration", f"{duration}s",
         "--timeout", "5s", "--script", str(ROOT / "bench" / "billing_claims_api.lua"), base,
         "--", token, str(PATIENTS)],
        capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
