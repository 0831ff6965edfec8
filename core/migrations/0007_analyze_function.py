"""``abonent_analyze(tables)``: fresh planner statistics, asked for by the application's
role (``core.sql.analyze``).

ANALYZE is the table owner's (PostgreSQL 15 has no MAINTAIN right): the role row-level
security binds is not the owner, and its ANALYZE is skipped with a mere warning. A bulk
writer (the LMS import: millions of rows in one transaction, which autovacuum cannot see
until it commits) needs the planner to know what it has just written; this function,
owned by the role that migrates (the tables' owner) and running as it, analyzes the
tables named — only ordinary tables of the schema, nothing else can be asked for.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION abonent_analyze(tables text[]) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    name text;
    done integer := 0;
    schema text := %(schema)s;  -- the schema migrated, fixed when the function is made
BEGIN
    FOREACH name IN ARRAY tables LOOP
        IF EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE c.relname = name AND n.nspname = schema
                   AND c.relkind IN ('r', 'p')) THEN
            EXECUTE format('ANALYZE %I.%I', schema, name);
            done := done + 1;
        ELSE
            RAISE EXCEPTION 'abonent_analyze: % is not a table of this schema', name;
        END IF;
    END LOOP;
    RETURN done;
END $$;
"""
DROP = "DROP FUNCTION IF EXISTS abonent_analyze(text[])"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT quote_literal(current_schema())")
            literal = cursor.fetchone()[0]
        # No placeholders: %I is format()'s; the schema as a quoted literal.
        schema_editor.execute(CREATE.replace("%(schema)s", literal), params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):

    dependencies = [("core", "0006_staff")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
