"""python manage.py read_notes: queue every note the current extractor has not read yet."""

from django.core.management.base import BaseCommand

from documentation.selectors import notes_to_read
from documentation.tasks import extract_note_facts_task
from documentation.nlp.extract import EXTRACTOR_VERSION


class Command(BaseCommand):
    help = ("Queue notes for reading on the nlp queue: those the current extractor version has not "
            "read (after an extractor upgrade), or with --all every note.")

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="read every note again")

    def handle(self, *args, all: bool = False, **options):
        pks = list(notes_to_read(EXTRACTOR_VERSION, include_read=all))
        for pk in pks:
            extract_note_facts_task.delay(pk)
        self.stdout.write(f"{len(pks)} notes queued for extractor {EXTRACTOR_VERSION}")
