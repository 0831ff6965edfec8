"""Settings → Import from LMS in real Chromium: the form queues a run, the run's page
shows its stages' bars moving while the import is still inside its transaction, then
reloads itself into the report; no Content Security Policy violation."""

import os
import threading

import psycopg
import pytest

from conftest import chromium_page, make_staff, staff_browser_login
from core.models import Tenant
from lmsimport import stages
from lmsimport.models import ImportRun
from lmsimport.tests.generator import LmsWriter, scenario_small

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytest.importorskip("playwright.sync_api")


@pytest.fixture
def page(monkeypatch):
    # Set for this test, not only at import: another module's browser test removes it
    # when it ends (Playwright's sync API runs an event loop in this thread).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with chromium_page() as page:
        page.console = []
        page.on("console", lambda message: page.console.append(message.text))
        yield page


@pytest.mark.browser
def test_run_page_follows_the_import_and_then_shows_the_report(
        transactional_db, live_server, page, lms_db, monkeypatch):
    with lms_db.connect() as conn:
        scenario_small(LmsWriter(conn))
    tenant = Tenant.objects.create(name="Sieć Alfa", slug="alfa")
    make_staff(tenant, "anna")
    # The tariffs stage waits for the test: meanwhile the run is open, half done.
    real = dict(stages.STAGES)
    reached, release = threading.Event(), threading.Event()

    def tariffs_held(ctx):
        ctx.advance(2, 8)
        reached.set()
        release.wait(60)
        real["tariffs"](ctx)

    monkeypatch.setattr(stages, "STAGES", [("customers", real["customers"]),
                                           ("tariffs", tariffs_held)])
    info = psycopg.conninfo.conninfo_to_dict(lms_db.dsn)

    staff_browser_login(page, f"{live_server.url}/login/?next=/lmsimport/")
    page.fill("#id_host", info.get("host") or "127.0.0.1")
    page.fill("#id_port", str(info.get("port") or 5432))
    page.fill("#id_database", info["dbname"])
    page.fill("#id_user", info.get("user") or "postgres")
    page.uncheck("#id_dry_run")
    # Eager Celery: the form's request runs the import, so the run is watched from a
    # second tab, as a colleague would.
    page.locator("#lms-import-form button[type=submit]").click(no_wait_after=True)
    assert reached.wait(60), "the import never reached the tariffs stage"
    run = ImportRun.all_tenants.get(tenant=tenant)
    watcher = page.context.new_page()
    watcher.console = []
    watcher.on("console", lambda message: watcher.console.append(message.text))
    watcher.goto(f"{live_server.url}/lmsimport/{run.pk}/")
    watcher.wait_for_selector('[data-stage="tariffs"][data-state="running"]')
    assert watcher.locator('[data-stage="customers"]').get_attribute("data-state") == "done"
    width = watcher.locator('[data-stage="tariffs"] .progress-bar').evaluate(
        "e => e.style.width")
    assert width == "25%"

    release.set()
    # The polled fragment sees the run end and the page reloads into the report.
    watcher.wait_for_selector("#stage-counts", timeout=60_000)
    assert "customer" in watcher.locator("#stage-counts").inner_text()
    assert watcher.locator('[data-stage="tariffs"]').first.get_attribute("data-state") == "done"
    page.wait_for_url(f"**/lmsimport/{run.pk}/", timeout=60_000)
    assert not [t for t in page.console + watcher.console if "Content Security Policy" in t]
