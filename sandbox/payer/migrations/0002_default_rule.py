"""Seed the payer's default rule: approve everything as requested (tests and staff set their own)."""

from django.db import migrations

DEFAULT = "approve everything"


def seed(apps, schema_editor):
    rule = apps.get_model("sandbox_payer", "SandboxRule")
    rule.objects.get_or_create(name=DEFAULT, defaults={"action": "approve", "priority": 1000})


def unseed(apps, schema_editor):
    apps.get_model("sandbox_payer", "SandboxRule").objects.filter(name=DEFAULT).delete()


class Migration(migrations.Migration):
    dependencies = [("sandbox_payer", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
