"""Work committed is work done: the database row, not the broker, says what is left to do.

A note is to be read while no NoteFacts row exists for its current text and the current
extractor version (and its reading has not been given up); an asynchronous Bundle is to be
run while its BundleSubmission is queued. So a task is queued best effort when the row is
committed (``enqueue_on_commit``: a broker that is down is logged, not raised, because the
work is already safe), and a periodic sweep (Celery beat every ``PENDING_WORK_SWEEP_SECONDS``,
or ``manage.py sweep_pending_work`` from cron) queues again whatever is still pending after
``PENDING_WORK_GRACE_SECONDS``. This was chosen over a separate outbox table because the rows
already carry the state, so there is nothing extra to write in the request and nothing to
keep in step. Tasks may therefore arrive twice (the on-commit one and the sweep's, or a
redelivery after a worker died): each checks the row's state under a lock and does the work
once.

The sweeps themselves live with the work they own (dotted paths in ``PENDING_WORK_SWEEPS``),
so this module depends on no domain app.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


def enqueue(task, *args) -> bool:
    """Queue ``task`` with ``args`` (ids only); False, logged, when the broker cannot take it."""
    try:
        task.delay(*args)
    except Exception as exc:  # noqa: BLE001 - any broker trouble; the sweep queues it later
        # Ids and the error's type only: a broker error's text can quote the message body.
        logger.warning("%s %s not queued (%s); the pending-work sweep will queue it",
                       task.name, args[0] if args else "", type(exc).__name__)
        return False
    return True


def enqueue_on_commit(task, *args) -> None:
    """Queue ``task`` once the current transaction commits, best effort (see the module docstring)."""
    transaction.on_commit(lambda: enqueue(task, *args))


def sweep_pending_work() -> dict[str, int]:
    """Run every sweep in ``PENDING_WORK_SWEEPS``; how many items each queued again."""
    sweeps: list[Callable[[], int]] = [import_string(path) for path in settings.PENDING_WORK_SWEEPS]
    return {sweep.__name__: sweep() for sweep in sweeps}
