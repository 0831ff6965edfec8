"""A read-only view of an LMS database: one snapshot for every stage, rows in batches.

The import never writes to LMS. The transaction is READ ONLY (PostgreSQL refuses a write
even if a query tried one) and REPEATABLE READ, so all stages read the same snapshot: an
LMS still in use during the import cannot give the customers stage one state and a later
stage another. Large tables are read through server-side (named) cursors in batches, so
100,000 customers never sit in memory at once.
"""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import count
from typing import BinaryIO

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

BATCH_SIZE = 5000


class LmsReader:
    """``with LmsReader(dsn) as lms: for rows in lms.batches(sql): ...``"""

    def __init__(self, dsn: str, *, batch_size: int = BATCH_SIZE):
        self.dsn = dsn
        self.batch_size = batch_size
        self.conn: psycopg.Connection | None = None
        self._cursor_names = count(1)

    def __enter__(self) -> "LmsReader":
        self.conn = psycopg.connect(self.dsn, row_factory=dict_row)
        self.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return self

    def __exit__(self, *exc) -> None:
        if self.conn is not None:
            self.conn.rollback()
            self.conn.close()
            self.conn = None

    def fork(self) -> "LmsReader":
        """A second connection reading this one's snapshot (``pg_export_snapshot``): for
        work in another thread while this connection reads on. Close it (``close``)
        before this one ends its transaction."""
        snapshot = self.conn.execute("SELECT pg_export_snapshot() AS id").fetchone()["id"]
        other = LmsReader(self.dsn, batch_size=self.batch_size)
        other.conn = psycopg.connect(self.dsn, row_factory=dict_row)
        other.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        other.conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
        return other

    def close(self) -> None:
        self.__exit__()

    def copy_out(self, query: str, params, target: BinaryIO) -> None:
        """The rows of ``query`` in COPY's text format, written to ``target`` as they come
        (no row through Python)."""
        with self.conn.cursor().copy(f"COPY ({query}) TO STDOUT", params) as copy:
            for data in copy:
                target.write(data)

    def batches(self, query: str, params=None) -> Iterator[list[dict]]:
        """The rows of ``query`` in lists of at most ``batch_size`` (a server-side cursor).

        The next batch is fetched while the caller works on this one (a thread waiting for
        LMS's server, which computes it meanwhile — the documents' fingerprints take it a
        minute at 100,000 customers): the import's time is then the longer of the two, not
        their sum. psycopg's connection serialises the caller's own queries with it."""
        with self.conn.cursor(name=f"lms_{next(self._cursor_names)}") as cursor, \
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="lms-read") as reader:
            cursor.itersize = self.batch_size
            cursor.execute(query, params)
            pending = reader.submit(cursor.fetchmany, self.batch_size)
            while rows := pending.result():
                pending = reader.submit(cursor.fetchmany, self.batch_size)
                yield rows

    def by_ids(self, query: str, ids: list, params=()) -> Iterator[list[dict]]:
        """The rows of ``query`` for ``ids`` (its first parameter, ``= ANY(%s)``), a batch
        of ids at a time: what a re-run reads again."""
        for start in range(0, len(ids), self.batch_size):
            yield self.all(query, [ids[start:start + self.batch_size], *params])

    def all(self, query: str, params=None) -> list[dict]:
        """Every row of a small query (groups, divisions): no server-side cursor needed."""
        with self.conn.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()
