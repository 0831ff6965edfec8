"""Prepared statements for the FreeRADIUS paths (authorize, Start, Interim-Update).

Django opens psycopg connections with ``prepare_threshold=None`` — prepared statements off,
so a connection pooler in transaction mode cannot trip over them — and binds parameters on
the client, so PostgreSQL parses and plans every query again. The statements FreeRADIUS
drives run thousands of times a second on the same few connections: for them planning
costs as much as running. ``prepared_fetchone`` executes one of them as a named prepared
statement on the connection (planned once per connection); everything else keeps Django's
defaults. Behind a transaction-mode pooler set ``RADIUS_PREPARED_STATEMENTS=False``.
"""

import psycopg
from django.conf import settings
from django.db import connection

from core.rls import scope_sync

# Statements are prepared only when asked (``prepare=True``): no ORM query ever reaches
# this many executions, which is what psycopg would otherwise need to prepare on its own.
_ONLY_WHEN_ASKED = 2**62


def prepared_fetchone(sql: str, params: dict) -> tuple | None:
    """Execute ``sql`` with ``params`` (``%(name)s`` placeholders); its first row, if it
    returns rows.

    PostgreSQL: psycopg's own cursor on Django's connection, the statement prepared once
    per connection. Elsewhere (SQLite for ``make run``): Django's cursor, as any query.
    """
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone() if cursor.description else None
    # The statement runs past Django's cursors: set the tenant for row-level security
    # here (core/rls.py; nothing is sent when it is the one set already).
    scope_sync(connection)
    raw = connection.connection
    prepare = settings.RADIUS_PREPARED_STATEMENTS
    if prepare and raw.prepare_threshold is None:
        raw.prepare_threshold = _ONLY_WHEN_ASKED
    # One cursor per connection, kept on it (it goes with the connection): making one is
    # a good part of a short query.
    cursor = getattr(raw, "_abonent_radius_cursor", None)
    if cursor is None or cursor.closed:
        cursor = raw._abonent_radius_cursor = psycopg.Cursor(raw)
    cursor.execute(sql, params, prepare=prepare or None)
    return cursor.fetchone() if cursor.description else None
