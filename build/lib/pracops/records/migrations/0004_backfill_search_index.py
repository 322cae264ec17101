"""Index the records stored before the search index existed."""

from django.db import migrations


def backfill(apps, schema_editor):
    from pracops.records.services.search_index import rebuild_search_index

    rebuild_search_index(apps)


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("records", "0003_search_index"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
