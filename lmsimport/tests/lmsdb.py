"""An LMS PostgreSQL database for the import tests.

``lms_template`` loads ``lms.pgsql`` exactly as LMS ships it once per test session (about a
second); ``lms_db`` clones it per test with ``CREATE DATABASE ... TEMPLATE`` so every test
gets a fresh, independent LMS without paying for the schema load again.
"""

import os
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

__all__ = ["LMS_SCHEMA", "LmsDatabase", "lms_db", "lms_scenario", "lms_template", "server_dsn"]

LMS_SCHEMA = Path(
    os.environ.get("LMS_SCHEMA")
    or Path(__file__).resolve().parents[3] / "shared" / "data" / "lms" / "lms.pgsql"
)
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


def server_dsn(dbname: str) -> str:
    """The DSN of ``dbname`` on the server the test suite uses (DATABASE_URL's server)."""
    base = os.environ.get("DATABASE_URL") or DEFAULT_SERVER
    info = psycopg.conninfo.conninfo_to_dict(base)
    info["dbname"] = dbname
    return psycopg.conninfo.make_conninfo(**info)


def _admin():
    """An autocommit connection to the maintenance database (CREATE/DROP DATABASE)."""
    return psycopg.connect(server_dsn("postgres"), autocommit=True)


def _create(name: str, template: str | None = None) -> None:
    query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        query = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template)
        )
    with _admin() as conn:
        conn.execute(query)


def _drop(name: str) -> None:
    """Drop even when a test left a connection open (WITH (FORCE) ends it)."""
    with _admin() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _load_schema(dsn: str) -> None:
    """psql runs the file as LMS's installer does; ON_ERROR_STOP makes a bad load fail."""
    result = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", str(LMS_SCHEMA)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"loading {LMS_SCHEMA} failed:\n{result.stderr[-4000:]}")


@dataclass
class LmsDatabase:
    """One LMS database: its name and DSN; ``connect()`` gives a ready connection."""

    name: str
    dsn: str

    def connect(self) -> psycopg.Connection:
        """Autocommit, with ``lms.current_user`` set as LMS sets it (its views read it)."""
        conn = psycopg.connect(self.dsn, autocommit=True)
        conn.execute("SELECT set_config('lms.current_user', '', false)")
        return conn


@pytest.fixture(scope="session")
def lms_template():
    """The DSN of a session-wide LMS database loaded from lms.pgsql (used as a template).

    Read it, never write to it, and close connections to it: PostgreSQL refuses to copy a
    template somebody is connected to."""
    name = f"lms_test_{secrets.token_hex(6)}"
    _create(name)
    try:
        _load_schema(server_dsn(name))
        yield server_dsn(name)
    finally:
        _drop(name)


@pytest.fixture
def lms_db(lms_template):
    """A fresh copy of the template for one test, dropped afterwards."""
    template = psycopg.conninfo.conninfo_to_dict(lms_template)["dbname"]
    name = f"{template}_{secrets.token_hex(4)}"
    _create(name, template=template)
    try:
        yield LmsDatabase(name=name, dsn=server_dsn(name))
    finally:
        _drop(name)


@pytest.fixture
def lms_scenario(lms_db):
    """``lms_db`` filled by ``generator.scenario_small``: (database, what the scenario made)."""
    from lmsimport.tests.generator import LmsWriter, scenario_small

    with lms_db.connect() as conn:
        made = scenario_small(LmsWriter(conn))
    return lms_db, made
