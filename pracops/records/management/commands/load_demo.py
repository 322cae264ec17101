"""python manage.py load_demo: demo records, an admin login and an API token for trying PracOps."""

import secrets

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import import_string

from pracops.access.roles import ensure_roles
from pracops.access.services import UnknownClient, create_api_client, revoke_api_client
from pracops.records.demo import demo_bundle
from pracops.records.services.imports import import_bundle


class Command(BaseCommand):
    help = "Load the demo practice (idempotent), reset the demo logins and print them."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="do not create or print logins")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="where PracOps will be served")

    def handle(self, *args, quiet_logins: bool = False, base_url: str = "http://127.0.0.1:8000", **options):
        with transaction.atomic():
            ensure_roles()
            summary = import_bundle(demo_bundle(), system="load_demo")
        created = sum(summary.created.values())
        self.stdout.write(f"Demo practice: {summary.stored} records ({created} new).")
        # The other apps' demo data (settings.DEMO_STEPS), each step in transactions of its own.
        for step in settings.DEMO_STEPS:
            import_string(step)(base_url=base_url, say=self.stdout.write)
        if quiet_logins:
            return
        with transaction.atomic():
            self._logins(base_url)

    def _logins(self, base_url: str) -> None:
        password = secrets.token_urlsafe(12)
        admin, _ = User.objects.get_or_create(username="admin", defaults={"email": "admin@example.org"})
        admin.is_staff = admin.is_superuser = True
        admin.set_password(password)
        admin.save()
        staff_password = secrets.token_urlsafe(12)
        staff, _ = User.objects.get_or_create(username="frontdesk")
        staff.is_staff = True
        staff.set_password(staff_password)
        staff.save()
        staff.groups.add(Group.objects.get(name="front_office"))
        biller_password = secrets.token_urlsafe(12)
        biller, _ = User.objects.get_or_create(username="biller")
        biller.is_staff = True
        biller.set_password(biller_password)
        biller.save()
        biller.groups.add(Group.objects.get(name="billing"))
        tokens = {}
        for name, role in (("demo-ehr", "integration"), ("demo-billing", "billing")):
            try:
                # Each run prints a fresh token; the ones printed before stop working.
                revoke_api_client(name=name)
            except UnknownClient:
                pass
            _, tokens[role] = create_api_client(name=name, role=role)
        token, billing_token = tokens["integration"], tokens["billing"]
        self.stdout.write(self.style.SUCCESS(
            f"\n  Admin:          {base_url}/admin/   user admin      password {password}"
            f"\n  Front office:   {base_url}/admin/   user frontdesk  password {staff_password}"
            f"\n  Billing:        {base_url}/admin/   user biller     password {biller_password}"
            f"\n  FHIR API:       {base_url}/fhir/metadata"
            f"\n  API token (role integration): {token}"
            f"\n  Try: curl -H 'Authorization: Bearer {token}' '{base_url}/fhir/Patient?name=alvarez'"
            f"\n       curl -H 'Authorization: Bearer {token}' '{base_url}/fhir/ExplanationOfBenefit'"
            f"\n  Billing API token (role billing): {billing_token}"
            f"\n  Try: curl -H 'Authorization: Bearer {billing_token}' '{base_url}/api/claims/?status=denied'"
            f"\n       {base_url}/api/docs/ (the billing REST API's schema and docs)\n"
        ))
