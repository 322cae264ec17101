"""Index the text and displays of the codings stored before token :text search existed."""

from django.db import migrations


def rebuild(apps, schema_editor):
    from pracops.records.services.search_index import rebuild_search_index

    rebuild_search_index(apps)


class Migration(migrations.Migration):

    dependencies = [
        ("records", "0007_bundle_submission_exact_json"),
    ]

    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop)]
