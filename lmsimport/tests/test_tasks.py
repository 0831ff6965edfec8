"""The import as a Celery job: its live progress, a task delivered twice, what it passes
on to the runner."""

import threading
import traceback
from datetime import date

import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from core.tenancy import tenant_context
from customers.models import Customer
from lmsimport import services, stages, tasks
from lmsimport.models import ImportRun, LmsMap
from lmsimport.progress import ProgressWriter, progress_get, stage_rows
from lmsimport.tests.generator import LmsWriter, scenario_small


@pytest.fixture
def lms(lms_db):
    with lms_db.connect() as conn:
        lms_db.made = scenario_small(LmsWriter(conn))
    return lms_db


def start(lms_db, actor, **options) -> ImportRun:
    info = psycopg.conninfo.conninfo_to_dict(lms_db.dsn)
    return services.import_run_start(
        actor=actor, host=info.get("host") or "127.0.0.1", port=int(info.get("port") or 5432),
        database=info["dbname"], user=info.get("user") or "postgres", password="",
        **options)


@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_to_the_page_while_the_import_transaction_is_open(
        lms, tenant, staff, monkeypatch):
    """The page, asked from another thread (its own database connection) in the middle of
    the run, shows the stage done and the one running, though not one customer the run
    wrote is visible yet: the progress does not wait for the commit."""
    real = dict(stages.STAGES)
    seen = {}

    def look(run_id):
        try:
            client = Client(headers={"accept-language": "en"})
            client.force_login(staff)
            seen["page"] = client.get(reverse("lmsimport:progress", args=[run_id])
                                      ).content.decode()
            with tenant_context(tenant):
                seen["customers"] = Customer.objects.count()
                seen["status"] = ImportRun.objects.get(pk=run_id).status
        except Exception:  # shown by the assertion below, not lost in the thread
            seen["error"] = traceback.format_exc()
        finally:
            connection.close()

    def tariffs_watched(ctx):
        ctx.advance(3, 12)
        run_id = ImportRun.objects.get(status=ImportRun.Status.RUNNING).pk
        other = threading.Thread(target=look, args=(run_id,))
        other.start()
        other.join()
        real["tariffs"](ctx)

    monkeypatch.setattr(stages, "STAGES", [("customers", real["customers"]),
                                           ("tariffs", tariffs_watched),
                                           ("nodes", real["nodes"])])
    # The worker's part runs here, whatever Celery's configuration another test left
    # (an app once configured with task_always_eager off keeps it).
    monkeypatch.setattr(tasks.import_run_execute, "delay",
                        lambda run_id: services.import_run_execute(run_id=run_id))
    with tenant_context(tenant):
        run = start(lms, staff)  # the whole run happens here, on commit
        run.refresh_from_db()

    assert "error" not in seen and "customers" in seen, seen.get("error") or (run.status,
                                                                            run.error)
    assert seen["customers"] == 0 and seen["status"] == ImportRun.Status.RUNNING
    page = seen["page"]
    assert 'data-stage="customers" data-state="done"' in page
    assert 'data-stage="tariffs" data-state="running"' in page and "running: 3 of 12" in page
    assert 'data-stage="nodes" data-state="waiting"' in page
    assert 'hx-trigger="every' in page  # the page keeps polling
    assert run.status == ImportRun.Status.DONE
    with tenant_context(tenant):
        assert Customer.objects.count() == len(lms.made["balances"])


@pytest.mark.django_db
def test_a_task_delivered_twice_imports_once(lms, tenant, staff,
                                             django_capture_on_commit_callbacks):
    with tenant_context(tenant), django_capture_on_commit_callbacks() as queued:
        run = start(lms, staff)
    assert len(queued) == 1 and run.status == ImportRun.Status.QUEUED

    first = services.import_run_execute(run_id=run.pk)
    with tenant_context(tenant):
        mappings = LmsMap.objects.count()
    again = services.import_run_execute(run_id=run.pk)

    assert first.status == ImportRun.Status.DONE and again is None
    with tenant_context(tenant):
        assert LmsMap.objects.count() == mappings
        assert ImportRun.objects.count() == 1


@pytest.mark.django_db
def test_an_unknown_run_is_nothing_to_do(tenant):
    assert services.import_run_execute(run_id=987654) is None


@pytest.mark.django_db
def test_dry_run_and_history_since_reach_the_stages(lms_db, tenant, staff, monkeypatch,
                                                    django_capture_on_commit_callbacks):
    got = {}

    def probe(ctx):
        got["since"] = ctx.since
        ctx.advance(1, 1)

    monkeypatch.setattr(stages, "STAGES", [("customers", probe)])
    with tenant_context(tenant), django_capture_on_commit_callbacks(execute=True):
        run = start(lms_db, staff, dry_run=True, since=date(1999, 12, 31))
    run.refresh_from_db()
    assert got["since"] == date(1999, 12, 31)
    assert run.dry_run and run.report["dry_run"] and run.status == ImportRun.Status.DONE


@pytest.mark.django_db
def test_progress_of_each_stage_in_the_import_order(tenant):
    with tenant_context(tenant):
        run = ImportRun.objects.create(status=ImportRun.Status.RUNNING)
    write = ProgressWriter(run.pk)
    write("customers", 0)
    write("customers", 5000, 12000)
    write("customers", 10000, 12000)
    write("tariffs", 0, None)

    live = progress_get(run.pk)["stages"]
    assert live["customers"] == {"state": "done", "done": 12000, "total": 12000}
    rows = {r["name"]: r for r in stage_rows(run, available=["customers", "tariffs", "nodes"])}
    assert [r for r in rows] == list(stages.STAGE_NAMES)
    assert rows["customers"]["state"] == "done" and rows["customers"]["percent"] == 100
    # A stage whose total is unknown yet: running, no percentage to show.
    assert rows["tariffs"]["state"] == "running" and rows["tariffs"]["percent"] is None
    assert rows["nodes"]["state"] == "waiting"
    # The stages this version has no module for are left out of the run.
    assert rows["voip"]["state"] == "absent"


@pytest.mark.django_db
def test_a_zero_total_is_no_division_by_zero(tenant):
    with tenant_context(tenant):
        run = ImportRun.objects.create(status=ImportRun.Status.RUNNING)
    ProgressWriter(run.pk)("customers", 0, 0)
    rows = {r["name"]: r for r in stage_rows(run, available=["customers"])}
    assert rows["customers"]["state"] == "running" and rows["customers"]["percent"] is None


@pytest.mark.django_db
def test_an_empty_lms_imports_nothing_and_reports_zeros(lms_db, tenant, staff,
                                                        django_capture_on_commit_callbacks):
    with tenant_context(tenant), django_capture_on_commit_callbacks(execute=True):
        run = start(lms_db, staff)
    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE
    assert all(not s["problems"] for s in run.report["stages"])
    with tenant_context(tenant):
        assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_stages_a_failed_run_never_reached_are_not_run_not_waiting(tenant):
    with tenant_context(tenant):
        run = ImportRun.objects.create(status=ImportRun.Status.RUNNING)
    write = ProgressWriter(run.pk)
    write("customers", 0, 10)
    write("tariffs", 1, 4)
    write.finish(failed=True)
    ImportRun.all_tenants.filter(pk=run.pk).update(status=ImportRun.Status.FAILED,
                                                  progress={"customers": "done"})
    run.refresh_from_db()
    rows = {r["name"]: r["state"]
            for r in stage_rows(run, available=["customers", "tariffs", "nodes"])}
    assert rows["customers"] == "done" and rows["tariffs"] == "failed"
    assert rows["nodes"] == "notrun" and rows["voip"] == "absent"


@pytest.mark.django_db
def test_a_stage_reporting_every_row_writes_the_cache_seldom(tenant, monkeypatch):
    from lmsimport import progress

    with tenant_context(tenant):
        run = ImportRun.objects.create(status=ImportRun.Status.RUNNING)
    writes = []
    real_set = progress.cache.set
    monkeypatch.setattr(progress.cache, "set",
                        lambda *a, **k: (writes.append(a[1]), real_set(*a, **k)))
    write = ProgressWriter(run.pk)
    for done in range(0, 10_001):
        write("customers", done, 10_000)
    # The first report and the last (the stage's end), not ten thousand.
    assert 2 <= len(writes) <= 10
    assert progress_get(run.pk)["stages"]["customers"]["done"] == 10_000
