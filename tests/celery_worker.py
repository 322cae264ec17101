"""A real Celery worker for the tests that need one (pytest plugin).

With ``CELERY_BROKER_URL`` set, the ``celery_worker`` fixture starts ``celery worker`` as a
separate process against the test database and a queue of this run's own, so tasks cross
a real broker into a real worker. Without a broker (the embedded default) tasks run
in-process and the fixture only makes sure the test's writes are committed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
_worker_log: Path | None = None  # the session's worker's log, quoted when a wait times out


def database_url() -> str:
    """The test database, as a DATABASE_URL for a worker process."""
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
    # Celery keeps the router it made for the first task sent: one an earlier test sent (a
    # note's reading queued on commit) would still route notes to the settings' nlp queue.
    app.amqp.flush_routes()
    app.amqp.__dict__.pop("router", None)
    assert app.amqp.router.route({}, "documentation.tasks.extract_note_facts_task")["queue"].name == queue
    env = dict(os.environ, DATABASE_URL=database_url(), CELERY_TASK_DEFAULT_QUEUE=queue,
               CELERY_NLP_QUEUE=queue, PYTHONPATH=str(ROOT))
    log = tmp_path_factory.mktemp("celery") / "worker.log"
    proc = start_worker(app, queues=[queue], node=f"{queue}@localhost", log=log, env=env)
    proc.queue, proc.node = queue, f"{queue}@localhost"
    global _worker_log
    _worker_log = log
    try:
        yield proc
    finally:
        stop_worker(proc)


def start_worker(app, *, queues: list[str], node: str, log: Path, env: dict) -> subprocess.Popen:
    """Start ``celery worker`` (one process, the solo pool) on ``queues`` and wait until ``app``
    can ping it; ``env`` is its whole environment (its database and broker)."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "pracops", "worker", "--pool=solo", "-Q", ",".join(queues),
             "-n", node, "--without-gossip", "--without-mingle", "--loglevel=INFO"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the Celery worker exited: {log.read_text()[-2000:]}")
        if app.control.ping(destination=[node], timeout=1.0):
            proc.log_path = log  # what the worker logged, for the tests that read it
            return proc
    stop_worker(proc)
    raise RuntimeError(f"the Celery worker did not start: {log.read_text()[-2000:]}")


def stop_worker(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def celery_worker(_worker_process, transactional_db):
    """Tasks reach a worker: a real process with a broker, in-process without one. A test's
    tasks end with it: what is still queued is dropped and what runs is waited for, so no
    task of one test writes into the next one's data (or holds a lock while its tables are
    flushed)."""
    yield _worker_process
    if _worker_process is not None and _worker_process.poll() is None:
        drain(_worker_process)


def drain(proc: subprocess.Popen, timeout: float = 60.0) -> None:
    """Drop the messages waiting in ``proc``'s queue and the tasks it holds for later, then wait
    until it runs nothing."""
    from pracops.celery import app

    inspect = app.control.inspect(destination=[proc.node], timeout=1.0)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(proc.queue)
        # A solo worker answers only between tasks: no answer means it is running one.
        scheduled, active, reserved = inspect.scheduled(), inspect.active(), inspect.reserved()
        later = [task["request"]["id"] for task in (scheduled or {}).get(proc.node, [])]
        if later:
            app.control.revoke(later, destination=[proc.node])
        answered = all(proc.node in (reply or {}) for reply in (scheduled, active, reserved))
        if answered and not later and not active[proc.node] and not reserved[proc.node]:
            return
        time.sleep(0.2)
    raise AssertionError(f"the worker was still busy {timeout:.0f} s after the test")


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.1):
    """Poll until ``predicate()`` is truthy (for results a worker produces)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    tail = _worker_log.read_text(errors="replace")[-3000:] if _worker_log and _worker_log.exists() else ""
    raise AssertionError(f"timed out waiting for the worker; the end of its log:\n{tail}")


class PrivateBroker:
    """A ``redis-server`` of one test's own, on a free port, that the test may stop and start
    (the shared Redis is never stopped), with workers of its own connected to it."""

    def __init__(self, app, tmp_path: Path):
        self.app, self.tmp_path = app, tmp_path
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.server: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        # The queues the app routes the project's tasks to, whichever they are in this run.
        self.queues = sorted({
            app.amqp.router.route({}, name)["queue"].name
            for name in ("pracops.records.tasks.process_bundle_submission",
                         "documentation.tasks.extract_note_facts_task")
        })

    def start(self) -> None:
        self.server = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )
        wait_for(self._answers, timeout=10, interval=0.05)

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.wait(timeout=10)
            self.server = None

    def start_worker(self) -> subprocess.Popen:
        name = f"w{len(self.workers)}-{uuid.uuid4().hex[:6]}@localhost"
        env = dict(os.environ, DATABASE_URL=database_url(), CELERY_BROKER_URL=self.url, PYTHONPATH=str(ROOT))
        proc = start_worker(self.app, queues=self.queues, node=name, log=self.tmp_path / "worker.log", env=env)
        self.workers.append(proc)
        return proc

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def _reset_broker_connections(app) -> None:
    # The app keeps its broker connections in pools made on first use; drop them so the next
    # message goes to the broker the environment names now.
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def private_broker(transactional_db, tmp_path, monkeypatch):
    """The app (this process) switched to a PrivateBroker, not started yet; skipped without a
    broker and PostgreSQL (workers and row locks across processes)."""
    if settings.CELERY_TASK_ALWAYS_EAGER or connection.vendor != "postgresql":
        pytest.skip("needs CELERY_BROKER_URL and PostgreSQL: real workers on a broker of the test's own")
    from pracops.celery import app

    broker = PrivateBroker(app, tmp_path)
    monkeypatch.setenv("CELERY_BROKER_URL", broker.url)  # Celery reads it before its settings
    _reset_broker_connections(app)
    try:
        yield broker
    finally:
        for proc in broker.workers:
            if proc.poll() is None:
                stop_worker(proc)
        broker.stop()
        monkeypatch.undo()
        _reset_broker_connections(app)
