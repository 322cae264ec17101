from django.core.management.base import BaseCommand, CommandError

from pracops.access.roles import ROLES
from pracops.access.services import UnknownRole, create_api_client


class Command(BaseCommand):
    help = "Create an API client with a role and print its new token (shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="A name for the client, e.g. the EHR's name")
        parser.add_argument("--role", required=True, choices=sorted(ROLES))

    def handle(self, *args, name: str, role: str, **options):
        try:
            _, token = create_api_client(name=name, role=role)
        except UnknownRole as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(token)
