"""Trigram index for the customer search (PostgreSQL only; SQLite scans the table)."""

from django.db import migrations

SQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS customer_search_trgm ON customers_customer "
    "USING gin (search_text gin_trgm_ops)",
    # Name fragments are skewed: with the default sample the planner misjudges rare
    # fragments and walks the whole table in number order instead of using the index.
    "ALTER TABLE customers_customer ALTER COLUMN search_text SET STATISTICS 1000",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in SQL:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS customer_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
