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
import tempfile
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
KINDS = ("first_page", "status", "payer", "patient", "date_range", "carc", "detail")
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
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=[*KINDS, "mixed"],
                        help="the calls to time, each on its own (mixed: all in turn)")
    args = parser.parse_args()

    if args.reload or claims_loaded(args.database_url) < args.claims:
        recreate_database(args.database_url)
        manage(args, "migrate", "-v0")
        started = time.perf_counter()
        load(args)
        print(json.dumps({"loaded_claims": args.claims, "seconds": round(time.perf_counter() - started, 1)}))
    manage(args, "migrate", "-v0")  # the indexes of the code being measured
    if not remittances_loaded(args.database_url):
        started = time.perf_counter()
        load_remittances(args)
        print(json.dumps({"loaded_remittances": True, "seconds": round(time.perf_counter() - started, 1)}))
    if args.load_only:
        return
    ids = write_claim_ids(args.database_url)
    token = manage(args, "create_api_client", f"claims-bench-{int(time.time())}", "--role", "billing").strip()
    port = free_port()
    server = start_gunicorn(args, port)
    runs: dict[str, list[dict]] = {kind: [] for kind in args.kinds}
    try:
        base = f"http://127.0.0.1:{port}"
        wrk(args, base, token, "mixed", ids, duration=3)  # warm up
        for number in range(1, args.runs + 1):
            for kind in args.kinds:
                result = wrk(args, base, token, kind, ids, duration=args.duration)
                print(json.dumps({"run": number, "kind": kind, **result, "loadavg": loadavg()}), flush=True)
                runs[kind].append(result)
    finally:
        server.terminate()
        server.wait(timeout=10)
        ids.unlink()
    for kind, results in runs.items():
        print(json.dumps({"kind": kind, "runs": len(results),
                          **{f"median_{name}": statistics.median(r[name] for r in results)
                             for name in ("p50_ms", "p95_ms", "p99_ms", "requests_per_second")},
                          "non_2xx": sum(r["non_2xx"] for r in results)}))


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


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
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would: index-only counts


def remittances_loaded(url: str) -> bool:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT EXISTS (SELECT 1 FROM billing_remittance_paymentadjustment)").fetchone()[0]


def load_remittances(args) -> None:
    """One posted 835 paying the paid, partially paid and denied claims: CO-45 on each, CO-97 on
    the partially paid, CO-197 or CO-50 on the denied (what ``?carc=`` finds)."""
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pracops.settings")
    sys.path.insert(0, str(args.project))
    import django

    django.setup()
    from django.db import connection

    from billing.models import Claim
    from billing.remittance.models import ClaimPayment, PaymentAdjustment, Remittance, X12File
    from pracops.bulk import insert_rows, reserve_pks

    stored = X12File.objects.create(sha256="0" * 64, name="bench.835", source="bench", kind="835", status="posted",
                                    text="ISA*bench")
    remittance = Remittance.objects.create(file=stored, set_control_number="0001", payer_name="Bench Payer",
                                           payment_date=FIRST_DAY + timedelta(days=DAYS), total_paid=Decimal("0"))
    paid = list(Claim.objects.filter(status__in=("paid", "partially_paid", "denied"))
                .order_by("pk").values_list("pk", "status", "patient_control_number"))
    keys = reserve_pks({ClaimPayment: len(paid)})[ClaimPayment]
    payments, adjustments = [], []
    for position, (key, (pk, status, control)) in enumerate(zip(keys, paid, strict=True), 1):
        amount = {"paid": Decimal("600.00"), "partially_paid": Decimal("300.00")}.get(status, Decimal("0"))
        payments.append(dict(remittance_id=remittance.pk, position=position, claim_id=pk, patient_control_number=control,
                             status_code="4" if status == "denied" else "1", charge=Decimal("950.00"), paid=amount,
                             suspense=""))
        adjustments.append(dict(claim_payment_id=key, group="CO", reason="45", amount=Decimal("350.00")))
        if status == "partially_paid":
            adjustments.append(dict(claim_payment_id=key, group="CO", reason="97", amount=Decimal("300.00")))
        elif status == "denied":
            adjustments.append(dict(claim_payment_id=key, group="CO", reason="197" if position % 4 < 2 else "50",
                                    amount=Decimal("600.00")))
    insert_rows(ClaimPayment, payments, pks=keys)
    insert_rows(PaymentAdjustment, adjustments)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would: index-only counts


def write_claim_ids(url: str) -> Path:
    """1,000 claims' public ids (the detail calls pick from them), in a temporary file."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT public_id FROM billing_claim ORDER BY random() LIMIT 1000").fetchall()
    handle, name = tempfile.mkstemp(prefix="claims-bench-", suffix=".txt")
    with os.fdopen(handle, "w") as out:
        out.writelines(f"{public_id}\n" for (public_id,) in rows)
    return Path(name)


def wrk(args, base: str, token: str, kind: str, ids: Path, *, duration: int) -> dict:
    done = subprocess.run(
        ["wrk", "--threads", "1", "--connections", str(args.connections), "--duration", f"{duration}s",
         "--timeout", "5s", "--script", str(ROOT / "bench" / "billing_claims_api.lua"), base,
         "--", token, str(PATIENTS), kind, str(ids)],
        capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
