"""Signals other apps listen to. Receivers schedule work (on commit); they do not write here."""

from django.dispatch import Signal

# Sent after a unit of work wrote records, inside its transaction, with
# ``changes``: a list of (resource_type, fhir_id, pk, result), result being
# "created", "updated" or "deleted".
records_written = Signal()
