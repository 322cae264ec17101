"""A real Celery worker for the tests that need one (pytest plugin).

With ``CELERY_BROKER_URL`` set, the ``celery_worker`` fixture starts ``celery worker`` as a
separate process against the test database and a queue of this run's own, so tasks cross
a real broker into a real worker. Without a broker (the embedded default) tasks run
in-process and the fixture only makes sure the test's writes are committed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.fixture(scope="session")
def _worker_process(django_db_setup, django_db_blocker, tmp_path_factory):
    if settings.CELERY_TASK_ALWAYS_EAGER:
        yield None
        return
    from pracops.celery import app

    queue = f"pracops-test-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue
    app.conf.task_routes = {"documentation.tasks.*": {"queue": queue}}
    env = dict(os.environ, DATABASE_URL=_database_url(), CELERY_TASK_DEFAULT_QUEUE=queue,
               CELERY_NLP_QUEUE=queue, PYTHONPATH=str(ROOT))
    log = tmp_path_factory.mktemp("celery") / "worker.log"
    node = f"{queue}@localhost"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "pracops", "worker", "--pool=solo", "-Q", queue,
             "-n", node, "--without-gossip", "--without-mingle", "--loglevel=INFO"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the Celery worker exited: {log.read_text()[-2000:]}")
            if app.control.ping(destination=[node], timeout=1.0):
                break
        else:
            raise RuntimeError(f"the Celery worker did not start: {log.read_text()[-2000:]}")
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def celery_worker(_worker_process, transactional_db):
    """Tasks reach a worker: a real process with a broker, in-process without one."""
    return _worker_process


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.1):
    """Poll until ``predicate()`` is truthy (for results a worker produces)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out waiting for the worker")
