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
