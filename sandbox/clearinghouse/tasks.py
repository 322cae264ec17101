"""The sandbox clearinghouse's periodic work (beat, every SANDBOX_CLEARINGHOUSE_REMIT_POLL_SECONDS)."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task

from sandbox.clearinghouse import services


@shared_task(name="sandbox.clearinghouse.tasks.remit_due_claims", ignore_result=True)
def remit_due_claims(now: str | datetime | None = None) -> int:
    """Remit the accepted claims whose remittance is due (an 835 per submitter and payer); how
    many 835 files were written. ``now`` (a datetime or ISO text) stands in for the clock."""
    if isinstance(now, str):
        now = datetime.fromisoformat(now)
    return len(services.remit_due_claims(now=now))
