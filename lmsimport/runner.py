"""The import: stages in order over one LMS snapshot, inside the tenant's context.

Each stage is a callable ``run(ctx)`` working set-based (batches of thousands, bulk
inserts and one UPDATE per batch), idempotent through ``LmsMap``. A dry run does
everything in one transaction and rolls it back: the report is the one a real run would
give, and nothing stays written.
"""

import hashlib
import importlib
import json
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from core.sql import array_param, column_any, rows_copy, tables_analyze, tables_written
from core.tenancy import current_tenant, tenant_context

from .models import ImportRun, LmsMap
from .reader import LmsReader
from .report import Report, StageReport

STATISTICS_MIN_ROWS = 1000


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
    # Work started at the run's beginning in another thread on a second LMS connection of
    # the same snapshot (``fingerprints_prefetch``); None when a stage runs on its own.
    prefetch: ThreadPoolExecutor | None = None

    def statistics(self, min_rows: int = STATISTICS_MIN_ROWS) -> None:
        """Fresh planner statistics of every table this run has written ``min_rows`` rows
        to since the last call (``core.sql.analyze``): the run is one transaction, which
        autovacuum cannot see, and the stages' lookups are planned by what the statistics
        say. Called after each stage, and by a long stage every few hundred thousand
        rows."""
        written = tables_written()
        seen = self.cache.setdefault("statistics", {})
        stale = [table for table, rows in written.items()
                 if rows - seen.get(table, 0) >= min_rows]
        tables_analyze(stale)
        seen.update({table: written[table] for table in stale})

    def advance(self, done: int, total: int | None = None) -> None:
        """Report how far the running stage is (rows done of total)."""
        if self.progress is not None and self.report is not None:
            self.progress(self.report.name, done, total)


def digest(*values) -> str:
    """A short fingerprint of the LMS values written: equal fingerprints = nothing to do."""
    return hashlib.md5(json.dumps(values, default=str, sort_keys=True).encode(),
                       usedforsecurity=False).hexdigest()


@dataclass(slots=True)
class Mapped:
    """One mapping as the stages read it (``LmsMap``'s values, without a model object:
    100,000 of them are read per kind and run)."""

    lms_id: int
    abonent_id: int
    digest: str
    data: dict


_MAPPED_FIELDS = ("lms_id", "abonent_id", "digest", "data")


def map_load(kind: str) -> dict[int, Mapped]:
    """LMS id → mapping of every row of ``kind`` imported before into the active tenant."""
    return {row[0]: Mapped(*row)
            for row in LmsMap.objects.filter(kind=kind).values_list(*_MAPPED_FIELDS)}


def map_get(kind: str, lms_ids) -> list[Mapped]:
    """The mappings of these LMS ids (those there are) — a batch of thousands."""
    lms_ids = list(lms_ids)
    if not lms_ids:
        return []
    if connection.vendor != "postgresql":
        return [Mapped(*row) for row in LmsMap.objects.filter(kind=kind, lms_id__in=lms_ids)
                .values_list(*_MAPPED_FIELDS)]
    # One probe of the unique index per id, whatever the statistics say: inside the run's
    # one transaction they do not know this run's rows, and the planner (under row-level
    # security) otherwise takes the (tenant, kind) prefix of the other index and reads
    # every mapping of the kind for each id — quadratic. The ORDER BY … LIMIT 1 of the
    # unique index's own columns makes that index the one answering.
    array, params = array_param(lms_ids, "bigint")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT m.lms_id, m.abonent_id, m.digest, m.data FROM unnest({array}) AS v(id) "  # noqa: S608
            f"CROSS JOIN LATERAL (SELECT * FROM {LmsMap._meta.db_table} x "
            "WHERE x.tenant_id = %s AND x.kind = %s AND x.lms_id = v.id "
            "ORDER BY x.tenant_id, x.kind, x.lms_id LIMIT 1) m",
            [*params, current_tenant().pk, kind])
        return [Mapped(lms_id, abonent_id, digest_, data if isinstance(data, dict)
                       else json.loads(data))
                for lms_id, abonent_id, digest_, data in cursor.fetchall()]


def map_save(ctx: Context, kind: str, rows: list[tuple], *, fresh: bool = False) -> None:
    """Insert or update mappings ``(lms_id, abonent_id, digest[, data])`` in one statement;
    a mapping that is already so is not written again. ``fresh``: none of these LMS ids
    is mapped yet (the stage has just looked, and one import of a tenant runs at a time):
    they are copied in (COPY), the path of millions of documents on the first import."""
    if not rows:
        return
    if fresh:
        text = connection.vendor == "postgresql"
        rows_copy(LmsMap, ["tenant", "kind", "lms_id", "abonent_id", "digest", "data"],
                  [(ctx.tenant.pk, kind, r[0], r[1], r[2],
                    _data_json(r[3] if len(r) > 3 else {}) if text
                    else (r[3] if len(r) > 3 else {}))
                   for r in rows])
        return
    if connection.vendor != "postgresql":
        LmsMap.objects.bulk_create(
            [LmsMap(tenant=ctx.tenant, kind=kind, lms_id=r[0], abonent_id=r[1], digest=r[2],
                    data=r[3] if len(r) > 3 else {}) for r in rows],
            update_conflicts=True, unique_fields=["tenant", "kind", "lms_id"],
            update_fields=["abonent_id", "digest", "data"], batch_size=5000)
        return
    # the rows as one JSON parameter: psycopg writes 5,000-element arrays slowly
    values = json.dumps([{"lms_id": r[0], "abonent_id": r[1], "digest": r[2],
                          "data": r[3] if len(r) > 3 else {}} for r in rows],
                        cls=DjangoJSONEncoder)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {LmsMap._meta.db_table} AS m "  # noqa: S608
            "(tenant_id, kind, lms_id, abonent_id, digest, data) "
            "SELECT %s, %s, v.lms_id, v.abonent_id, v.digest, coalesce(v.data, '{}') "
            "FROM jsonb_to_recordset(%s::jsonb) "
            "AS v(lms_id bigint, abonent_id bigint, digest text, data jsonb) "
            "ON CONFLICT (tenant_id, kind, lms_id) DO UPDATE SET "
            "abonent_id = EXCLUDED.abonent_id, digest = EXCLUDED.digest, data = EXCLUDED.data "
            "WHERE (m.abonent_id, m.digest, m.data) IS DISTINCT FROM "
            "(EXCLUDED.abonent_id, EXCLUDED.digest, EXCLUDED.data)",
            [ctx.tenant.pk, kind, values])


_DATA_JSON: dict[tuple, str] = {}


def _data_json(data: dict) -> str:
    """A mapping's data as JSON; the few shapes millions of documents share ({"kind":
    "invoice", "closed": 1}) serialised once."""
    try:
        key = tuple(data.items())
        hash(key)
    except TypeError:  # a list inside (problems): its own
        return json.dumps(data, cls=DjangoJSONEncoder)
    if key not in _DATA_JSON:
        if len(_DATA_JSON) > 1000:
            _DATA_JSON.clear()
        _DATA_JSON[key] = json.dumps(data, cls=DjangoJSONEncoder)
    return _DATA_JSON[key]


def fingerprints_prefetch(ctx: Context, kind: str, lms_query: str, params) -> None:
    """Start reading what ``fingerprints_compare`` will compare for ``kind`` now, at the
    run's beginning: LMS's server computes the fingerprints of millions of rows (a minute
    at 100,000 customers) while the earlier stages work, on a second connection of the
    same snapshot, into a temporary file. Only for a re-run (a kind mapped before) and
    where the run gives a thread (``ctx.prefetch``)."""
    if ctx.prefetch is None or connection.vendor != "postgresql" \
            or not LmsMap.objects.filter(kind=kind).exists():
        return
    if "lms_fork" not in ctx.cache:
        ctx.cache["lms_fork"] = ctx.lms.fork()
    ctx.cache.setdefault("fingerprints", {})[kind] = ctx.prefetch.submit(
        _fingerprints_fetch, ctx.cache["lms_fork"], lms_query, params)


def _fingerprints_fetch(lms: LmsReader, lms_query: str, params):
    rows = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who closes it
    try:
        lms.copy_out(lms_query, params, rows)
    except BaseException:
        rows.close()
        raise
    rows.seek(0)
    return rows


@dataclass
class Comparison:
    """What a re-run has to do for one kind, found by comparing fingerprints in SQL."""

    todo: list[int]  # LMS ids new or changed since the last run (ascending)
    gone: list[int]  # mapped LMS ids LMS no longer has (or no longer imports)
    unchanged: dict[str, int]  # per the mapping's data["kind"]: rows left as they are
    # (lms_id, kind, messages) of unchanged rows whose problems are said on every run
    problems: list[tuple[int, str, list[str]]]
    total: int  # rows LMS has of the kind


FINGERPRINTS = "lmsimport_fingerprints"


def fingerprints_compare(ctx: Context, kind: str, lms_query: str, params, context: str
                         ) -> Comparison | None:
    """A re-run's shortcut for the kinds of millions of rows (documents, cash): LMS's
    ``lms_query`` — ``id, customerid, fp`` of every row of the kind — is streamed by COPY
    from LMS straight into a temporary table here (no row through Python), and compared
    with the mappings by one join: a row whose fingerprint equals its mapping's is not
    read again. The mapping's digest is ``money_rules.fingerprint(fp, Abonent customer id,
    context)`` — what the stage stores — computed here in SQL. None where the comparison
    is not possible (not PostgreSQL): the stage reads everything."""
    if connection.vendor != "postgresql":
        return None
    table, maps = FINGERPRINTS, LmsMap._meta.db_table
    fetched = ctx.cache.get("fingerprints", {}).pop(kind, None)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} (lms_id bigint, "  # noqa: S608
                    f"customer bigint, fp text) ON COMMIT DROP; TRUNCATE {table}")
        with raw.copy(f"COPY {table} (lms_id, customer, fp) FROM STDIN") as target:
            if fetched is None:
                ctx.lms.copy_out(lms_query, params, target)
            else:  # read while the earlier stages ran
                with fetched.result() as rows:
                    while chunk := rows.read(1 << 20):
                        target.write(chunk)
        raw.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS {table}_id ON {table} (lms_id); "
                    f"ANALYZE {table}")
        tenant = current_tenant().pk
        # fingerprint(fp, customer, context) = md5(repr((fp, customer, context))): hex
        # strings repr as quoted, a missing customer as None.
        same = ("m.digest = md5(format('(%%L, %%s, %%L)', t.fp, coalesce(c.abonent_id::text,"
                " 'None'), %s::text)) AND m.data ? 'kind'")
        joined = (f"FROM {table} t LEFT JOIN {maps} c ON c.tenant_id = %s AND c.kind ="
                  f" 'customer' AND c.lms_id = t.customer LEFT JOIN {maps} m ON m.tenant_id"
                  " = %s AND m.kind = %s AND m.lms_id = t.lms_id")
        cursor.execute(
            f"SELECT t.lms_id, ({same}) AS same, m.data->>'kind', m.data->'problems' "  # noqa: S608
            f"{joined} WHERE m.id IS NULL OR NOT ({same}) OR m.data ? 'problems' "
            "ORDER BY t.lms_id", [context, tenant, tenant, kind, context])
        todo, problems = [], []
        for lms_id, unchanged, data_kind, messages in cursor.fetchall():
            if not unchanged:
                todo.append(lms_id)
            else:
                messages = messages if isinstance(messages, list) else json.loads(messages)
                problems.append((lms_id, data_kind, messages))
        cursor.execute(
            f"SELECT m.data->>'kind', count(*) {joined} WHERE {same} GROUP BY 1",  # noqa: S608
            [tenant, tenant, kind, context])
        unchanged = dict(cursor.fetchall())
        cursor.execute(
            f"SELECT m.lms_id FROM {maps} m WHERE m.tenant_id = %s AND m.kind = %s "  # noqa: S608
            f"AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.lms_id = m.lms_id) "
            "ORDER BY m.lms_id", [tenant, kind])
        gone = [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        total = cursor.fetchone()[0]
    return Comparison(todo=todo, gone=gone, unchanged=unchanged, problems=problems,
                      total=total)


def comparison_report(ctx: Context, comparison: Comparison, counted_as: str) -> int:
    """The report's lines of the rows a re-run leaves as they are (``counted_as``: the
    stage's kind of LMS row, "document", "cash"): counted, and their problems said again
    as on every run. Returns how many."""
    report = ctx.report
    count = sum(comparison.unchanged.values())
    report.add(counted_as, "read", count)
    for kind, n in comparison.unchanged.items():
        report.add(kind, "read", n)
        report.add(kind, "unchanged", n)
    for lms_id, kind, messages in comparison.problems:
        for message in messages:
            report.problem(lms_id=lms_id, kind=kind, action="flagged", message=message)
    return count


def map_forget(kind: str, lms_ids) -> None:
    lms_ids = list(lms_ids)
    if lms_ids:
        LmsMap.objects.filter(kind=kind).filter(
            column_any(LmsMap, "lms_id", lms_ids, "bigint")).delete()


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
    with LmsReader(dsn) as lms, transaction.atomic(), \
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="lms-prefetch") as prefetch:
        _lock(tenant)
        ctx = Context(tenant=tenant, lms=lms, since=since, progress=progress,
                      prefetch=prefetch)
        try:
            _stages_run(ctx, run, report, stages)
        finally:
            for pending in ctx.cache.get("fingerprints", {}).values():
                pending.cancel()
            prefetch.shutdown(wait=True)
            for pending in ctx.cache.get("fingerprints", {}).values():
                if pending.done() and not pending.cancelled() and not pending.exception():
                    pending.result().close()
            if "lms_fork" in ctx.cache:
                ctx.cache["lms_fork"].close()
        if dry_run:
            transaction.set_rollback(True)


def _stages_run(ctx, run, report, stages) -> None:
    # What a stage can start at once for later (``prepare(ctx)``: re-runs' fingerprints).
    for name, _stage in stages:
        try:
            module = importlib.import_module(f"lmsimport.stages.{name}")
        except ModuleNotFoundError as exc:  # a stage of a test's own
            if exc.name != f"lmsimport.stages.{name}":
                raise
            continue
        if hasattr(module, "prepare"):
            module.prepare(ctx)
    for name, stage in stages:
        ctx.report = report.stage(name)
        ctx.advance(0)
        stage(ctx)
        ctx.statistics()
        run.progress[name] = "done"
    reconcile = _reconciler()
    if reconcile is not None:  # the proof: LMS and Abonent compared, same snapshot
        report.reconciliation = reconcile(ctx)


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
