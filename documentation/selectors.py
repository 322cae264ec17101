from __future__ import annotations

from documentation.models import NoteFacts


def latest_facts(document_pk: int) -> NoteFacts | None:
    """The facts the newest extractor version found in a note."""
    return NoteFacts.objects.filter(document_id=document_pk).order_by("-extracted_at", "-pk").first()
