"""Prepared statements for the FreeRADIUS paths (authorize, Start, Interim-Update).

Django opens psycopg connections with ``prepare_threshold=None`` — prepared statements off,
so a connection pooler in transaction mode cannot trip over them — and binds parameters on
the client, so PostgreSQL parses and plans every query again. The statements FreeRADIUS
drives run thousands of times a second on the same few connections: for them planning
costs as much as running. ``prepared_cursor`` executes one of them as a named prepared
statement on the connection (planned once per connection); everything else keeps Django's
defaults. Behind a transaction-mode pooler set ``RADIUS_PREPARED_STATEMENTS=False``.
"""

from contextlib import contextmanager

import psycopg
from django.conf import settings
from django.db import connection

# Statements are prepared only when asked (``prepare=True``): no ORM query ever reaches
# this many executions, which is what psycopg would otherwise need to prepare on its own.
_ONLY_WHEN_ASKED = 2**62


@contextmanager
def prepared_cursor(sql: str, params: dict):
    """A cursor over ``sql`` executed with ``params`` (``%(name)s`` placeholders).

    PostgreSQL: psycopg's own cursor on Django's connection, the statement prepared once
    per connection. Elsewhere (SQLite for ``make run``): Django's cursor, as any query.
    """
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            yield cursor
        return
    connection.ensure_connection()
    raw = connection.connection
    prepare = getattr(settings, "RADIUS_PREPARED_STATEMENTS", True)
    if prepare and raw.prepare_threshold is None:
        raw.prepare_threshold = _ONLY_WHEN_ASKED
    # One cursor per connection, kept on it (it goes with the connection): making one is
    # a good part of a short query.
    cursor = getattr(raw, "_abonent_radius_cursor", None)
    if cursor is None or cursor.closed:
        cursor = raw._abonent_radius_cursor = psycopg.Cursor(raw)
    cursor.execute(sql, params, prepare=prepare or None)
    yield cursor
