"""Large ``IN`` lists as one array parameter (set-based paths: bank import, billing run,
party snapshots of a batch).

Building and parsing 100,000 placeholders costs more than the query itself; one array
parameter does not. 100,000 values go as one comma-joined string split by PostgreSQL
(``string_to_array``) where none holds a comma: psycopg takes ten times longer to write
them as an array. Elsewhere (the SQLite default of ``make run``) a plain ``IN`` list.
"""

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

_CASTS = {"text": "text", "bigint": "bigint", "numeric": "numeric"}


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
