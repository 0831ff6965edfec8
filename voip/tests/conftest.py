"""VoIP fixtures: Asterisk's realtime database loaded once per run from the schema
Asterisk's alembic migrations make (``realtime_schema_pg.sql``), ranges and phones."""

import os
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connections

from core.tenancy import tenant_context
from voip import services
from voip.routers import ASTERISK

ASTERISK_SCHEMA = Path(
    os.environ.get("ASTERISK_SCHEMA")
    or Path(__file__).resolve().parents[3] / "shared" / "data" / "asterisk"
    / "realtime_schema_pg.sql")
# Both databases in one test transaction each (rolled back after the test).
BOTH = ["default", ASTERISK]


def schema_statements(text: str) -> str:
    """The dump as PostgreSQL 15 runs it: without psql's meta-commands (``\\restrict``
    of newer pg_dump) and without the owner changes to the dump's own role."""
    kept = [line for line in text.splitlines()
            if not line.startswith("\\")
            and not (line.startswith("ALTER ") and " OWNER TO " in line)]
    return "\n".join(kept)


@pytest.fixture(scope="session")
def asterisk_db(django_db_setup, django_db_blocker):
    """The test copy of Asterisk's database (alias ``asterisk``), its schema loaded once."""
    if ASTERISK not in settings.DATABASES or not ASTERISK_SCHEMA.exists():
        message = ("Asterisk's database is not configured (ASTERISK_DATABASE_URL; "
                   "scripts/with-postgres.sh sets it) or its schema file is missing")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with django_db_blocker.unblock():
        params = connections[ASTERISK].get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        params.pop("server_side_binding", None)
        with psycopg.connect(**params, autocommit=True) as conn:
            loaded = conn.execute("SELECT to_regclass('public.ps_endpoints')").fetchone()[0]
            if loaded is None:
                conn.execute(schema_statements(ASTERISK_SCHEMA.read_text()))
    return connections[ASTERISK]


@pytest.fixture
def asterisk_committed(asterisk_db):
    """For a test whose writes commit (``transaction=True``): Django's flush after it
    knows no table of Asterisk's, so its rows are removed here."""
    yield asterisk_db
    with asterisk_db.cursor() as cursor:
        cursor.execute("TRUNCATE ps_endpoints, ps_auths, ps_aors, voicemail")


def asterisk_rows(table: str, where: str = "TRUE", params=()) -> list[dict]:
    with connections[ASTERISK].cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE {where} ORDER BY 1", params)  # noqa: S608
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture
def numbers_range(in_tenant, staff):
    return services.number_range_create(actor=staff, name="Warszawa 22 300",
                                        first="+48 22 300 00 00", last="+48 22 300 00 09")


def committed_range(tenant, staff, first: str, last: str):
    """For a test whose threads commit: a customer and a range of ``tenant``, made in its
    context (no fixture's transaction holds them)."""
    from customers.services import customer_create

    with tenant_context(tenant):
        customer = customer_create(actor=staff, first_name="Jan", last_name="Kowalski",
                                   status="connected")
        return customer, services.number_range_create(actor=staff, name="Współbieżny",
                                                      first=first, last=last)


@pytest.fixture
def other_customer(other_tenant, other_staff):
    from customers.services import customer_create

    with tenant_context(other_tenant):
        return customer_create(actor=other_staff, first_name="Ewa", last_name="Nowak",
                               status="connected")
