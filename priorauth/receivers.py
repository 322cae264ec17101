"""What the workflow does when the records change: a patient's requests still being prepared
are evaluated again (in the background) when a note has been read or a procedure recorded."""

from __future__ import annotations

from django.dispatch import receiver

from documentation.signals import note_facts_stored
from pracops.pending_work import enqueue_on_commit
from pracops.records.signals import records_written


@receiver(note_facts_stored, dispatch_uid="priorauth.reevaluate_on_note_facts")
def reevaluate_on_note_facts(sender, document_pk: int, patient_pk: int | None, **kwargs) -> None:
    if patient_pk is None:
        return
    from priorauth.selectors import requests_to_reevaluate
    from priorauth.tasks import reevaluate_patient_task

    if requests_to_reevaluate(patient_pk):
        # Sent after the facts committed: queued at once (on_commit runs immediately outside a transaction).
        enqueue_on_commit(reevaluate_patient_task, patient_pk)


@receiver(records_written, dispatch_uid="priorauth.reevaluate_on_procedures")
def reevaluate_on_procedures(sender, changes, **kwargs) -> None:
    """A performed procedure changes frequency criteria (and units used): re-evaluate its patient."""
    procedures = [pk for resource_type, _fhir_id, pk, result in changes
                  if resource_type == "Procedure" and pk is not None and result in ("created", "updated")]
    if not procedures:
        return
    from priorauth.models import PriorAuthorization
    from priorauth.tasks import reevaluate_patient_task
    from pracops.records.models import Procedure

    patients = set(Procedure.objects.filter(pk__in=procedures).values_list("patient_id", flat=True))
    waiting = set(PriorAuthorization.objects.filter(
        patient_id__in=patients, status__in=PriorAuthorization.EVALUABLE).values_list("patient_id", flat=True))
    for patient_pk in sorted(waiting):
        enqueue_on_commit(reevaluate_patient_task, patient_pk)
