"""python manage.py rebuild_search_index: build the search index of every stored record afresh."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from pracops.records.services.search_index import rebuild_search_index


class Command(BaseCommand):
    help = "Rebuild the search index (codes, names, addresses, contacts) of every stored record, in one transaction."

    def handle(self, *args, **options):
        with transaction.atomic():
            indexed = rebuild_search_index()
        self.stdout.write(f"indexed {indexed} records")
