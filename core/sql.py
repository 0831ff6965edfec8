"""Large ``IN`` lists as one array parameter (set-based paths: bank import, billing run,
party snapshots of a batch).

Building and parsing 100,000 placeholders costs more than the query itself; one array
parameter does not. 100,000 values go as one comma-joined string split by PostgreSQL
(``string_to_array``) where none holds a comma: psycopg takes ten times longer to write
them as an array. Elsewhere (the SQLite default of ``make run``) a plain ``IN`` list.
"""

from django.db import connection
from django.db.models import BooleanField, Field, JSONField, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from .rls import copy_rows

_CASTS = {"text": "text", "bigint": "bigint", "numeric": "numeric"}


def analyze(*models) -> None:
    """Fresh planner statistics of these models' tables, also of rows this transaction has
    just written (ANALYZE counts them; autovacuum sees them only after the commit). For a
    bulk writer between its phases: planned as if nearly empty, a lookup by an index's
    prefix or a grouped query turns into a nested loop over millions of rows.

    Through ``abonent_analyze`` (core migration 0007): the application's role does not own
    the tables, and its own ANALYZE would be skipped with only a warning."""
    tables_analyze([m._meta.db_table for m in models])


def tables_analyze(tables) -> None:
    """``analyze`` by table names."""
    tables = sorted(set(tables))
    if connection.vendor != "postgresql" or not tables:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT abonent_analyze(%s::text[])", [tables])


def tables_written() -> dict[str, int]:
    """Rows inserted, updated or deleted in this transaction so far, per table of the
    schema (PostgreSQL's own counters; empty elsewhere): what ``analyze`` is worth
    running on."""
    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, n_tup_ins + n_tup_upd + n_tup_del "
                       "FROM pg_stat_xact_user_tables WHERE schemaname = current_schema()")
        return dict(cursor.fetchall())


def array_param(values: list, cast: str) -> tuple[str, list]:
    """An array parameter for hand-written SQL: its SQL and its parameter."""
    if cast == "bigint" or not any("," in value or not value for value in values):
        return (f"string_to_array(%s, ',')::{_CASTS[cast]}[]",
                [",".join(map(str, values)) if cast == "bigint" else ",".join(values)])
    return f"%s::{_CASTS[cast]}[]", [values]


def values_in(values, cast: str = "text") -> RawSQL | list:
    """``field__in=values_in(values)``: for the small lookups of expressions (``Right``,
    ``Upper``), through the tenant-scoped manager of the queried model."""
    values = list(values)
    if connection.vendor != "postgresql":
        return values
    array, params = array_param(values, cast)
    return RawSQL(f"SELECT unnest({array})", params)  # noqa: S611 - values as a parameter


def column_any(model, field: str, values, cast: str = "text") -> RawSQL | Q:
    """``.filter(column_any(Model, "field", values))``: ``field = ANY(array)``, for the
    big lookups (100,000 values). PostgreSQL probes the index once per value, or hashes
    the array for a scan; a semi-join with ``unnest`` can get a nested loop instead when
    the statistics still describe the table before the last big import."""
    values = list(values)
    if connection.vendor != "postgresql":
        return Q(**{f"{field}__in": values})
    quote = connection.ops.quote_name
    column = f"{quote(model._meta.db_table)}.{quote(model._meta.get_field(field).column)}"
    array, params = array_param(values, cast)
    return RawSQL(f"{column} = ANY({array})", params,  # noqa: S611 - values as a parameter
                  output_field=BooleanField())


def ids_reserve(model, count: int) -> list[int]:
    """``count`` primary keys of ``model`` taken from its sequence, so rows can be written
    by COPY (which returns nothing) and still be referred to."""
    if not count:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                           "FROM generate_series(1, %s)", [table, count])
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608
        last = cursor.fetchone()[0]
        return list(range(last + 1, last + count + 1))


def rows_copy(model, columns: list[str], rows: list[tuple]) -> None:
    """Rows of ``model`` by COPY on PostgreSQL — the bulk of a set-based path's writes
    (billing run, LMS import) —, by ``bulk_create`` elsewhere. ``columns`` are field names
    (foreign keys as ids)."""
    if not rows:
        return
    # Fields the run does not name get their defaults, as the ORM would give them (a field
    # added later to an invoice or a line must not break the run).
    extra = [f for f in model._meta.concrete_fields if f.name not in columns
             and not f.primary_key and f.has_default()]
    if extra:
        defaults = tuple(f.get_default() for f in extra)
        columns = [*columns, *(f.name for f in extra)]
        rows = [(*row, *defaults) for row in rows]
    if connection.vendor != "postgresql":
        names = [model._meta.get_field(c).attname for c in columns]
        model.all_tenants.bulk_create([model(**dict(zip(names, row, strict=True)))
                                       for row in rows])
        return
    names = ", ".join(connection.ops.quote_name(model._meta.get_field(c).column)
                      for c in columns)
    with connection.cursor() as cursor, copy_rows(
            cursor, f"COPY {model._meta.db_table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def objects_rows(objs: list) -> tuple:
    """Unsaved objects of one model as ``(model, columns, rows)`` for ``rows_copy`` — what
    ``bulk_create`` writes, without its per-value preparing: primary keys reserved from the
    sequence and set on the objects (as ``bulk_create`` sets them), ``auto_now`` times and
    the ``auto_now_add`` ones not given filled in. Values of Django's own field types go as
    they are; any other field (encrypted, JSON …) is prepared by the field itself."""
    if not objs:
        return None, [], []
    model = type(objs[0])
    now = timezone.now()
    for obj, pk in zip(objs, ids_reserve(model, len(objs)), strict=True):
        obj.pk = pk
    fields = list(model._meta.concrete_fields)
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for obj in objs:  # a time of creation given is kept
                if f.auto_now or getattr(obj, f.attname) is None:
                    setattr(obj, f.attname, now)
        elif getattr(f.pre_save, "__func__", None) is not Field.pre_save:
            for obj in objs:  # a field filling itself on save (a slug, a stamp …) does
                setattr(obj, f.attname, f.pre_save(obj, True))
    plain = [type(f).__module__.startswith("django.db.models.fields")
             and not isinstance(f, JSONField) for f in fields]
    attnames = [f.attname for f in fields]
    if all(plain):
        rows = [tuple(getattr(obj, a) for a in attnames) for obj in objs]
    else:
        rows = [tuple(getattr(obj, a) if p else f.get_db_prep_save(getattr(obj, a), connection)
                      for f, a, p in zip(fields, attnames, plain, strict=True))
                for obj in objs]
    return model, [f.name for f in fields], rows
