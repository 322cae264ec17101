from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q

from documentation.models import NoteFacts, NoteReading


def latest_facts(document_pk: int) -> NoteFacts | None:
    """The facts the newest extractor version found in a note."""
    return NoteFacts.objects.filter(document_id=document_pk).order_by("-extracted_at", "-pk").first()


def failed_reading(document_pk: int) -> NoteReading | None:
    """The note's latest failed (or unfinished) attempts at being read, if any; a note read
    successfully has none for that extractor version."""
    return NoteReading.objects.filter(document_id=document_pk, attempts__gt=0).order_by("-last_attempt_at").first()


def notes_to_read(extractor_version: str, *, include_read: bool = False):
    """Primary keys of the notes this extractor version has not read (or of every note); a
    document without text (a PDF such as a prior authorization packet) is not a note."""
    from pracops.records.models import DocumentReference

    notes = DocumentReference.objects.exclude(text="").order_by("pk")  # a document without text is no note
    if not include_read:
        notes = notes.exclude(facts__extractor_version=extractor_version)
    return notes.values_list("pk", flat=True)


def text_sha256(text: str) -> str:
    """The digest facts are stored against: a note is read again when its text changes."""
    return hashlib.sha256(text.encode("utf-8", errors="replace")).hexdigest()


def notes_due_for_reading(extractor_version: str, *, settled_before: datetime, now: datetime,
                          limit: int) -> list[int]:
    """Primary keys of notes written before ``settled_before`` that this extractor version has
    not read from their current text, and that are neither waiting to be tried again nor given
    up (see NoteReading). At most ``limit``, oldest first.

    A note read before its last change is read again only if its text changed; that is
    checked for the notes changed in the last day (older lost re-reads: ``read_notes --all``),
    so the sweep does not hash every note ever edited.
    """
    from pracops.records.models import DocumentReference

    waiting = NoteReading.objects.filter(extractor_version=extractor_version).filter(
        Q(retry_after__gt=now) | Q(attempts__gte=settings.NOTE_READING_MAX_ATTEMPTS))
    notes = DocumentReference.objects.filter(last_updated__lt=settled_before).exclude(text="").exclude(
        pk__in=waiting.values("document_id")).order_by("pk")
    due = list(notes.exclude(facts__extractor_version=extractor_version).values_list("pk", flat=True)[:limit])
    changed = notes.filter(
        facts__extractor_version=extractor_version, facts__extracted_at__lt=F("last_updated"),
        last_updated__gte=settled_before - timedelta(days=1),
    ).values_list("pk", "text", "facts__text_sha256")
    due += [pk for pk, text, digest in changed[:limit] if text_sha256(text) != digest]
    return sorted(due)[:limit]
