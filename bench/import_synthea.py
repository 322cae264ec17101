"""Benchmark: ``manage.py import_fhir`` of the Synthea bundles into a fresh PostgreSQL database.

Each run drops and creates the database, migrates it, imports every bundle (timed), then
imports them all again (the idempotent re-import: everything must come back "unchanged").
Prints each run and the medians. Run by hand from the project root:

    .venv/bin/python bench/import_synthea.py [--runs 5] [--database-url postgres://...]

``--project DIR`` benchmarks another checkout (e.g. ``git archive`` of an older commit)
with this project's virtualenv; anything after ``--`` goes to ``import_fhir``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pracops_bench"
DEFAULT_FIXTURES = Path("/work/shared/fixtures/synthea")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES, help="a folder of bundles")
    parser.add_argument("--project", type=Path, default=ROOT, help="the checkout to run manage.py from")
    parser.add_argument("--keep", action="store_true", help="keep the database after the last run")
    parser.add_argument("import_args", nargs="*", help="more import_fhir arguments (after --)")
    args = parser.parse_args()

    runs = []
    for number in range(1, args.runs + 1):
        recreate_database(args.database_url)
        manage(args, "migrate", "-v0")
        first = import_all(args)
        again = import_all(args)
        if again["report"]["created"] or again["report"]["updated"]:
            sys.exit(f"run {number}: the re-import wrote something: {again['report']}")
        runs.append((first, again))
        print(
            f"run {number}: {first['report']['stored']} stored in {first['report']['seconds']:.2f} s "
            f"= {first['report']['resources_per_second']:.0f} resources/s "
            f"({first['process_seconds']:.2f} s for the whole process); "
            f"re-import {again['report']['seconds']:.2f} s "
            f"= {again['report']['resources_per_second']:.0f} resources/s",
            flush=True,
        )
    if not args.keep:
        drop_database(args.database_url)

    def median(values) -> float:
        return statistics.median(values)

    print(
        f"median of {len(runs)}: import {median(r['report']['resources_per_second'] for r, _ in runs):.0f} "
        f"resources/s ({median(r['report']['seconds'] for r, _ in runs):.2f} s; whole process "
        f"{median(r['process_seconds'] for r, _ in runs):.2f} s); re-import "
        f"{median(a['report']['seconds'] for _, a in runs):.2f} s "
        f"({median(a['report']['resources_per_second'] for _, a in runs):.0f} resources/s)"
    )


def import_all(args) -> dict:
    started = time.perf_counter()
    out = manage(args, "import_fhir", str(args.fixtures), "--progress", "never", *args.import_args)
    return {"report": json.loads(out), "process_seconds": time.perf_counter() - started}


def manage(args, *command: str) -> str:
    env = {**os.environ, "DATABASE_URL": args.database_url}
    done = subprocess.run(
        [sys.executable, str(args.project / "manage.py"), *command],
        cwd=args.project, env=env, capture_output=True, text=True,
    )
    if done.returncode != 0:
        sys.exit(f"manage.py {' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _maintenance(url: str) -> tuple[str, str]:
    """The URL of the server's ``postgres`` database, and the benchmark database's name."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name == "postgres":
        sys.exit("give the benchmark its own database name; it is dropped and created each run")
    return urlunsplit(parts._replace(path="/postgres")), name


def recreate_database(url: str) -> None:
    server, name = _maintenance(url)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    server, name = _maintenance(url)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
