from __future__ import annotations

from documentation.models import NoteFacts


def latest_facts(document_pk: int) -> NoteFacts | None:
    """The facts the newest extractor version found in a note."""
    return NoteFacts.objects.filter(document_id=document_pk).order_by("-extracted_at", "-pk").first()


def notes_to_read(extractor_version: str, *, include_read: bool = False):
    """Primary keys of the notes this extractor version has not read (or of every note)."""
    from pracops.records.models import DocumentReference

    notes = DocumentReference.objects.order_by("pk")
    if not include_read:
        notes = notes.exclude(facts__extractor_version=extractor_version)
    return notes.values_list("pk", flat=True)
