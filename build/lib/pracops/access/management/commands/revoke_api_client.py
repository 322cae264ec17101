from django.core.management.base import BaseCommand, CommandError

from pracops.access.services import UnknownClient, revoke_api_client


class Command(BaseCommand):
    help = "Revoke every API token of a client (the client and its role stay; create_api_client issues a new one)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The client's name, as given to create_api_client")

    def handle(self, *args, name: str, **options):
        try:
            revoked = revoke_api_client(name=name)
        except UnknownClient as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{name}: {revoked} token(s) revoked")
