"""Benchmark: FHIR search latency under load, through gunicorn, against PostgreSQL.

Loads 10,000 synthetic patients with a few encounters each (generated bundles imported with
``manage.py import_fhir``; skipped when the database already holds them), starts gunicorn on
a free loopback port, creates an API token, and drives two searches with ``wrk`` for a fixed
time each, a different patient on every request (``bench/search_latency.lua``):

    GET /fhir/Patient?identifier=<system>|<MRN>
    GET /fhir/Encounter?patient=<id>&date=ge<date>

Prints p50/p95 latency and requests/s per run, and the medians. Run by hand from the project
root (``apt-get install -y wrk`` first):

    .venv/bin/python bench/search_latency.py [--runs 3] [--duration 20] [--reload]

``--project`` serves another checkout (an older commit, for a before/after comparison in one
sitting); give it a database of its own, since its schema may differ.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from import_synthea import ROOT, drop_database, recreate_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pracops_search_bench"
MRN_SYSTEM = "urn:oid:2.16.840.1.113883.3.7418.1"
MR_TYPE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}
FIRST_DAY, DAYS = date(2022, 1, 1), 1600  # encounters fall between 2022 and mid-2026
SINCE = "2025-01-01"
PATIENTS_PER_BUNDLE = 100
QUERIES = ("identifier", "encounters")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--reload", action="store_true", help="drop the database and load it again")
    parser.add_argument("--runs", type=int, default=3, help="wrk runs per search")
    parser.add_argument("--duration", type=int, default=20, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=4, help="wrk's open connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument("--project", type=Path, default=ROOT,
                        help="the checkout to serve from (its own schema: give it its own --database-url)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")

    load(args)
    token = manage(args, "create_api_client", f"search-bench-{int(time.time())}", "--role", "integration").strip()
    port = free_port()
    server = start_gunicorn(args, port)
    results: dict[str, list[dict]] = {query: [] for query in QUERIES}
    try:
        base = f"http://127.0.0.1:{port}"
        check_answers(base, token, args.patients)
        for query in QUERIES:  # warm up: connections, caches
            wrk(args, base, token, query, duration=3)
        for number in range(1, args.runs + 1):
            for query in QUERIES:
                result = wrk(args, base, token, query, duration=args.duration)
                results[query].append(result)
                print(f"run {number} {query:10}: p50 {result['p50_ms']:6.2f} ms  p95 {result['p95_ms']:6.2f} ms  "
                      f"{result['requests_per_second']:7.1f} requests/s  (non-2xx {result['non_2xx']}, "
                      f"socket errors {result['socket_errors']})", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    if args.drop:
        drop_database(args.database_url)
    for query in QUERIES:
        runs = results[query]
        print(f"median of {len(runs)} {query:10}: p50 {statistics.median(r['p50_ms'] for r in runs):.2f} ms, "
              f"p95 {statistics.median(r['p95_ms'] for r in runs):.2f} ms, "
              f"{statistics.median(r['requests_per_second'] for r in runs):.0f} requests/s")


# --- the data -------------------------------------------------------------------------


def load(args) -> None:
    """Create and fill the database unless it already holds the patients."""
    if not args.reload and patients_loaded(args.database_url) >= args.patients:
        print(f"using the {args.patients} patients already in {args.database_url}")
        return
    recreate_database(args.database_url)
    manage(args, "migrate", "-v0")
    with tempfile.TemporaryDirectory(prefix="search-bench-") as folder:
        for first in range(1, args.patients + 1, PATIENTS_PER_BUNDLE):
            numbers = range(first, min(first + PATIENTS_PER_BUNDLE, args.patients + 1))
            Path(folder, f"patients-{first:05d}.json").write_text(json.dumps(bundle(numbers)))
        started = time.perf_counter()
        report = json.loads(manage(args, "import_fhir", folder, "--progress", "never"))
        seconds = time.perf_counter() - started
    with psycopg.connect(args.database_url, autocommit=True) as conn:
        conn.execute("ANALYZE")  # what autovacuum would soon do: plans from real row counts
    print(f"loaded {report['stored']} resources ({report['created'].get('Patient', 0)} patients, "
          f"{report['created'].get('Encounter', 0)} encounters) in {seconds:.1f} s "
          f"({report['resources_per_second']:.0f} resources/s)", flush=True)


def patients_loaded(url: str) -> int:
    try:
        with psycopg.connect(url) as conn:
            return conn.execute(
                "SELECT count(*) FROM records_patient WHERE fhir_id LIKE 'bench-patient-%%'"
            ).fetchone()[0]
    except psycopg.Error:
        return 0


def bundle(numbers: range) -> dict:
    """A transaction Bundle of patients, each with two to six encounters at one clinic."""
    clinic = {"resourceType": "Organization", "id": "bench-clinic", "name": "Bench Pain Clinic"}
    doctor = {"resourceType": "Practitioner", "id": "bench-doctor", "name": [{"family": "Bench", "given": ["Dana"]}]}
    entries = [_entry(clinic), _entry(doctor)]
    for n in numbers:
        patient = {
            "resourceType": "Patient", "id": f"bench-patient-{n:05d}", "gender": ("female", "male")[n % 2],
            "birthDate": (date(1940, 1, 1) + timedelta(days=n * 3 % 20000)).isoformat(),
            "name": [{"family": f"Family{n:05d}", "given": ["Pat"]}],
            "identifier": [{"system": MRN_SYSTEM, "value": f"MRN-{n:05d}", "type": MR_TYPE}],
        }
        entries.append(_entry(patient))
        for v in range(2 + n % 5):
            day = FIRST_DAY + timedelta(days=(n * 37 + v * 211) % DAYS)
            entries.append(_entry({
                "resourceType": "Encounter", "id": f"bench-visit-{n:05d}-{v}", "status": "finished",
                "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
                "type": [{"text": "Follow-up visit"}],
                "subject": {"reference": f"urn:uuid:{patient['id']}"},
                "participant": [{"individual": {"reference": "urn:uuid:bench-doctor"}}],
                "serviceProvider": {"reference": "urn:uuid:bench-clinic"},
                "period": {"start": f"{day}T09:00:00-05:00", "end": f"{day}T09:30:00-05:00"},
            }))
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def _entry(resource: dict) -> dict:
    return {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource,
            "request": {"method": "POST", "url": resource["resourceType"]}}


# --- the server and the load -----------------------------------------------------------


def server_env(args) -> dict:
    # DEBUG off: with it on, Django keeps every query of a request in memory.
    # The per-client rate limit still runs on every request (its cost is measured) but is set
    # far above what wrk sends, so no request is refused with a 429.
    return {**os.environ, "DATABASE_URL": args.database_url, "DJANGO_DEBUG": "false",
            "PRACOPS_LOG_LEVEL": "WARNING", "PRACOPS_API_RATE_CLIENT": "1000000/min"}


def manage(args, *command: str) -> str:
    done = subprocess.run([sys.executable, str(args.project / "manage.py"), *command], cwd=args.project,
                          env=server_env(args), capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"manage.py {' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(args, port: int) -> subprocess.Popen:
    # gthread workers keep wrk's connections alive (sync workers close each one) and a second
    # thread per worker overlaps one request's database wait with another's Python.
    command = [
        str(Path(sys.executable).with_name("gunicorn")), "pracops.wsgi",
        "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
        "--worker-class", "gthread", "--threads", str(args.threads), "--keep-alive", "30",
        "--preload", "--log-level", "warning",
    ]
    server = subprocess.Popen(command, cwd=args.project, env=server_env(args))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=1):
                return server
        except OSError:
            if server.poll() is not None:
                sys.exit("gunicorn did not start")
            time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not answer within 30 s")


def check_answers(base: str, token: str, patients: int) -> None:
    """Both searches find what they should before they are timed."""
    n = patients // 2
    identifier = urllib.parse.quote(f"{MRN_SYSTEM}|MRN-{n:05d}")
    found = get(base, token, f"/fhir/Patient?identifier={identifier}")
    if found.get("total") != 1 or found["entry"][0]["resource"]["id"] != f"bench-patient-{n:05d}":
        sys.exit(f"the identifier search found the wrong thing: {found}")
    visits = get(base, token, f"/fhir/Encounter?patient=bench-patient-{n:05d}&date=ge2022-01-01")
    if visits.get("total") != 2 + n % 5:
        sys.exit(f"the encounter search found the wrong thing: {visits}")


def get(base: str, token: str, path: str) -> dict:
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def wrk(args, base: str, token: str, query: str, *, duration: int) -> dict:
    done = subprocess.run(
        ["wrk", "--threads", "1", "--connections", str(args.connections), "--duration", f"{duration}s",
         "--timeout", "5s", "--script", str(ROOT / "bench" / "search_latency.lua"), base,
         "--", token, query, str(args.patients), MRN_SYSTEM, SINCE],
        capture_output=True, text=True, check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
