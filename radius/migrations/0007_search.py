"""Indexes of the one search (radius/search.py): a login by its start, a MAC address by its
start, the address of an open session. (A whole login, IP or MAC address: the unique
indexes; a network of IP addresses: a range on the unique (tenant, ip) index.)

Written in SQL because the model does not declare them: ``text_pattern_ops`` serves
``login::text LIKE 'jan%'`` whatever the database's collation, and a condition on the
column itself (not ``UPPER(login)``) is one PostgreSQL evaluates inside the index under
row-level security. PostgreSQL only; SQLite scans the table."""

from django.db import migrations

INDEXES = [
    ("login_search_login",
     "CREATE INDEX IF NOT EXISTS login_search_login ON radius_login (tenant_id, (login::text) text_pattern_ops)"),
    ("login_search_mac",
     "CREATE INDEX IF NOT EXISTS login_search_mac ON radius_login (tenant_id, (mac::text) text_pattern_ops)"),
    ("session_open_framed_ip",
     "CREATE INDEX IF NOT EXISTS session_open_framed_ip ON radius_radiussession (tenant_id, framed_ip) "
     "WHERE stopped_at IS NULL AND framed_ip IS NOT NULL"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for _name, sql in INDEXES:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, _sql in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ('radius', '0006_text_limits'),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
