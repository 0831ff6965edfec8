"""Fixtures shared by every app's tests: two tenants, staff, a customer, API clients."""

from contextlib import contextmanager

import pytest
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from core.models import ApiToken, Membership, Tenant, User
from core.roles import Role
from core.tenancy import all_tenants_context, tenant_context


@pytest.fixture(autouse=True)
def english():
    """Tests read messages in English; Polish is tested explicitly where it matters."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def radius_auth_log_at_once(settings):
    """FreeRADIUS's answers are written when they come (radius/authlog.py batches them in
    production); radius/tests/test_authlog.py tests the batches."""
    settings.RADIUS_AUTH_LOG_FLUSH_SECONDS = 0


@pytest.fixture(autouse=True)
def loopback_peers_allowed(settings):
    """The tests' exchanges and OLTs are loopback peers (core.netguard refuses loopback
    unless allowed)."""
    settings.PEER_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded scans land in the test's own folder, never in var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def client():
    """The browser-like client asks for English unless a test sends another language."""
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def tenant(db):
    return Tenant.objects.create(name="Sieć Alfa", slug="alfa")


@pytest.fixture
def other_tenant(db):
    return Tenant.objects.create(name="Sieć Beta", slug="beta")


@pytest.fixture
def in_tenant(tenant):
    """Activates ``tenant`` for code called directly by the test."""
    with tenant_context(tenant):
        yield tenant


def make_staff(tenant, username, role=Role.ADMIN, password="s3cret-pass"):
    user = User.objects.create_user(username=username, password=password,
                                    first_name=username.capitalize(), last_name="Testowy")
    Membership.objects.create(user=user, tenant=tenant, role=role)
    return user


@pytest.fixture
def staff(tenant):
    return make_staff(tenant, "anna")


@pytest.fixture
def other_staff(other_tenant):
    return make_staff(other_tenant, "bartek")


@pytest.fixture
def customer(in_tenant, staff):
    from customers.services import customer_create

    return customer_create(actor=staff, first_name="Jan", last_name="Kowalski",
                           pesel="44051401458", status="connected")


def token_client(user, tenant) -> APIClient:
    key = ApiToken.new_key()
    ApiToken.objects.create(user=user, tenant=tenant, key_hash=ApiToken.hash_key(key),
                            prefix=key[:8])
    client = APIClient(headers={"accept-language": "en"})
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def api_client(staff, tenant):
    return token_client(staff, tenant)


@pytest.fixture
def other_api_client(other_staff, other_tenant):
    return token_client(other_staff, other_tenant)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The suite's queries run as a role row-level security binds (core/rls.py): the test
    database is made by a superuser, whom the policies would never stop. (``DB_RLS=False``:
    no policies, the superuser throughout.)"""
    from django.conf import settings
    from django.db import connection

    from core.rls import app_role_assume

    if not (settings.DB_RLS and connection.vendor == "postgresql"):
        yield
        return
    with django_db_blocker.unblock():
        app_role_assume(role="abonent_app_test")
    yield
    # The superuser again, to drop the test database.
    connection.settings_dict["OPTIONS"].pop("assume_role", None)
    connection.close()
    with django_db_blocker.unblock():
        _left_sessions_end(connection)


def _left_sessions_end(connection) -> None:
    """End the test database's sessions other threads left open (a thread's connection is
    its own: one of a live server or a concurrency test that ended without closing it
    stays until the process exits), which would stop the database from being dropped
    ("is being accessed by other users")."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    connection.close()


@pytest.fixture(autouse=True)
def test_code_sees_all_tenants():
    """The test's own code — building state, asserting on the database afterwards — works
    across tenants, as the platform's maintenance does (``all_tenants_context``). The code
    under test sets its own scope: a request (the middleware, the API authentication),
    ``tenant_context`` (the ``in_tenant`` fixture), a thread of its own (none: no rows)."""
    with all_tenants_context():
        yield


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@contextmanager
def chromium_page():
    """A page of Debian's headless Chromium driven by Playwright (the tests that use it set
    DJANGO_ALLOW_ASYNC_UNSAFE: Playwright's sync API runs an event loop in their thread)."""
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                         args=CHROMIUM_ARGS)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        yield page
    finally:
        context.close()
        browser.close()
        playwright.stop()


@pytest.fixture
def browser_page():
    with chromium_page() as page:
        yield page


def staff_browser_login(page, url: str, username: str = "anna",
                        password: str = "s3cret-pass") -> None:
    """Log in through the staff login page at ``url`` (``/login/``, with ``?next=`` if
    wanted), as a person does."""
    page.goto(url)
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("main").get_by_role("button", name="Log in").click()
