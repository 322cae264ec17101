from django.db import models

from pracops.records.models import FhirRecord, Patient


class Claim(FhirRecord):
    """A minimal claim, as billing's will register: a patient and a status."""

    resource_type = "Claim"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=32, blank=True)
