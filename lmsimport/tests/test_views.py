"""Settings → Import from LMS: the form, the queued run, its progress and report pages."""

from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from conftest import make_staff
from core.models import ActionLog
from core.roles import Role
from core.tenancy import tenant_context
from customers.models import Customer
from lmsimport.models import ImportRun
from lmsimport.tests.generator import LmsWriter, scenario_small

pytestmark = pytest.mark.django_db

LIST = reverse("lmsimport:list")
PASSWORD = "Tajne'Hasło \\ 50%{x} \"q\""


def form_data(dsn: str, **changes) -> dict:
    """The form's fields for the database at ``dsn`` (the test server trusts its users,
    so any password is accepted and none is needed)."""
    info = psycopg.conninfo.conninfo_to_dict(dsn)
    data = {"host": info.get("host") or "127.0.0.1", "port": info.get("port") or "5432",
            "database": info["dbname"], "user": info.get("user") or "postgres",
            "password": PASSWORD, "dry_run": "", "since": ""}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def run_of(tenant) -> ImportRun:
    with tenant_context(tenant):
        return ImportRun.objects.get()


def runs(tenant) -> int:
    return ImportRun.all_tenants.filter(tenant=tenant).count()


def make_run(tenant, **fields) -> ImportRun:
    with tenant_context(tenant):
        return ImportRun.objects.create(**{"status": ImportRun.Status.DONE,
                                           "finished_at": timezone.now(), **fields})


@pytest.fixture
def lms(lms_db):
    with lms_db.connect() as conn:
        lms_db.made = scenario_small(LmsWriter(conn))
    return lms_db


# --------------------------------------------------------------------------- the form

def test_settings_page_links_to_the_import(staff_client):
    page = staff_client.get(reverse("tenant_settings")).content.decode()
    assert reverse("lmsimport:list") in page


def test_unreachable_server_is_an_error_and_nothing_is_queued(
        staff_client, tenant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        response = staff_client.post(LIST, form_data("host=127.0.0.1 port=1 dbname=lms"))
    assert response.status_code == 400
    assert "Cannot connect to the LMS database" in response.content.decode()
    assert runs(tenant) == 0 and queued == []


def test_database_that_is_not_lms_is_refused(
        staff_client, tenant, django_capture_on_commit_callbacks):
    """Abonent's own database: it answers, but has no LMS tables."""
    abonent = connection.settings_dict
    dsn = f"host={abonent['HOST'] or '127.0.0.1'} port={abonent['PORT'] or 5432} " \
          f"dbname={abonent['NAME']} user={abonent['USER']}"
    with django_capture_on_commit_callbacks() as queued:
        response = staff_client.post(LIST, form_data(dsn))
    assert response.status_code == 400
    assert "not an LMS database" in response.content.decode()
    assert runs(tenant) == 0 and queued == []


def test_lms_without_its_schema_version_is_refused(staff_client, tenant, lms_db):
    with lms_db.connect() as conn:
        conn.execute("DELETE FROM dbinfo")
    response = staff_client.post(LIST, form_data(lms_db.dsn))
    assert response.status_code == 400
    assert "dbinfo.dbversion" in response.content.decode()
    assert runs(tenant) == 0


def test_history_cannot_start_in_the_future(staff_client, tenant, lms_db):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = staff_client.post(LIST, form_data(lms_db.dsn, since=tomorrow.isoformat()))
    assert response.status_code == 400
    assert "cannot start in the future" in response.content.decode()
    assert runs(tenant) == 0


def test_without_postgresql_the_page_says_so_instead_of_a_form(
        staff_client, tenant, lms_db, monkeypatch):
    from lmsimport import services

    monkeypatch.setattr(services, "import_supported", lambda: False)
    page = staff_client.get(LIST).content.decode()
    assert 'id="needs-postgresql"' in page and 'id="lms-import-form"' not in page
    response = staff_client.post(LIST, form_data(lms_db.dsn))
    assert "needs Abonent on PostgreSQL" in response.content.decode()
    assert runs(tenant) == 0


# --------------------------------------------------------------------------- a whole run

def test_import_is_queued_run_and_its_report_shown(
        staff_client, tenant, lms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = staff_client.post(LIST, form_data(lms.dsn))
    assert len(queued) == 1
    run = run_of(tenant)
    assert response.status_code == 302
    assert response["Location"] == reverse("lmsimport:detail", args=[run.pk])

    assert run.status == ImportRun.Status.DONE and not run.dry_run
    assert run.dsn_name == lms.name and run.created_by is not None
    with tenant_context(tenant):
        assert Customer.objects.count() == len(lms.made["balances"])

    page = staff_client.get(response["Location"]).content.decode()
    # One progress row per stage, each done or left out of this version.
    assert 'data-stage="customers" data-state="done"' in page
    assert 'data-stage="nodes" data-state="done"' in page
    assert 'data-state="waiting"' not in page and 'data-state="running"' not in page
    # The report: counts per stage and kind, the broken rows as problem lines.
    assert 'data-stage="customers" data-kind="customer"' in page
    assert 'id="problem-lines"' in page and "NIP" in page
    assert 'id="reconciliation"' in page
    # The list of runs: who, the database, the status, a duration.
    listing = staff_client.get(LIST).content.decode()
    assert lms.name in listing and 'data-status="done"' in listing and "0:0" in listing


def test_start_and_end_are_in_the_action_log(
        staff_client, tenant, lms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(LIST, form_data(lms.dsn, dry_run="on"))
    entries = list(ActionLog.all_tenants.filter(tenant=tenant, kind__startswith="lmsimport.")
                   .order_by("pk"))
    assert [e.kind for e in entries] == ["lmsimport.start", "lmsimport.finish"]
    assert entries[0].actor_user_id is not None
    assert "dry run" in entries[0].text and lms.name in entries[0].text
    assert "finished" in entries[1].text
    with tenant_context(tenant):  # a dry run keeps nothing
        assert Customer.objects.count() == 0


def test_password_is_never_stored_nor_queued_in_clear(
        staff_client, tenant, lms_db, django_capture_on_commit_callbacks, monkeypatch):
    from lmsimport import tasks

    sent = []
    monkeypatch.setattr(tasks.import_run_execute, "delay", lambda *a, **k: sent.append((a, k)))
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(LIST, form_data(lms_db.dsn))
    run = run_of(tenant)
    # What goes to the broker: the run's id, nothing else.
    assert sent == [((run.pk,), {})]
    # The row as the database holds it, and the action log.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM lmsimport_importrun WHERE id = %s", [run.pk])
        raw = " ".join(str(v) for v in cursor.fetchone())
        cursor.execute("SELECT message, params::text FROM core_actionlog WHERE tenant_id = %s",
                       [tenant.pk])
        raw += " ".join(str(v) for row in cursor.fetchall() for v in row)
    for piece in ("Tajne", "Hasło", "50%{x}"):
        assert piece not in raw
    # ... yet the worker gets it back exactly, quotes and backslashes included.
    assert psycopg.conninfo.conninfo_to_dict(run.dsn)["password"] == PASSWORD
    page = staff_client.get(reverse("lmsimport:detail", args=[run.pk])).content.decode()
    assert "Tajne" not in page


def test_the_password_is_forgotten_when_the_run_ends(
        staff_client, tenant, lms_db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(LIST, form_data(lms_db.dsn))
    run = run_of(tenant)
    assert run.status == ImportRun.Status.DONE
    assert run.dsn == ""


def test_a_failed_run_shows_why(staff_client, tenant, lms_db, monkeypatch,
                                django_capture_on_commit_callbacks):
    from lmsimport import stages

    def broken(ctx):
        raise RuntimeError("stage broke on row 7")

    monkeypatch.setattr(stages, "STAGES", [("customers", broken)])
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(LIST, form_data(lms_db.dsn))
    assert response.status_code == 302  # the failure is the run's, not the request's
    run = run_of(tenant)
    assert run.status == ImportRun.Status.FAILED and run.dsn == ""
    page = staff_client.get(response["Location"]).content.decode()
    assert 'id="run-error"' in page and "stage broke on row 7" in page
    assert 'data-stage="customers" data-state="failed"' in page
    assert ActionLog.all_tenants.filter(tenant=tenant, kind="lmsimport.finish",
                                        message__contains="failed").exists()


# --------------------------------------------------------------------------- one at a time

def test_second_start_while_one_is_queued_is_refused(
        staff_client, tenant, lms_db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as first:  # queued, no worker yet
        staff_client.post(LIST, form_data(lms_db.dsn))
    with django_capture_on_commit_callbacks() as second:
        response = staff_client.post(LIST, form_data(lms_db.dsn))
    assert response.status_code == 400
    assert "already queued" in response.content.decode()
    assert runs(tenant) == 1 and len(first) == 1 and second == []
    assert 'id="active-run"' in staff_client.get(LIST).content.decode()


def test_a_run_of_the_command_line_blocks_a_start_too(staff_client, tenant, lms_db):
    make_run(tenant, status=ImportRun.Status.RUNNING, finished_at=None)
    response = staff_client.post(LIST, form_data(lms_db.dsn))
    assert "already running" in response.content.decode()
    assert runs(tenant) == 1


def test_a_run_lost_with_its_worker_does_not_block_for_ever(staff_client, tenant, lms_db):
    lost = make_run(tenant, status=ImportRun.Status.RUNNING, finished_at=None, dsn="x")
    ImportRun.all_tenants.filter(pk=lost.pk).update(
        started_at=timezone.now() - timedelta(hours=4))
    with tenant_context(tenant):
        staff_client.post(LIST, form_data(lms_db.dsn))
        lost.refresh_from_db()
    assert lost.status == ImportRun.Status.FAILED and lost.dsn == ""
    assert "worker was lost" in lost.error
    assert runs(tenant) == 2


def test_another_tenants_running_import_does_not_block(
        staff_client, tenant, other_tenant, lms_db):
    make_run(other_tenant, status=ImportRun.Status.RUNNING, finished_at=None)
    response = staff_client.post(LIST, form_data(lms_db.dsn))
    assert response.status_code == 302
    assert runs(tenant) == 1


# --------------------------------------------------------------------------- the report

def problem_report(n_contacts=70, n_customers=45):
    problems = [{"lms_id": i, "kind": "contact", "action": "flagged",
                 "message": f"telefon {i} niepoprawny"} for i in range(n_contacts)]
    problems += [{"lms_id": 1000 + i, "kind": "customer", "action": "skipped",
                  "message": f"klient {1000 + i} bez nazwiska"} for i in range(n_customers)]
    return {"dry_run": False, "reconciliation": None, "stages": [
        {"name": "customers", "counts": {"customer": dict.fromkeys(
            ("read", "created", "updated", "unchanged", "deleted", "skipped", "flagged"), 0)},
         "problems": problems}]}


def rows_shown(page: str) -> int:
    table = page.split('id="problem-lines"', 1)[1].split("</tbody>", 1)[0]
    return table.count("<tr><td>")


def test_problem_lines_are_paged(staff_client, tenant):
    run = make_run(tenant, report=problem_report())
    url = reverse("lmsimport:detail", args=[run.pk])
    first = staff_client.get(url).content.decode()
    assert "115 problem lines" in first
    assert rows_shown(first) == 50 and "telefon 0 niepoprawny" in first
    last = staff_client.get(url, {"page": 3}).content.decode()
    assert rows_shown(last) == 15 and "klient 1044 bez nazwiska" in last
    # A page past the end shows the last one, not an error.
    assert rows_shown(staff_client.get(url, {"page": 99}).content.decode()) == 15


def test_problem_lines_are_filtered_by_kind_and_action(staff_client, tenant):
    run = make_run(tenant, report=problem_report())
    url = reverse("lmsimport:detail", args=[run.pk])
    skipped = staff_client.get(url, {"action": "skipped"}).content.decode()
    assert rows_shown(skipped) == 45 and "telefon" not in skipped.split('id="problem-lines"')[1]
    contacts = staff_client.get(url, {"kind": "contact", "page": 2}).content.decode()
    assert rows_shown(contacts) == 20
    # The filter is kept when paging.
    assert "?kind=contact&amp;page=1" in contacts
    assert rows_shown(staff_client.get(url, {"kind": "contact", "action": "skipped"})
                      .content.decode()) == 0
    assert rows_shown(staff_client.get(url, {"stage": "customers", "action": "flagged"})
                      .content.decode()) == 50
    assert rows_shown(staff_client.get(url, {"stage": "customers", "action": "flagged",
                                             "page": 2}).content.decode()) == 20
    # An unknown value filters nothing out rather than hiding every line.
    assert rows_shown(staff_client.get(url, {"kind": "<script>"}).content.decode()) == 50


def test_reconciliation_is_shown_with_its_differences(staff_client, tenant):
    report = problem_report(0, 0)
    report["reconciliation"] = {
        "ok": False,
        "checks": [{"name": "balance per customer", "lms": "-120.50", "abonent": "-120.49",
                    "ok": False},
                   {"name": "invoices", "lms": {"count": 61, "gross": "3752.63"},
                    "abonent": {"count": 61, "gross": "3752.63"}, "ok": True}],
        "differences": [{"check": "balance", "lms_customer_id": 17,
                         "abonent_customer_id": None, "lms": "-120.50",
                         "abonent": "-120.49"}],
        "differences_total": 3,
        "explained": [{"check": "invoices per month", "lms_customer_id": None,
                       "abonent_customer_id": None, "month": "2025-03", "lms": 4,
                       "abonent": 3, "explained_by": "document #88: skipped: no items"}],
        "explained_total": 1}
    run = make_run(tenant, report=report)
    page = staff_client.get(reverse("lmsimport:detail", args=[run.pk])).content.decode()
    assert "3 differences" in page and "-120.49" in page
    assert "count: 61, gross: 3752.63" in page
    assert "The first 1 of 3 differences are shown." in page
    explained = page.split('id="reconciliation-explained"', 1)[1]
    assert "1 difference explained by the report's lines" in explained
    assert "2025-03" in explained and "document #88: skipped: no items" in explained


def test_reconciliation_not_run_is_said(staff_client, tenant):
    run = make_run(tenant, report=problem_report(0, 0))
    page = staff_client.get(reverse("lmsimport:detail", args=[run.pk])).content.decode()
    assert "Not run" in page
    assert "Every row was imported without a problem." in page


def test_progress_fragment_polls_while_running_and_reloads_when_done(staff_client, tenant):
    running = make_run(tenant, status=ImportRun.Status.RUNNING, finished_at=None)
    fragment = staff_client.get(reverse("lmsimport:progress", args=[running.pk]))
    assert "hx-trigger" in fragment.content.decode() and "HX-Refresh" not in fragment
    ImportRun.all_tenants.filter(pk=running.pk).update(status=ImportRun.Status.DONE)
    fragment = staff_client.get(reverse("lmsimport:progress", args=[running.pk]))
    assert fragment["HX-Refresh"] == "true"
    assert "hx-trigger" not in fragment.content.decode()


# --------------------------------------------------------------------------- who may

def test_another_tenants_run_is_404(staff_client, other_tenant):
    theirs = make_run(other_tenant, dsn_name="lms_beta")
    for name in ("lmsimport:detail", "lmsimport:progress"):
        assert staff_client.get(reverse(name, args=[theirs.pk])).status_code == 404
    assert "lms_beta" not in staff_client.get(LIST).content.decode()


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.TECHNICIAN])
def test_roles_without_the_permission_get_403(client, tenant, role, lms_db):
    client.force_login(make_staff(tenant, "ktos", role=role))
    assert client.get(LIST).status_code == 403
    assert client.post(LIST, form_data(lms_db.dsn)).status_code == 403
    assert runs(tenant) == 0


def test_accountant_reads_the_runs_but_cannot_start_one(client, tenant, lms_db):
    client.force_login(make_staff(tenant, "ksiegowa", role=Role.ACCOUNTANT))
    run = make_run(tenant)
    page = client.get(LIST).content.decode()
    assert 'id="lms-import-form"' not in page
    assert client.get(reverse("lmsimport:detail", args=[run.pk])).status_code == 200
    assert client.post(LIST, form_data(lms_db.dsn)).status_code == 403
    assert runs(tenant) == 1


def test_anonymous_is_sent_to_the_login(client):
    response = client.get(LIST)
    assert response.status_code == 302 and "login" in response["Location"]


def test_list_costs_the_same_queries_for_one_run_or_many(staff_client, tenant):
    from django.test.utils import CaptureQueriesContext

    make_run(tenant, created_by=make_staff(tenant, "piotr"))
    staff_client.get(LIST)  # warm: the session's and permissions' first reads
    with CaptureQueriesContext(connection) as one:
        staff_client.get(LIST)
    for i in range(5):
        make_run(tenant, created_by=make_staff(tenant, f"user{i}"))
    with CaptureQueriesContext(connection) as many:
        page = staff_client.get(LIST).content.decode()
    assert page.count('data-status="done"') == 6
    # session, user, tenant/membership (middleware), the count, the page of runs with
    # their starters (one JOIN), the active run: the same however many runs there are.
    assert len(many.captured_queries) == len(one.captured_queries)
