"""The import: stages in order over one LMS snapshot, inside the tenant's context.

Each stage is a callable ``run(ctx)`` working set-based (batches of thousands, bulk
inserts and one UPDATE per batch), idempotent through ``LmsMap``. A dry run does
everything in one transaction and rolls it back: the report is the one a real run would
give, and nothing stays written.
"""

import hashlib
import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from core.tenancy import tenant_context

from .models import ImportRun, LmsMap
from .reader import LmsReader
from .report import Report, StageReport


@dataclass
class Context:
    """What a stage gets: the tenant, the LMS snapshot and its part of the report."""

    tenant: object
    lms: LmsReader
    report: StageReport | None = None
    # Abonent ids the stage touched, per kind (e.g. customers to re-index at the end).
    touched: dict[str, set] = field(default_factory=dict)
    # LMS ids read in this run, per kind: a mapped id not among them was deleted in LMS.
    seen: dict[str, set] = field(default_factory=dict)
    cache: dict = field(default_factory=dict)
    # --since: history (documents, cash) before this date is not imported one by one; the
    # money stages bring it as each customer's opening balance instead. None: everything.
    since: date | None = None
    # Called as progress(stage_name, done, total) — total None when unknown; the Celery
    # job shows it as the stage's progress bar. Stages call ``ctx.advance``.
    progress: Callable[[str, int, int | None], None] | None = None

    def advance(self, done: int, total: int | None = None) -> None:
        """Report how far the running stage is (rows done of total)."""
        if self.progress is not None and self.report is not None:
            self.progress(self.report.name, done, total)


def digest(*values) -> str:
    """A short fingerprint of the LMS values written: equal fingerprints = nothing to do."""
    return hashlib.md5(json.dumps(values, default=str, sort_keys=True).encode(),
                       usedforsecurity=False).hexdigest()


def map_load(kind: str) -> dict[int, LmsMap]:
    """LMS id → mapping of every row of ``kind`` imported before into the active tenant."""
    return {m.lms_id: m for m in LmsMap.objects.filter(kind=kind)}


def map_get(kind: str, lms_ids) -> list[LmsMap]:
    return list(LmsMap.objects.filter(kind=kind, lms_id__in=list(lms_ids)))


def map_save(ctx: Context, kind: str, rows: list[tuple]) -> None:
    """Insert or update mappings ``(lms_id, abonent_id, digest[, data])`` in one statement."""
    LmsMap.objects.bulk_create(
        [LmsMap(tenant=ctx.tenant, kind=kind, lms_id=r[0], abonent_id=r[1], digest=r[2],
                data=r[3] if len(r) > 3 else {}) for r in rows],
        update_conflicts=True, unique_fields=["tenant", "kind", "lms_id"],
        update_fields=["abonent_id", "digest", "data"], batch_size=5000)


def map_forget(kind: str, lms_ids) -> None:
    LmsMap.objects.filter(kind=kind, lms_id__in=list(lms_ids)).delete()


def _stages():
    from .stages import STAGES
    return STAGES


def import_run(*, tenant, dsn: str, dry_run: bool = False, stages=None,
               since: date | None = None, progress=None, run: ImportRun | None = None
               ) -> ImportRun:
    """Import the LMS at ``dsn`` into ``tenant``; returns the run with its report.

    A failure of a stage rolls back everything written by the run (one transaction) and is
    recorded on the run before it is raised again. ``run``: an ImportRun created before
    (the Celery job's, which the staff page follows); otherwise one is created here.
    """
    with tenant_context(tenant):
        if run is None:
            run = ImportRun.objects.create(tenant=tenant, dry_run=dry_run)
        report = Report(dry_run=dry_run)
        try:
            _run_stages(run, report, tenant=tenant, dsn=dsn, dry_run=dry_run,
                        stages=stages or _stages(), since=since, progress=progress)
        except Exception as exc:
            _finish(run, report, status=ImportRun.Status.FAILED, error=repr(exc))
            raise
        _finish(run, report, status=ImportRun.Status.DONE)
    return run


def _run_stages(run, report, *, tenant, dsn, dry_run, stages, since, progress) -> None:
    with LmsReader(dsn) as lms, transaction.atomic():
        _lock(tenant)
        ctx = Context(tenant=tenant, lms=lms, since=since, progress=progress)
        for name, stage in stages:
            ctx.report = report.stage(name)
            ctx.advance(0)
            stage(ctx)
            run.progress[name] = "done"
        reconcile = _reconciler()
        if reconcile is not None:  # the proof: LMS and Abonent compared, same snapshot
            report.reconciliation = reconcile(ctx)
        if dry_run:
            transaction.set_rollback(True)


def _reconciler():
    """``lmsimport.reconcile.reconcile(ctx) -> dict`` once that module exists."""
    try:
        return importlib.import_module("lmsimport.reconcile").reconcile
    except ModuleNotFoundError as exc:
        if exc.name != "lmsimport.reconcile":
            raise
        return None


def _lock(tenant) -> None:
    """One import per tenant at a time: a second run started meanwhile waits for the first
    to commit and then finds its mappings (updates, never duplicates)."""
    if connection.vendor != "postgresql":  # SQLite (make run) lets one writer at a time
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('lmsimport'), %s)", [tenant.pk])


def _finish(run, report, *, status, error="") -> None:
    run.status = status
    run.error = error
    run.report = report.as_dict()
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "report", "progress", "finished_at"])
