"""The index of the one search (finance/search.py): a document's number by its start, for
``number::text LIKE 'FV/12/%'`` (the whole number is served by the unique index).

Written in SQL because the model does not declare it: ``text_pattern_ops`` serves LIKE
whatever the database's collation (as radius/migrations/0007_search.py). PostgreSQL only;
SQLite scans the table."""

from django.db import migrations

NAME = "financedocument_search_number"
SQL = f"CREATE INDEX IF NOT EXISTS {NAME} ON finance_financedocument (tenant_id, (number::text) text_pattern_ops)"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):

    dependencies = [
        ("finance", "0013_tariff_documents"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
