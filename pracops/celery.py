"""The Celery application; tasks run in-process when no broker is configured."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pracops.settings")

app = Celery("pracops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
