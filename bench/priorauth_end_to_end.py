"""Prior authorizations end to end, from note to payer decision, with one Celery worker (issue 8).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/e2e_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/6 \\
        .venv/bin/python bench/priorauth_end_to_end.py [--runs 3] [--count 200]

Each run drops and creates the database (DATABASE_URL), migrates it, empties the Redis database
(CELERY_BROKER_URL: give the bench a database of its own) and stores, outside the timed part, one
transaction Bundle of ``--count`` patients (the demo practice's ESI 64483, medial branch block
64493 and SI joint 27096 patients in turn, with their coverage at Acme or Medicare, order,
condition, encounter and note, as ``manage.py load_demo`` stores them), the payers' profiles
(Da Vinci PAS at the sandbox payer) and a request per order, which the notes being unread leave
``needs_documentation``. It starts the sandbox payer's server (gunicorn, one worker, on a free
loopback port) and ONE Celery worker (``--pool=solo``, queues default and nlp), and sends one
more patient through the whole chain to warm both up (NLP models, WeasyPrint's fonts).

Timed part: the notes are queued for reading (documentation.tasks.extract_note_facts_task) and
the worker reads each note, which queues the patient's re-evaluation (priorauth.tasks), which
makes the request ready. This script stands for the staff member who presses "send" as soon as
a request is ready (services.request_submission, polled every 0.2 s); the worker then builds
the packet (PDF), sends the PAS bundle to the sandbox payer over HTTP and applies its answer.
The sandbox's rules approve at once (its default rule), so the decision comes back in the
$submit response. The clock stops when every request is decided.

Prints each run's seconds and requests/s, when each stage finished (the last request's) and the
median per-request time from the start to each stage, then the median of the runs. The worker's
log (a line per task, with its time) is left in $TMPDIR/priorauth_end_to_end_worker.log.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/e2e_bench"
DEFAULT_BROKER = "redis://127.0.0.1:6379/6"
os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE)
os.environ.setdefault("CELERY_BROKER_URL", DEFAULT_BROKER)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pracops.settings")
os.environ.setdefault("DJANGO_DEBUG", "false")  # with DEBUG on, Django keeps every query in memory
os.environ.setdefault("PRACOPS_LOG_LEVEL", "WARNING")
os.environ["PRACOPS_SANDBOX_PAYER"] = "true"

import django  # noqa: E402

django.setup()

from import_synthea import recreate_database  # noqa: E402

PROFILES = {"ACME01": "commercial", "MCRJ15": "medicare"}
CASES = ("p1", "p2", "p3")  # the demo patients whose notes meet their payer's criteria
SHARED = 4  # the practice, the two payers and the doctor open the demo bundle
PER_PATIENT = 7  # patient, coverage, encounter, condition, order, pain score, note
DECIDED = ("approved", "partially_approved", "denied")
STAGES = (("note read", "read"), ("ready", "ready"), ("packet built", "packet"),
          ("sent", "sent"), ("decided", "decided"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--count", type=int, default=200, help="prior-authorization requests per run")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds a run may take before it fails")
    args = parser.parse_args()
    seconds = []
    for run in range(1, args.runs + 1):
        elapsed, stages = one_run(args)
        seconds.append(elapsed)
        print(f"run {run}: {args.count} requests decided in {elapsed:.1f} s = {args.count / elapsed:.2f} requests/s",
              flush=True)
        for label, key in STAGES:
            last, typical = stages[key]
            print(f"    {label:13} last at {last:6.1f} s, median request at {typical:6.1f} s", flush=True)
    median = statistics.median(seconds)
    print(f"median of {args.runs} runs over {args.count} requests: {median:.1f} s = {args.count / median:.2f} "
          f"requests/s (range {min(seconds):.1f}-{max(seconds):.1f} s)")


# --- One run ---------------------------------------------------------------------------


def one_run(args) -> tuple[float, dict[str, tuple[float, float]]]:
    from django.db import connections

    connections.close_all()
    recreate_database(os.environ["DATABASE_URL"])
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=os.environ, check=True)
    _flush_broker()
    port = _free_port()
    warm_up, measured = _fill(count=args.count, endpoint=f"http://127.0.0.1:{port}/sandbox/payer/fhir/")
    server = _start_server(port)
    worker = _start_worker()
    try:
        _drive([warm_up], timeout=300)  # the worker's first note loads the NLP pipeline
        started = time.perf_counter()
        from django.utils import timezone

        origin = timezone.now()
        _drive(measured, timeout=args.timeout)
        elapsed = time.perf_counter() - started
        return elapsed, _stages(measured, origin)
    finally:
        for process in (worker, server):
            process.terminate()
        for process in (worker, server):
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        connections.close_all()


def _fill(*, count: int, endpoint: str) -> tuple[int, list[int]]:
    """Store the practice, ``count`` + 1 patients and their requests; (the warm-up request's pk,
    the measured requests' pks)."""
    from django.db import transaction

    from pracops.access.roles import ensure_roles
    from pracops.records.models import Organization, ServiceRequest
    from pracops.records.services.imports import import_bundle
    from priorauth import services
    from priorauth.models import PayerProfile

    with transaction.atomic():
        ensure_roles()
        import_bundle(_bundle(count + 1), system="bench")
    _flush_broker()  # storing the notes queued their reading: the timed part queues it again
    for value, key in PROFILES.items():
        payer = Organization.objects.get(identifiers__system="urn:oid:2.16.840.1.113883.3.7418.2",
                                         identifiers__value=value)
        PayerProfile.objects.create(organization=payer, policy_key=key, adapter=PayerProfile.Adapter.PAS,
                                    endpoint=endpoint)
    pks = []
    for order in ServiceRequest.objects.order_by("pk"):
        authorization = services.create_authorization(service_request=order, agent="system:bench")
        if authorization.status != "needs_documentation":
            sys.exit(f"a request is {authorization.status} before its note is read: the bench is wrong")
        pks.append(authorization.pk)
    return pks[0], pks[1:]


def _bundle(patients: int) -> dict:
    """The demo bundle's practice, payers and doctor, and ``patients`` copies of its patients
    (new ids and medical record numbers each)."""
    from pracops.records.demo import demo_bundle

    demo = demo_bundle()["entry"]
    entries = demo[:SHARED]
    groups = {key: demo[SHARED + n * PER_PATIENT:SHARED + (n + 1) * PER_PATIENT] for n, key in enumerate(
        ("p1", "p2", "p3", "p4"))}
    for n in range(patients):
        group = groups[CASES[n % len(CASES)]]
        text = json.dumps(group)
        for entry in group:
            text = text.replace(entry["resource"]["id"], str(uuid.uuid4()))
        mrn = group[0]["resource"]["identifier"][0]["value"]
        entries += json.loads(text.replace(f'"{mrn}"', f'"BENCH-{n:05d}"'))
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def _drive(pks: list[int], *, timeout: float) -> None:
    """Queue the requests' notes for reading, send each request as soon as it is ready, and
    return once all are decided."""
    from django.db.models import Count

    from documentation.tasks import extract_note_facts_task
    from pracops.pending_work import enqueue
    from pracops.records.models import DocumentReference
    from priorauth import services
    from priorauth.models import PriorAuthorization

    patients = PriorAuthorization.objects.filter(pk__in=pks).values_list("patient_id", flat=True)
    for note in DocumentReference.objects.filter(patient_id__in=patients).exclude(text="").values_list("pk", flat=True):
        enqueue(extract_note_facts_task, note)
    deadline = time.monotonic() + timeout
    waiting = PriorAuthorization.objects.filter(pk__in=pks)
    while True:
        for ready in waiting.filter(status="ready", submit_requested_at=None).values_list("pk", flat=True):
            services.request_submission(authorization=PriorAuthorization(pk=ready), agent="system:bench")
        decided = waiting.filter(status__in=DECIDED).count()
        if decided == len(pks):
            return
        if time.monotonic() > deadline:
            counts = {row["status"]: row["n"] for row in waiting.values("status").annotate(n=Count("pk"))}
            sys.exit(f"not all decided after {timeout:.0f} s: {counts}")
        time.sleep(0.2)


def _stages(pks: list[int], origin) -> dict[str, tuple[float, float]]:
    """For each stage, (seconds from the start until the last request passed it, the median
    request's seconds from the start)."""
    from documentation.models import NoteFacts
    from priorauth.models import PriorAuthorization, StatusChange

    requests = list(PriorAuthorization.objects.filter(pk__in=pks).values(
        "pk", "patient_id", "packet_built_at", "submitted_at", "decided_at"))
    read = {row["document__patient_id"]: row["extracted_at"] for row in NoteFacts.objects.filter(
        document__patient_id__in=[r["patient_id"] for r in requests]).values("document__patient_id", "extracted_at")}
    ready = {row["authorization_id"]: row["at"] for row in StatusChange.objects.filter(
        authorization_id__in=pks, to_status="ready").values("authorization_id", "at")}
    times = {
        "read": [read[r["patient_id"]] for r in requests],
        "ready": [ready[r["pk"]] for r in requests],
        "packet": [r["packet_built_at"] for r in requests],
        "sent": [r["submitted_at"] for r in requests],
        "decided": [r["decided_at"] for r in requests],
    }
    return {key: (max((at - origin).total_seconds() for at in values),
                  statistics.median((at - origin).total_seconds() for at in values)) for key, values in times.items()}


# --- The processes -----------------------------------------------------------------------


def _flush_broker() -> None:
    import redis

    redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).flushdb()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(port: int) -> subprocess.Popen:
    """The sandbox payer (this app) behind gunicorn: one process, two threads."""
    command = [str(Path(sys.executable).with_name("gunicorn")), "pracops.wsgi", "--bind", f"127.0.0.1:{port}",
               "--workers", "1", "--worker-class", "gthread", "--threads", "2", "--log-level", "warning"]
    server = subprocess.Popen(command, cwd=ROOT, env=os.environ)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=1):
                return server
        except OSError:
            if server.poll() is not None:
                sys.exit("gunicorn stopped before it answered")
            time.sleep(0.3)
    server.terminate()
    sys.exit("gunicorn did not answer within 60 s")


def _start_worker() -> subprocess.Popen:
    command = [str(Path(sys.executable).with_name("celery")), "-A", "pracops", "worker", "--pool=solo",
               "--concurrency=1", "-Q", "default,nlp", "--loglevel=WARNING", "--without-heartbeat",
               "--without-gossip", "--without-mingle"]
    # Its log (a line per task) goes to a file: the printed figures stay readable.
    log = Path(tempfile.gettempdir(), "priorauth_end_to_end_worker.log")
    with log.open("w") as out:
        return subprocess.Popen(command, cwd=ROOT, env=os.environ, stdout=out, stderr=subprocess.STDOUT)


if __name__ == "__main__":
    main()
