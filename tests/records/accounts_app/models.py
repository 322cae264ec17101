from django.db import models

from pracops.records.models import FhirRecord, Patient


class Account(FhirRecord):
    """A minimal patient account, as a domain app would register one: a patient and a status."""

    resource_type = "Account"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=32, blank=True)
