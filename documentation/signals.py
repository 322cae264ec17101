"""Signals other apps listen to. Receivers schedule work (on commit); they do not write here."""

from django.dispatch import Signal

# Sent once the facts of a note are committed (new, or read again from changed text), with
# ``document_pk`` and ``patient_pk``: what was found in the patient's notes has changed.
note_facts_stored = Signal()
