"""What note understanding found in a clinical note, per extractor version."""

from django.db import models
from django.utils import timezone


class NoteFacts(models.Model):
    """The ClinicalFacts of one note as one extractor version read it.

    One row per (note, extractor version): re-running the same version is idempotent, and a
    newer extractor adds its own row beside the old one, so results can be compared.
    """

    document = models.ForeignKey("records.DocumentReference", on_delete=models.CASCADE, related_name="facts")
    extractor_version = models.CharField(max_length=32)
    text_sha256 = models.CharField(max_length=64, help_text="Of the note text the facts were read from")
    facts = models.JSONField()
    extracted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "note facts"
        verbose_name_plural = "note facts"
        constraints = [
            models.UniqueConstraint(fields=["document", "extractor_version"], name="one_facts_per_note_version")
        ]
        ordering = ["-extracted_at"]

    def __str__(self) -> str:
        return f"Facts of {self.document} (extractor {self.extractor_version})"


# The last error of an attempt that has not returned: still running, or its worker was killed.
UNFINISHED = "unfinished"


class NoteReading(models.Model):
    """A note the current extractor has not read successfully yet: how often it was tried,
    why it last failed, and when it may be tried again. Deleted once the note is read.

    An attempt is counted when it starts, so a worker killed mid-note (a hard time limit, a
    crash) counts too. Never holds the note's text or an exception's message: the error's
    type only.
    """

    document = models.ForeignKey("records.DocumentReference", on_delete=models.CASCADE, related_name="readings")
    extractor_version = models.CharField(max_length=32)
    text_sha256 = models.CharField(max_length=64, blank=True, help_text="Of the note text last tried")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=100, blank=True, help_text="The type of the last error")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    retry_after = models.DateTimeField(default=timezone.now, help_text="The sweep queues it again after this")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["document", "extractor_version"], name="one_reading_per_note_version")
        ]

    def __str__(self) -> str:
        return f"Reading of {self.document} (extractor {self.extractor_version}): {self.attempts} attempts"
