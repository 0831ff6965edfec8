"""PostgreSQL row-level security: the second wall under tenant scoping (issue 12).

``core.tenancy`` scopes every ORM query of a ``TenantOwned`` model to the active tenant.
Raw SQL, ``Model.all_tenants`` and related objects (fetched by the base manager) do not
go through that filter; here the database itself refuses other tenants' rows, so a
forgotten filter shows nothing rather than another ISP's data.

* Every table of a ``TenantOwned`` model has the policy ``abonent_tenant_v1`` (FORCE'd, so
  the tables' owner is bound too): a row is visible and writable when its ``tenant_id``
  equals the setting ``abonent.tenant``, or when the setting is ``*``
  (``all_tenants_context()``). No setting, no rows: it fails closed. The policies are
  (re)applied after every ``migrate`` (``policies_apply``, a ``post_migrate`` handler), so
  a new app's tables are covered without a migration of their own; ``migrate`` itself
  runs with the wall lifted, as data migrations work across tenants.
* The setting is per connection, kept by the database backend ``core.postgresql``: before
  each query it compares ``core.tenancy.database_scope()`` — the same context variables
  the middleware, the API authentication and ``tenant_context`` set — with what it last
  set on this connection, and only when they differ runs ``set_config`` (a session
  setting: Django runs in autocommit, where a transaction-local one would end with the
  statement). A rolled-back transaction or savepoint also undoes ``set_config``, so the
  backend forgets what it set then and sets it again on the next query. A connection
  kept between requests (``CONN_MAX_AGE``, the FreeRADIUS fast path) thus never runs a
  query with the previous request's tenant: every query first brings the setting in
  line with the tenant active now (none between requests: no rows).
* Code that talks to psycopg directly (the FreeRADIUS prepared statements, COPY) calls
  ``scope_sync`` first. PostgreSQL refuses ``COPY … FROM`` into a table under row-level
  security: ``copy_rows`` goes through a temporary table and one ``INSERT … SELECT``.
* Superusers and roles with BYPASSRLS are never bound: the application must connect as
  a plain role (``DATABASE_URL``; ``DATABASE_MIGRATE_URL`` for the owner, who migrates).
  ``DB_RLS=False`` turns all of this off (benchmarks compare both).
"""

import hashlib
import logging
import re
from contextlib import contextmanager

from django.db import connections

from .tenancy import ALL_TENANTS, TenantOwned, all_tenants_context

logger = logging.getLogger(__name__)

SETTING = "abonent.tenant"
# Versioned: a changed CONDITION gets a new name, and ``policies_apply`` replaces the old.
POLICY = "abonent_tenant_v1"

# The policy's test. Each ``(SELECT …)`` is computed once per query (an InitPlan), not
# once per row; a setting that is not a number matches no tenant.
_TENANT = (f"(SELECT CASE WHEN current_setting('{SETTING}', true) ~ '^[0-9]+$' "
           f"THEN current_setting('{SETTING}', true)::bigint END)")
_ALL = f"(SELECT current_setting('{SETTING}', true) = '{ALL_TENANTS}')"
CONDITION = f"tenant_id = {_TENANT} OR {_ALL}"


def enforced(connection) -> bool:
    """Whether ``connection`` keeps ``abonent.tenant`` (the ``core.postgresql`` backend)."""
    return getattr(connection, "rls_scope_sync", None) is not None


def scope_sync(connection) -> None:
    """Bring ``abonent.tenant`` on ``connection`` in line with the active tenant now —
    for code that executes on the psycopg connection itself, past Django's cursors."""
    sync = getattr(connection, "rls_scope_sync", None)
    if sync is not None:
        connection.ensure_connection()
        sync()


_COPY = re.compile(r"\s*COPY\s+(\S+)\s*\((.+)\)\s+FROM\s+STDIN\s*", re.I | re.S)


@contextmanager
def copy_rows(cursor, sql: str):
    """Run ``sql`` — ``COPY table (columns) FROM STDIN`` — on Django's ``cursor``; yields
    psycopg's Copy to write the rows to.

    Under row-level security PostgreSQL refuses COPY FROM: the rows are copied into a
    temporary table of those columns and moved with one ``INSERT … SELECT``, which the
    policy checks.
    """
    raw = cursor.cursor
    if not enforced(cursor.db):
        with raw.copy(sql) as copy:
            yield copy
        return
    table, columns = _COPY.fullmatch(sql).groups()
    scope_sync(cursor.db)
    digest = hashlib.md5(f"{table}({columns})".encode(), usedforsecurity=False).hexdigest()
    temp = f"abonent_copy_{digest[:16]}"
    # Emptied first: a failed INSERT in autocommit leaves the copied rows behind.
    with cursor.db.wrap_database_errors:
        raw.execute(f"CREATE TEMP TABLE IF NOT EXISTS {temp} AS "  # noqa: S608 - names only
                    f"SELECT {columns} FROM {table} WITH NO DATA; TRUNCATE {temp}")
    with raw.copy(f"COPY {temp} ({columns}) FROM STDIN") as copy:
        yield copy
    # The policy's WITH CHECK sees each row here: another tenant's is refused.
    with cursor.db.wrap_database_errors:
        raw.execute(f"INSERT INTO {table} ({columns}) "  # noqa: S608 - names only
                    f"SELECT {columns} FROM {temp}")


def tenant_tables(app_config=None) -> list[str]:
    """The tables of the concrete ``TenantOwned`` models (of one app, or of all)."""
    from django.apps import apps

    models = app_config.get_models() if app_config is not None else apps.get_models()
    return sorted({m._meta.db_table for m in models
                   if issubclass(m, TenantOwned) and m._meta.managed and not m._meta.proxy})


def policies_apply(*, using: str = "default", tables: list[str] | None = None) -> list[str]:
    """Enable (and force) row-level security with the tenant policy on ``tables``
    (default: every tenant-owned table) where it is missing; returns the tables changed.
    Idempotent: a table already under this version of the policy is not touched (no lock
    taken); an older version (another name) is replaced."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    tables = tenant_tables() if tables is None else tables
    quote = connection.ops.quote_name
    changed = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.relrowsecurity AND c.relforcerowsecurity, "
            "       array_remove(array_agg(p.polname::text), NULL) "
            "FROM pg_class c LEFT JOIN pg_policy p ON p.polrelid = c.oid "
            "WHERE c.relname = ANY(%s) AND c.relkind = 'r' "
            "AND c.relnamespace = to_regnamespace(current_schema())::oid "
            "GROUP BY c.relname, c.relrowsecurity, c.relforcerowsecurity",
            [tables])
        for table, forced, policies in cursor.fetchall():
            if forced and policies == [POLICY]:
                continue
            name = quote(table)
            cursor.execute(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY")
            cursor.execute(f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY")
            for old in policies:
                cursor.execute(f"DROP POLICY {quote(old)} ON {name}")
            cursor.execute(f"CREATE POLICY {POLICY} ON {name} "
                           f"USING ({CONDITION}) WITH CHECK ({CONDITION})")
            changed.append(table)
    return changed


def policies_remove(*, using: str = "default", tables: list[str] | None = None) -> None:
    """Row-level security off on ``tables`` (default: every tenant-owned table): for
    ``DB_RLS=False`` (the benchmarks' comparison)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relname = ANY(%s) AND relkind = 'r' "
                       "AND relrowsecurity "
                       "AND relnamespace = to_regnamespace(current_schema())::oid",
                       [tenant_tables() if tables is None else tables])
        for (table,) in cursor.fetchall():
            cursor.execute(f"DROP POLICY IF EXISTS {POLICY} ON {quote(table)}")
            cursor.execute(f"ALTER TABLE {quote(table)} NO FORCE ROW LEVEL SECURITY")
            cursor.execute(f"ALTER TABLE {quote(table)} DISABLE ROW LEVEL SECURITY")


def app_role_grant(*, role: str, using: str = "default") -> None:
    """Let ``role`` (the application's, bound by the policies) read and write every table
    and sequence of the schema (after each ``migrate``: new tables are covered then)."""
    connection = connections[using]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {quote(role)}")
        cursor.execute("GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES "
                       f"ON ALL TABLES IN SCHEMA public TO {quote(role)}")
        cursor.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public "
                       f"TO {quote(role)}")


# The customer search matches ``search_text LIKE '%…%'`` through a trigram index. Under a
# policy PostgreSQL evaluates a condition before the policy's own (and so through an index)
# only if its operator is LEAKPROOF, and ``textlike`` is not marked so: the search then
# scans every customer (8 ms → 55 ms at 20,000; bench/RESULTS.md "RLS cost"). Its only
# errors are about the pattern, a constant of ours, never about a row's value, so marking it
# leaks nothing. pg_proc is per database: this changes only Abonent's database.
LEAKPROOF_FUNCTIONS = ("textlike(text, text)", "texticlike(text, text)")


def search_operators_leakproof(*, using: str = "default") -> list[str]:
    """Mark the LIKE functions of the search LEAKPROOF where they are not yet; returns
    those still missing (a role that is not a superuser may not mark them: the warning
    logged names the statement for a superuser to run once)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute("SELECT p.oid::regprocedure::text FROM pg_proc p "
                       "WHERE p.oid = ANY(%s::regprocedure[]) AND NOT p.proleakproof",
                       [list(LEAKPROOF_FUNCTIONS)])
        missing = [row[0] for row in cursor.fetchall()]
        if not missing:
            return []
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            for function in missing:
                cursor.execute(f"ALTER FUNCTION {function} LEAKPROOF")
            return []
    logger.warning(
        "Row-level security: the customer search cannot use its index until a superuser "
        "runs, in this database: %s",
        " ".join(f"ALTER FUNCTION {function} LEAKPROOF;" for function in missing))
    return missing


_migrating = []


def migrate_started(sender, using="default", **kwargs) -> None:
    """``pre_migrate``: data migrations work across tenants — lift the wall while
    ``migrate`` runs (sent once per app, before any migration)."""
    if not _migrating:
        context = all_tenants_context()
        context.__enter__()
        _migrating.append(context)


def migrate_finished(sender, app_config=None, using="default", **kwargs) -> None:
    """``post_migrate``: put the wall back up, then cover this app's tenant tables."""
    from django.conf import settings

    while _migrating:
        _migrating.pop().__exit__(None, None, None)
    if app_config is None or connections[using].vendor != "postgresql":
        return
    tables = tenant_tables(app_config)
    if tables:
        if settings.DB_RLS:
            policies_apply(using=using, tables=tables)
            search_operators_leakproof(using=using)
        else:
            policies_remove(using=using, tables=tables)
    role = settings.DB_APP_ROLE
    if role:
        app_role_grant(role=role, using=using)


def app_role_assume(*, role: str, using: str = "default") -> None:
    """Make ``role`` (created when missing: no login, no BYPASSRLS) the one every new
    connection of ``using`` works as (``SET ROLE``), with its rights granted. For the test
    suite, which creates its database as a superuser — whom row-level security never binds.
    """
    connection = connections[using]
    with connection.cursor() as cursor:
        # Several test runs share the server: another may create the role meanwhile.
        cursor.execute(f"DO $$ BEGIN CREATE ROLE {connection.ops.quote_name(role)}; "
                       f"EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$")
    app_role_grant(role=role, using=using)
    connection.settings_dict.setdefault("OPTIONS", {})["assume_role"] = role
    connection.close()
