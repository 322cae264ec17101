import pytest

from billing.fhir import tasks


@pytest.fixture(autouse=True)
def projection_in_process(monkeypatch):
    """The projection tasks queued run here, in this process and this test's transaction, with a
    broker too (no worker reads the test's uncommitted rows); what was queued is kept."""
    queued: list[list[int]] = []

    def run(task, *args) -> bool:
        queued.append(list(args[0]))
        task.apply(args=args, throw=True)
        return True

    monkeypatch.setattr(tasks, "enqueue", run)
    return queued
