"""The import: stages in order over one LMS snapshot, inside the tenant's context.

Each stage is a callable ``run(ctx)`` working set-based (batches of thousands, bulk
inserts and one UPDATE per batch), idempotent through ``LmsMap``. A dry run does
everything in one transaction and rolls it back: the report is the one a real run would
give, and nothing stays written.
"""

import contextvars
import hashlib
import importlib
import json
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from core.sql import array_param, column_any, rows_copy, tables_analyze, tables_written
from core.tenancy import current_tenant, tenant_context

from .models import ImportRun, LmsMap
from .reader import LmsReader
from .report import Problem, Report, StageReport

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
    # The bulk writes of the batch stage under way (``Changed.each``): ``ctx.write``.
    behind: "WriteBehind | None" = None

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

    def write(self, fn: Callable, *args) -> None:
        """Run the bulk write ``fn(*args)`` — COPY only — behind the stage's work
        (``WriteBehind``) where a batch loop gives one, else now."""
        if self.behind is None:
            fn(*args)
        else:
            self.behind.submit(fn, *args)

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


def map_any(ctx: Context, kind: str) -> bool:
    """Whether ``kind`` had mappings when the run began (``kinds_mapped``, read before any
    stage wrote). If not — a first import — a batch's LMS ids can have none: the stage
    skips the lookup, and its work on the batch need not wait for the write of the one
    before (``WriteBehind``). A stage run on its own reads them at its first ask."""
    if "kinds_mapped" not in ctx.cache:
        ctx.cache["kinds_mapped"] = kinds_mapped(ctx.tenant)
    return kind in ctx.cache["kinds_mapped"]


def kinds_mapped(tenant) -> frozenset[str]:
    """The kinds ``tenant`` has mappings of: one index probe per kind (a loose scan of the
    unique index, which leads with tenant and kind) — not a pass over millions of rows."""
    table = connection.ops.quote_name(LmsMap._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE k(kind) AS (SELECT min(kind) FROM {table} WHERE tenant_id = %s "  # noqa: S608
            f"UNION ALL SELECT (SELECT min(m.kind) FROM {table} m WHERE m.tenant_id = %s "
            "AND m.kind > k.kind) FROM k WHERE k.kind IS NOT NULL) "
            "SELECT kind FROM k WHERE kind IS NOT NULL", [tenant.pk, tenant.pk])
        return frozenset(kind for (kind,) in cursor.fetchall())


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
    ctx.cache.setdefault("fingerprints", {})[kind] = ctx.prefetch.submit(
        _fingerprints_fetch, _lms_fork(ctx), lms_query, params)


def _lms_fork(ctx: Context) -> LmsReader:
    """The run's second LMS connection, of the same snapshot (made on first use)."""
    if "lms_fork" not in ctx.cache:
        ctx.cache["lms_fork"] = ctx.lms.fork()
    return ctx.cache["lms_fork"]


def lms_ahead(ctx: Context, name: str, query: str, params) -> None:
    """Ask LMS ``query`` now, at the run's start, on the second connection of the same
    snapshot (``ctx.prefetch``'s thread): its rows — the same the run's own connection
    would read later — wait for ``lms_answer(ctx, name, …)``. Where the run gives no
    thread, nothing is asked ahead."""
    if ctx.prefetch is None or connection.vendor != "postgresql":
        return
    ctx.cache.setdefault("ahead", {})[name] = ctx.prefetch.submit(
        _lms_fork(ctx).all, query, params)


def lms_answer(ctx: Context, name: str, query: str, params) -> list[dict]:
    """The rows of ``query``: asked ahead under ``name`` (``lms_ahead``), or read now."""
    pending = ctx.cache.get("ahead", {}).pop(name, None)
    return pending.result() if pending is not None else ctx.lms.all(query, params)


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
    # What the unchanged rows add to the report, per kind and counter: a mapping's own
    # ``data["counts"]`` where it keeps them (a customer's card: its contacts, addresses
    # …), else one "read" and one "unchanged" of its ``data["kind"]``.
    counts: dict[str, dict[str, int]]
    unchanged: int  # rows left as they are
    # (lms_id, kind, action, message) of unchanged rows' problems, said on every run
    problems: list[tuple[int, str, str, str]]
    total: int  # rows LMS has of the kind


FINGERPRINTS = "lmsimport_fingerprints"


def fingerprints_compare(ctx: Context, kind: str, lms_query: str, params, context: str
                         ) -> Comparison | None:
    """A re-run's shortcut for the kinds of many rows (customers' cards, documents, cash):
    LMS's ``lms_query`` — ``id, customerid, fp`` of every row of the kind — is streamed by
    COPY from LMS straight into a temporary table here (no row through Python), and
    compared with the mappings in one pass: a row whose fingerprint equals its mapping's
    is not read again. The mapping's digest is ``money_rules.fingerprint(fp, Abonent
    customer id, context)`` — what the stage stores — computed here in SQL. None where the
    comparison is not possible (not PostgreSQL): the stage reads everything."""
    if connection.vendor != "postgresql":
        return None
    table, maps = FINGERPRINTS, LmsMap._meta.db_table
    fetched = ctx.cache.get("fingerprints", {}).pop(kind, None)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} (lms_id bigint, "  # noqa: S608
                    f"customer bigint, fp text) ON COMMIT DROP; DROP INDEX IF EXISTS "
                    f"{table}_id; TRUNCATE {table}")
        with raw.copy(f"COPY {table} (lms_id, customer, fp) FROM STDIN") as target:
            if fetched is None:
                ctx.lms.copy_out(lms_query, params, target)
            else:  # read while the earlier stages ran
                with fetched.result() as rows:
                    while chunk := rows.read(1 << 20):
                        target.write(chunk)
        raw.execute(f"CREATE UNIQUE INDEX {table}_id ON {table} (lms_id); ANALYZE {table}")
        tenant = current_tenant().pk
        # One pass: a changed or new row is a group of its own (its id), an unchanged one
        # with problems too; the rest fold into one group per (kind, counts).
        # fingerprint(fp, customer, context) = md5(repr((fp, customer, context))): hex
        # strings repr as quoted, a missing customer as None.
        cursor.execute(
            "SELECT CASE WHEN s.same AND s.problems IS NULL THEN NULL ELSE s.lms_id END, "  # noqa: S608
            "s.same, s.kind, s.problems, s.counts, count(*) FROM (SELECT t.lms_id, "
            "coalesce(m.data ? 'kind' AND m.digest = md5(format('(%%L, %%s, %%L)', t.fp, "
            "coalesce(c.abonent_id::text, 'None'), %s::text)), false) AS same, "
            "m.data->>'kind' AS kind, m.data->'problems' AS problems, "
            f"m.data->'counts' AS counts FROM {table} t LEFT JOIN {maps} c "
            "ON c.tenant_id = %s AND c.kind = 'customer' AND c.lms_id = t.customer "
            f"LEFT JOIN {maps} m ON m.tenant_id = %s AND m.kind = %s AND m.lms_id = t.lms_id"
            ") s GROUP BY 1, 2, 3, 4, 5", [context, tenant, tenant, kind])
        todo, problems, counts, unchanged = [], [], {}, 0
        for lms_id, same, data_kind, messages, kept, n in cursor.fetchall():
            if not same:
                todo.append(lms_id)
                continue
            unchanged += n
            stored = _json(kept)
            for counted, actions in (stored or {data_kind: {"read": 1, "unchanged": 1}}
                                     ).items():
                per_kind = counts.setdefault(counted, {})
                for action, value in actions.items():
                    per_kind[action] = per_kind.get(action, 0) + value * n
            for said in _json(messages) or ():
                # a document's: its messages (flagged); a card's: whole lines, counted in
                # its counts already
                line = tuple(said) if isinstance(said, list) else (lms_id, data_kind,
                                                                    "flagged", said)
                problems.append(line)
                if not stored:
                    per_kind = counts.setdefault(line[1], {})
                    per_kind[line[2]] = per_kind.get(line[2], 0) + 1
        cursor.execute(
            f"SELECT m.lms_id FROM {maps} m WHERE m.tenant_id = %s AND m.kind = %s "  # noqa: S608
            f"AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.lms_id = m.lms_id) "
            "ORDER BY m.lms_id", [tenant, kind])
        gone = [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        total = cursor.fetchone()[0]
    return Comparison(todo=sorted(todo), gone=gone, counts=counts, unchanged=unchanged,
                      problems=problems, total=total)


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def comparison_report(ctx: Context, comparison: Comparison, counted_as: str | None) -> int:
    """The report's lines of the rows a re-run leaves as they are (``counted_as``: the
    stage's kind of LMS row, "document", "cash", also counted as read): counted, and their
    problems said again as on every run. Returns how many."""
    report = ctx.report
    if counted_as:
        report.add(counted_as, "read", comparison.unchanged)
    for kind, actions in comparison.counts.items():
        for action, n in actions.items():
            report.add(kind, action, n)
    for lms_id, kind, action, message in comparison.problems:
        report.problems.append(Problem(lms_id=lms_id, kind=kind, action=action,
                                       message=message))
    return comparison.unchanged


@dataclass
class Changed:
    """The LMS rows of a kind a stage has to work on (``changed_rows``)."""

    batches: Iterator[list[dict]]
    total: int       # rows LMS has of the kind (the progress bar's whole)
    done: int        # of them already accounted for (unchanged, reported)
    before: bool     # the kind was imported before (else nothing can be gone)
    comparison: Comparison | None  # a re-run's comparison, None when all are read

    def each(self, ctx: Context, handle: Callable[[list[dict]], None]) -> None:
        """``handle`` each batch, showing the progress and keeping the planner's
        statistics fresh as the tables grow; the handler's bulk writes (``ctx.write``)
        run behind the next batch's work."""
        done = self.done
        with WriteBehind() as ctx.behind:
            try:
                for number, rows in enumerate(self.batches, start=1):
                    handle(rows)
                    done += len(rows)
                    ctx.advance(done, self.total)
                    if statistics_due(number):
                        ctx.statistics()
            finally:
                ctx.behind = None


def changed_rows(ctx: Context, kind: str, *, fingerprints: str, context: str, params,
                 count_query: str, all_query: str, some_query: str,
                 counted_as: str | None = None) -> Changed:
    """What a stage of many rows reads: on the first run (or not on PostgreSQL) every row
    (``all_query``, ``count_query``'s ``n`` of them); on a re-run only those whose
    fingerprint differs from the mapping's (``fingerprints_compare``), by ``some_query``
    (its first parameter the ids, ``= ANY(%s)``), the unchanged ones reported as such.
    ``params``: the queries' own parameters."""
    before = LmsMap.objects.filter(kind=kind).exists()
    comparison = fingerprints_compare(ctx, kind, fingerprints, params, context) \
        if before else None
    if comparison is None:
        return Changed(batches=ctx.lms.batches(all_query, params),
                       total=ctx.lms.all(count_query, params)[0]["n"], done=0,
                       before=before, comparison=None)
    done = comparison_report(ctx, comparison, counted_as)
    return Changed(batches=ctx.lms.by_ids(some_query, comparison.todo, params),
                   total=comparison.total, done=done, before=before, comparison=comparison)


def statistics_due(batch: int) -> bool:
    """After which batches of a long stage the planner learns of the rows written: the 4th,
    8th, 16th … (a table going from empty to big is when its plans change; an ANALYZE costs
    the same at any size)."""
    return batch >= 4 and batch & (batch - 1) == 0


class WriteBehind:
    """A stage's bulk writes (COPY) run in a second thread on the run's own connection
    while the stage works out its next batch: Python and PostgreSQL then work at once,
    one core each, where one waited for the other. One write at a time, in order; a query
    of the stage's own (any cursor it opens) waits for the write in flight first, so
    it sees what the earlier batches wrote. ``with WriteBehind() as behind:
    behind.submit(fn, *args)``; a write's failure is raised by the next ``submit``, a
    query, or the block's end. Only raw COPY and plain statements in ``fn`` — no ORM
    transaction blocks — and nothing on SQLite (the writes run at once there).

    Inside the block the foreign keys are checked as each statement ends (``SET
    CONSTRAINTS ALL IMMEDIATE``), not all at the commit: the same checks, done in the
    writer's time while Python works — at 100,000 customers tens of millions of them, a
    commit of minutes otherwise. Every deferrable constraint is initially deferred (as
    Django makes them), so ``ALL DEFERRED`` at the end is the state before."""

    def __init__(self):
        self.conn = connections[DEFAULT_DB_ALIAS]
        self.owner = threading.get_ident()
        self.pending: Future | None = None
        self.pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> "WriteBehind":
        if self.conn.vendor == "postgresql":
            self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lms-write")
            self.conn.inc_thread_sharing()
            self.conn.execute_wrappers.insert(0, self._gate)
            # Every cursor the stage opens (a COPY's, a raw one) waits too: a raw statement
            # of its own, not seen by the execute wrapper, must not run between a write's
            # statements, nor before it. The connection's public ``cursor()``, per instance.
            opened = self.conn.cursor

            def cursor(*args, **kwargs):
                if threading.get_ident() == self.owner:
                    self.wait()
                return opened(*args, **kwargs)

            self.conn.cursor = cursor
            self._constraints("IMMEDIATE")
        return self

    def __exit__(self, failed, *exc) -> None:
        if self.pool is None:
            return
        try:
            self.wait()
        finally:
            self.pool.shutdown(wait=True)
            self.conn.execute_wrappers.remove(self._gate)
            del self.conn.cursor  # the class's again
            self.conn.dec_thread_sharing()
        if failed is None:
            self._constraints("DEFERRED")

    def _constraints(self, when: str) -> None:
        with self.conn.cursor() as cursor:
            cursor.execute(f"SET CONSTRAINTS ALL {when}")

    def submit(self, fn: Callable, *args) -> None:
        self.wait()
        if self.pool is None:
            fn(*args)
            return
        self.pending = self.pool.submit(contextvars.copy_context().run, self._run, fn, args)

    def _run(self, fn, args) -> None:
        connections[DEFAULT_DB_ALIAS] = self.conn  # this thread's connection: the run's
        fn(*args)

    def wait(self) -> None:
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.result()

    def _gate(self, execute, sql, params, many, context):
        if threading.get_ident() == self.owner:
            self.wait()
        return execute(sql, params, many, context)


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
    with LmsReader(dsn) as lms, transaction.atomic(), ExitStack() as cleanup:
        # Undone in reverse: the fingerprints' reading stopped and its files closed, then
        # the second LMS connection closed — before the first ends its transaction.
        prefetch = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lms-prefetch")
        ctx = Context(tenant=tenant, lms=lms, since=since, progress=progress,
                      prefetch=prefetch)
        cleanup.callback(_fork_close, ctx)
        cleanup.callback(_prefetch_stop, ctx, prefetch)
        _lock(tenant)
        ctx.cache["kinds_mapped"] = kinds_mapped(tenant)  # before any stage writes one
        _stages_run(ctx, run, report, stages)
        if dry_run:
            transaction.set_rollback(True)


def _prefetch_stop(ctx, prefetch: ThreadPoolExecutor) -> None:
    """What was read ahead and not used (a stage failed, or a test's own stages)."""
    files = ctx.cache.get("fingerprints", {}).values()
    for future in [*files, *ctx.cache.get("ahead", {}).values()]:
        future.cancel()
    prefetch.shutdown(wait=True)
    for future in files:
        if future.done() and not future.cancelled() and future.exception() is None:
            future.result().close()


def _fork_close(ctx) -> None:
    if "lms_fork" in ctx.cache:
        ctx.cache.pop("lms_fork").close()


def _stages_run(ctx, run, report, stages) -> None:
    # What a stage can start at once for later (``prepare(ctx)``: re-runs' fingerprints,
    # then LMS's side of the reconciliation).
    for name, _stage in stages:
        try:
            module = importlib.import_module(f"lmsimport.stages.{name}")
        except ModuleNotFoundError as exc:  # a stage of a test's own
            if exc.name != f"lmsimport.stages.{name}":
                raise
            continue
        if hasattr(module, "prepare"):
            module.prepare(ctx)
    reconciliation = _reconciliation()
    if reconciliation is not None:
        reconciliation.prepare(ctx)
    for name, stage in stages:
        ctx.report = report.stage(name)
        ctx.advance(0)
        stage(ctx)
        ctx.statistics()
        run.progress[name] = "done"
    if reconciliation is not None:  # the proof: LMS and Abonent compared, same snapshot
        report.reconciliation = reconciliation.reconcile(ctx)


def _reconciliation():
    """``lmsimport.reconcile`` (``prepare(ctx)``, ``reconcile(ctx) -> dict``) once that
    module exists."""
    try:
        return importlib.import_module("lmsimport.reconcile")
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
