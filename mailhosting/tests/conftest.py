"""Hosted-mail fixtures: domains of two tenants, and a real Dovecot (once per run)."""

import os
import secrets
import uuid

import psycopg
import pytest
from psycopg import sql

from core.tenancy import tenant_context
from mailhosting import services
from mailhosting.dovecot import Dovecot, dovecot_binary

DOVECOT_ROLE = "abonent_dovecot"
PGSQL_DRIVER = "/usr/lib/dovecot/modules/libdriver_pgsql.so"  # Debian's dovecot-pgsql


def _require_dovecot():
    if dovecot_binary() and os.path.exists(PGSQL_DRIVER):
        return
    message = "Dovecot with PostgreSQL is not installed (scripts/test-deps.sh installs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def mail_domain(in_tenant, staff):
    return services.maildomain_add(actor=staff, name="alfa-net.pl")


@pytest.fixture
def other_mail_domain(other_tenant, other_staff):
    with tenant_context(other_tenant):
        return services.maildomain_add(actor=other_staff, name="beta-net.pl")


@pytest.fixture
def other_customer(other_tenant, other_staff):
    from customers.services import customer_create

    with tenant_context(other_tenant):
        return customer_create(actor=other_staff, first_name="Ewa", last_name="Nowak",
                               status="connected")


def _superuser_connect(settings_dict):
    return psycopg.connect(host=settings_dict["HOST"] or "127.0.0.1",
                           port=settings_dict["PORT"] or 5432, user=settings_dict["USER"],
                           password=settings_dict["PASSWORD"] or None,
                           dbname=settings_dict["NAME"], autocommit=True)


@pytest.fixture(scope="session")
def dovecot(django_db_setup, django_db_blocker, tmp_path_factory):
    """Dovecot on a loopback IMAP port, reading the test database's projection.

    It connects as a login role made for this run, a member of ``abonent_dovecot`` (the
    role the migration creates and grants): what Dovecot can read is what that role may.
    """
    _require_dovecot()
    from django.db import connection

    settings_dict = connection.settings_dict
    login = f"abonent_dovecot_t{uuid.uuid4().hex[:10]}"
    password = secrets.token_urlsafe(16)
    with _superuser_connect(settings_dict) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE {}").format(
            sql.Identifier(login), sql.Literal(password), sql.Identifier(DOVECOT_ROLE)))
    server = Dovecot(tmp_path_factory.mktemp("dovecot"), database={
        "host": settings_dict["HOST"] or "127.0.0.1", "port": settings_dict["PORT"] or 5432,
        "dbname": settings_dict["NAME"], "user": login, "password": password})
    try:
        server.start()
        yield server
    finally:
        server.stop()
        with _superuser_connect(settings_dict) as admin:
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(login)))


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch):
    """Hashes of the cheapest Argon2id parameters: Dovecot verifies them the same way, and
    the tests make and check hundreds of them."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(services, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
