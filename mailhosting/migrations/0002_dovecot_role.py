"""The role Dovecot and the MTA connect as: it reads the projection and nothing else.

Created without a login (the operator gives it one: ``ALTER ROLE abonent_dovecot LOGIN
PASSWORD '…'``). Roles belong to the whole server and several databases may run this:
creating it twice is not an error. A migrating role that may not create roles leaves a
warning and no grant; a superuser runs this migration again or creates the role.
"""

from django.db import migrations

ROLE = "abonent_dovecot"
TABLES = ("mailhosting_mailuser", "mailhosting_mailroute", "mailhosting_mailhosteddomain")

CREATE = f"""
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN
    CREATE ROLE {ROLE} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
  END IF;
EXCEPTION
  WHEN duplicate_object OR unique_violation THEN NULL;
  WHEN insufficient_privilege THEN
    RAISE WARNING 'Role {ROLE} not created: a superuser must create it.';
END $$;
DO $$ BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN
    EXECUTE 'GRANT USAGE ON SCHEMA ' || quote_ident(current_schema()) || ' TO {ROLE}';
    GRANT SELECT ON {", ".join(TABLES)} TO {ROLE};
  END IF;
END $$;
"""

REVOKE = f"""
DO $$ BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN
    REVOKE SELECT ON {", ".join(TABLES)} FROM {ROLE};
  END IF;
END $$;
"""


def _on_postgresql(sql: str):
    def run(apps, schema_editor):
        # Dovecot reads PostgreSQL; the SQLite default of ``make run`` has no roles.
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):

    dependencies = [("mailhosting", "0001_initial")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(REVOKE))]
