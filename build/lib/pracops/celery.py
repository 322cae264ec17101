"""The Celery application; tasks run in-process when no broker is configured."""

import os

from celery import Celery
from celery.signals import setup_logging, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pracops.settings")

app = Celery("pracops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _fresh_content_types(**kwargs):
    # Content type ids are cached per process, and a worker outlives database resets
    # (a migration rollout, or the test suite flushing tables between tests).
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


@app.task(name="pracops.sweep_pending_work", ignore_result=True)
def sweep_pending_work() -> dict[str, int]:
    """Run by beat: queue again the work whose task was lost (see pracops/pending_work.py)."""
    from pracops.pending_work import sweep_pending_work as sweep

    return sweep()


@setup_logging.connect
def _logging_from_settings(**kwargs):
    # Connected, this stops the worker installing its own handlers: it logs through the
    # LOGGING setting's, whose filter keeps patient data out (retry lines, database errors).
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
