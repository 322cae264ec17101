"""When a note arrives or changes (FHIR API, admin, EHR import), read it in the background."""

from __future__ import annotations

from django.dispatch import receiver

from pracops.pending_work import enqueue_on_commit
from pracops.records.signals import records_written


@receiver(records_written, dispatch_uid="documentation.read_new_notes")
def read_new_notes(sender, changes, **kwargs) -> None:
    notes = [pk for resource_type, _fhir_id, pk, result in changes
             if resource_type == "DocumentReference" and result in ("created", "updated") and pk is not None]
    if notes:
        # Only a document with text is a note to read: a PDF (a prior authorization packet,
        # a scanned letter) has nothing for the extractor.
        from pracops.records.models import DocumentReference

        notes = list(DocumentReference.objects.filter(pk__in=notes).exclude(text="").values_list("pk", flat=True))
    if not notes:
        return  # the task module loads the NLP pipeline's code (~2 s): not for a bundle without notes
    from documentation.tasks import extract_note_facts_task

    for pk in notes:
        # Best effort: a note whose task is lost is still unread, and the sweep queues it.
        enqueue_on_commit(extract_note_facts_task, pk)
