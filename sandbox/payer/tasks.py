"""The sandbox payer's periodic work (beat, every SANDBOX_PAYER_DECIDE_SECONDS)."""

from celery import shared_task

from sandbox.payer import services


@shared_task(name="sandbox.payer.tasks.decide_due_claims", ignore_result=True)
def decide_due_claims() -> int:
    """Decide the pended claims whose delay has passed and send their notifications."""
    return services.decide_due_claims()
