from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pracops.access.roles import ROLES
from pracops.access.services import ApiClientRefused, create_api_client, token_ttl


class Command(BaseCommand):
    help = ("Create an API client with a role and print its new token (shown only once) "
            "and when it expires (on standard error).")

    def add_arguments(self, parser):
        parser.add_argument("name", help="A name for the client, e.g. the EHR's name")
        parser.add_argument("--role", required=True, choices=sorted(ROLES))
        parser.add_argument("--ttl-days", type=int, default=None,
                            help="days until the token expires (default: PRACOPS_API_TOKEN_TTL_DAYS, 90)")
        parser.add_argument("--change-role", action="store_true",
                            help="an existing client with other roles gets this role instead of them")

    def handle(self, *args, name: str, role: str, ttl_days: int | None, change_role: bool, **options):
        ttl = timedelta(days=ttl_days) if ttl_days is not None else token_ttl()
        try:
            _, token = create_api_client(name=name, role=role, ttl=ttl, change_role=change_role)
        except ApiClientRefused as exc:
            raise CommandError(str(exc)) from exc
        # The token alone on standard output, so scripts can capture it.
        self.stdout.write(token)
        self.stderr.write(f"{name}: role {role}, token expires {timezone.now() + ttl:%Y-%m-%d %H:%M} UTC")
