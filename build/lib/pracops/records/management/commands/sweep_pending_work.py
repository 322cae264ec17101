"""python manage.py sweep_pending_work: what beat runs every minute, for cron or by hand."""

import json

from django.core.management.base import BaseCommand

from pracops.pending_work import sweep_pending_work


class Command(BaseCommand):
    help = ("Queue again the work committed but not done (notes to read, asynchronous Bundles) whose "
            "task was lost, and expire asynchronous Bundles left unfinished too long.")

    def handle(self, *args, **options):
        self.stdout.write(json.dumps({"queued": sweep_pending_work()}))
