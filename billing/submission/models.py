"""837P files sent to clearinghouses.

A ``ClaimFile`` is written and validated (pyx12) before it leaves, stored whole, and sent at
most once: its interchange control number (ISA13, also its GS06) is unique, and sending moves it
from ``ready`` to ``sent`` under a row lock, so two workers, a retried task or a worker that dies
mid-send never send it twice. A ``ClaimFileEntry`` says which claims it carried and in which
transaction set (ST02), which is what a 999 names when it accepts or rejects a set.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class ClaimFile(models.Model):
    """One 837P interchange PracOps wrote for one clearinghouse."""

    class Status(models.TextChoices):
        READY = "ready", "Written and validated, not yet sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent, awaiting the 999"
        ACCEPTED = "accepted", "Accepted (999)"
        PARTIALLY_ACCEPTED = "partial", "Partially accepted (999)"
        REJECTED = "rejected", "Rejected (999)"
        FAILED = "failed", "Not sent: refused or failed for good"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clearinghouse = models.CharField(max_length=64, help_text="The clearinghouse adapter's key")
    interchange_control_number = models.CharField(max_length=9, unique=True, help_text="ISA13, also GS06")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.READY)
    text = models.TextField(help_text="The file as written (patient data: shown to billing only)")
    sha256 = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    agent = models.CharField(max_length=150, blank=True, help_text="Who made it: a user or system:<what>")
    sent_at = models.DateTimeField(null=True, blank=True)
    sending_since = models.DateTimeField(null=True, blank=True,
                                         help_text="When the current attempt to send began (status sending)")
    attempts = models.PositiveSmallIntegerField(default=0)
    remote_id = models.CharField(max_length=120, blank=True, help_text="The clearinghouse's id for the file")
    acknowledged_at = models.DateTimeField(null=True, blank=True, help_text="When its 999 was read")
    last_error = models.CharField(max_length=500, blank=True, help_text="The last failure to send (no patient data)")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "claim file sent"
        verbose_name_plural = "claim files sent"
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"837P {self.interchange_control_number} ({self.get_status_display()})"


class ClaimFileEntry(models.Model):
    """A claim carried by a claim file, and the transaction set (ST02) it was in."""

    file = models.ForeignKey(ClaimFile, on_delete=models.CASCADE, related_name="entries")
    claim = models.ForeignKey("billing.Claim", on_delete=models.PROTECT, related_name="file_entries")
    set_control_number = models.CharField(max_length=9, help_text="ST02 of the transaction set it was in")

    class Meta:
        ordering = ["file", "pk"]
        verbose_name_plural = "claim file entries"
        constraints = [models.UniqueConstraint(fields=["file", "claim"], name="a_claim_once_per_file")]
        indexes = [models.Index(fields=["file", "set_control_number"])]

    def __str__(self) -> str:
        return f"{self.claim_id} in {self.file_id} ST {self.set_control_number}"


class ControlNumber(models.Model):
    """The last interchange control number (ISA13) handed out: one row, locked while a file is
    written, so no two files share a number even when two workers write at once."""

    name = models.CharField(max_length=32, unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.last}"
