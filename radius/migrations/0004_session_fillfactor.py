"""Room on each page of the sessions table for the interims' updates.

Every Interim-Update rewrites its session's counters. With pages packed full (the default)
the new row version lands on another page and all seven indexes of the table get an entry
for it; with a fifth of each page left free PostgreSQL keeps the new version on the same
page and touches no index (a HOT update). Existing pages follow as they are rewritten.
"""

from django.db import migrations


def fillfactor(percent: int):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"ALTER TABLE radius_radiussession SET (fillfactor = {percent})")
    return apply


class Migration(migrations.Migration):

    dependencies = [
        ("radius", "0003_log_tables_without_fk_checks"),
    ]

    operations = [
        migrations.RunPython(fillfactor(80), fillfactor(100)),
    ]
