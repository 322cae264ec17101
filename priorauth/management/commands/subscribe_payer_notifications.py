"""``manage.py subscribe_payer_notifications --base-url https://pracops.example.org [--payer NAME]``

Registers PracOps' rest-hook endpoint with every PAS payer (or the one named) so payers notify
decisions instead of waiting for the next status poll.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from priorauth.models import PayerProfile
from priorauth.services import AuthorizationError, subscribe_payer_notifications
from pracops.outbound import OutboundError


class Command(BaseCommand):
    help = "Subscribe to PAS payers' decision notifications (rest-hook)."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", required=True, help="PracOps' public base URL, as payers reach it")
        parser.add_argument("--payer", help="only the payer whose organization name contains this")

    def handle(self, *args, base_url: str, payer: str | None = None, **options):
        profiles = PayerProfile.objects.filter(adapter=PayerProfile.Adapter.PAS).select_related("organization")
        if payer:
            profiles = profiles.filter(organization__name__icontains=payer)
        if not profiles:
            raise CommandError("no PAS payer profile" + (f" matches {payer!r}" if payer else ""))
        failed = 0
        for profile in profiles:
            try:
                answer = subscribe_payer_notifications(profile=profile, callback_base=base_url)
            except (AuthorizationError, OutboundError) as exc:
                failed += 1
                self.stderr.write(f"{profile.organization}: not subscribed: {exc}")
                continue
            self.stdout.write(f"{profile.organization}: subscribed ({answer.get('status', 'requested')})")
        if failed:
            raise CommandError(f"{failed} payer(s) not subscribed")
