"""Starting an LMS import from the staff page and running it in a Celery worker.

``import_run_start`` checks the LMS database (a connection is tried and LMS's schema
recognised) before anything is queued, refuses a second run while one of the tenant's is
queued or running, keeps the DSN encrypted on the run (``core.crypto``) and queues
``lmsimport.tasks.import_run_execute`` with the run's id only: the password never
travels through the broker (Redis) in clear. ``import_run_execute`` is the worker's part:
it calls ``lmsimport.runner.import_run`` with a progress callback writing to the cache
(``lmsimport.progress``) and wipes the DSN when the run ends, whichever way.
"""

import ipaddress
import logging
from datetime import date, timedelta

import psycopg
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from psycopg import conninfo

from core import netguard
from core.actionlog import action_log, sentence
from core.tenancy import all_tenants_context, current_tenant, tenant_context

from . import runner
from .models import ImportRun
from .progress import ProgressWriter, progress_get
from .selectors import differences_count

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10  # seconds: a wrong host answers the form, not a hanging request
# An active run with no sign of life for this long was lost with its worker (a restart
# during the import): the next start marks it failed instead of waiting for it forever.
STALE_AFTER = timedelta(hours=3)


def import_supported() -> bool:
    """Whether this installation can import: the stages write with PostgreSQL's SQL
    (``unnest`` of arrays, ``COPY``), so the embedded SQLite default (make run) cannot."""
    return connection.vendor == "postgresql"


def lms_host_clean(host: str) -> str:
    """An IP address or a host name by the platform's one rule
    (``core.netguard.hostname_valid``: letters, digits, hyphens and dots, an IDN given in
    its ASCII form, no address in disguise such as ``127.1``): what libpq can resolve;
    anything else is refused before connecting."""
    host = (host or "").strip()
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if netguard.hostname_valid(host):
        return host
    raise ValidationError({"host": [_("Enter the LMS server as a host name or an IP "
                                      "address.")]})


def lms_dsn_build(*, host: str, port: int, database: str, user: str, password: str) -> str:
    """A libpq connection string; quotes, spaces and backslashes in the values are
    escaped by psycopg, never pasted in."""
    return conninfo.make_conninfo(host=host, port=str(port), dbname=database, user=user,
                                  password=password, connect_timeout=str(CONNECT_TIMEOUT),
                                  application_name="abonent-lmsimport")


def lms_database_check(*, dsn: str) -> str:
    """Connect to the LMS database read-only and recognise LMS's schema; returns its
    version (``dbinfo``'s ``dbversion``). Raises ``ValidationError`` saying what is wrong:
    the server cannot be reached or refuses the login, or the database is no LMS."""
    try:
        with psycopg.connect(dsn) as lms:
            lms.read_only = True
            tables = lms.execute("SELECT to_regclass('customers') IS NOT NULL, "
                                 "to_regclass('dbinfo') IS NOT NULL").fetchone()
            if not all(tables):
                raise ValidationError(_("This database is not an LMS database: the tables "
                                        "customers and dbinfo are missing."),
                                      code="not_lms")
            row = lms.execute("SELECT keyvalue FROM dbinfo WHERE keytype = 'dbversion'"
                              ).fetchone()
    except (psycopg.Error, OSError, UnicodeError) as exc:
        # libpq's message names the host and the reason, never the password.
        raise ValidationError(_("Cannot connect to the LMS database: %(reason)s")
                              % {"reason": str(exc).strip().splitlines()[0] if str(exc)
                                 else type(exc).__name__}, code="connect") from None
    if row is None or not row[0]:
        raise ValidationError(_("LMS's schema version (dbinfo.dbversion) is missing: this "
                                "does not look like an LMS database."), code="not_lms")
    return row[0]


def _describe(dsn: str) -> tuple[str, str]:
    info = conninfo.conninfo_to_dict(dsn)
    host = info.get("host") or "localhost"
    if info.get("port"):
        host = f"{host}:{info['port']}"
    return host, info.get("dbname") or ""


def _start_lock() -> None:
    """Serialise starts of one tenant's imports (the check for an active run and the new
    run's row). SQLite lets one writer at a time anyway."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('lmsimport.start'), %s)",
                       [current_tenant().pk])


def _last_sign_of_life(run: ImportRun):
    beat = progress_get(run.pk).get("beat")
    moment = parse_datetime(beat) if beat else None
    return max(filter(None, [moment, run.started_at]))


def _lost_runs_fail(now) -> None:
    for run in ImportRun.objects.filter(status__in=ImportRun.ACTIVE):
        if now - _last_sign_of_life(run) > STALE_AFTER:
            ImportRun.objects.filter(pk=run.pk).update(
                status=ImportRun.Status.FAILED, finished_at=now, dsn="",
                error=_("The import stopped without finishing (its worker was lost)."))


def import_run_start(*, actor, host: str, port: int, database: str, user: str,
                     password: str, dry_run: bool = False, since: date | None = None
                     ) -> ImportRun:
    """Check the LMS database and queue its import into the active tenant.

    The LMS connection is tried first, outside any transaction. Then, under a per-tenant
    advisory lock, a run still queued or running refuses the start; otherwise the run is
    created (queued, the DSN encrypted), the action log written, and the Celery task
    queued on commit with the run's id."""
    if not import_supported():
        raise ValidationError(_("The import from LMS needs Abonent on PostgreSQL."),
                              code="postgresql")
    if since is not None and since > timezone.localdate():
        raise ValidationError({"since": [_("The history cannot start in the future.")]})
    dsn = lms_dsn_build(host=lms_host_clean(host), port=port, database=database, user=user,
                        password=password)
    version = lms_database_check(dsn=dsn)
    dsn_host, dsn_name = _describe(dsn)
    with transaction.atomic():
        _start_lock()
        _lost_runs_fail(timezone.now())
        active = ImportRun.objects.filter(status__in=ImportRun.ACTIVE) \
            .select_related("created_by").first()
        if active is not None:
            raise ValidationError(
                _("An import from LMS is already %(status)s (started %(at)s); wait until "
                  "it ends.") % {"status": active.get_status_display(),
                                 "at": timezone.localtime(active.started_at)
                                 .strftime("%Y-%m-%d %H:%M")}, code="active")
        run = ImportRun.objects.create(
            status=ImportRun.Status.QUEUED, dry_run=dry_run, since=since, created_by=actor,
            dsn=dsn, dsn_host=dsn_host, dsn_name=dsn_name)
        action_log(actor=actor, kind="lmsimport.start",
                   message=N_("Import from LMS %(database)s on %(host)s queued (LMS schema "
                              "%(version)s)%(dry)s."),
                   params={"database": dsn_name, "host": dsn_host, "version": version,
                           "dry": _dry_param(dry_run)})
        from .tasks import import_run_execute as task

        run_id = run.pk
        transaction.on_commit(lambda: task.delay(run_id))
    return run


def _dry_param(dry_run: bool):
    return sentence(N_(", dry run: nothing is kept")) if dry_run else ""


def import_run_execute(*, run_id: int) -> ImportRun | None:
    """The worker's part: claim the queued run, import, record the outcome.

    A task delivered twice finds the run no longer queued and does nothing. A failure is
    already recorded on the run by the runner (status failed, the error); it is logged
    here and not raised again, so an eager task does not break the request that queued
    it. The encrypted DSN is wiped when the run ends."""
    with all_tenants_context():
        run = ImportRun.all_tenants.select_related("tenant").filter(pk=run_id).first()
        if run is None:
            return None
        tenant = run.tenant
    with tenant_context(tenant):
        claimed = ImportRun.objects.filter(pk=run_id, status=ImportRun.Status.QUEUED) \
            .update(status=ImportRun.Status.RUNNING, started_at=timezone.now())
        if not claimed:
            return None
        run = ImportRun.objects.select_related("created_by").get(pk=run_id)
        progress = ProgressWriter(run.pk)
        failed = True
        try:
            runner.import_run(tenant=tenant, dsn=run.dsn, dry_run=run.dry_run,
                              since=run.since, progress=progress, run=run)
            failed = False
        except Exception:
            logger.exception("LMS import %s failed", run_id)
            run.refresh_from_db()
        finally:
            progress.finish(failed=failed)
            ImportRun.objects.filter(pk=run_id).update(dsn="")
        _log_finish(run)
    return run


def _log_finish(run: ImportRun) -> None:
    report = run.report or {}
    problems = sum(len(s.get("problems", [])) for s in report.get("stages", []))
    if run.status == ImportRun.Status.DONE:
        differences = differences_count(report.get("reconciliation"))
        action_log(actor=None, kind="lmsimport.finish",
                   message=N_("Import from LMS %(database)s finished: %(problems)s problem "
                              "lines, reconciliation differences: %(differences)s%(dry)s."),
                   params={"database": run.dsn_name, "problems": problems,
                           "differences": "—" if differences is None else differences,
                           "dry": _dry_param(run.dry_run)})
    else:
        action_log(actor=None, kind="lmsimport.finish",
                   message=N_("Import from LMS %(database)s failed, nothing of it was "
                              "kept: %(error)s"),
                   params={"database": run.dsn_name, "error": run.error[:500]})

