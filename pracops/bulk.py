"""Inserting thousands of rows at once: ``COPY`` on PostgreSQL, ``bulk_create`` elsewhere; and
updating them: ``UPDATE ... FROM (VALUES ...)`` on PostgreSQL, ``bulk_update`` elsewhere.

An EHR import writes thousands of records, identifiers and audit events per bundle. Through
``bulk_create`` most of that time goes to building model instances and quoting parameters;
``COPY`` sends the values as they are. Rows are dicts of field values, as for ``Model(**row)``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

from django.db import connection, models

from pracops.fhir import jsontext

# Field types whose Python values psycopg sends to COPY as they are.
_SENT_AS_IS = {
    "AutoField", "BigAutoField", "BigIntegerField", "BooleanField", "CharField", "DateField",
    "DateTimeField", "DecimalField", "IntegerField", "PositiveIntegerField",
    "PositiveSmallIntegerField", "SmallIntegerField", "TextField",
}


def reserve_pks(counts: dict[type[models.Model], int]) -> dict[type[models.Model], list[int]] | None:
    """New primary keys for several tables, drawn from their sequences in one query.

    None where the database has no sequences (SQLite): ``insert_rows`` then reports the keys.
    """
    if connection.vendor != "postgresql":
        return None
    counts = {model: n for model, n in counts.items() if n > 0}
    if not counts:
        return {}
    selects = " UNION ALL ".join(
        "SELECT %s, nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)"
        for _ in counts
    )
    params: list[Any] = []
    tables = {}
    for model, n in counts.items():
        tables[model._meta.db_table] = model
        params += [model._meta.db_table, connection.ops.quote_name(model._meta.db_table), model._meta.pk.column, n]
    reserved: dict[type[models.Model], list[int]] = {model: [] for model in counts}
    with connection.cursor() as cursor:
        cursor.execute(selects, params)
        for table, pk in cursor.fetchall():
            reserved[tables[table]].append(pk)
    return reserved


def insert_rows(model: type[models.Model], rows: list[dict[str, Any]], *, pks: list[int] | None = None) -> list[int]:
    """Insert rows (field name -> value; defaults for the fields left out) in one statement.

    ``pks`` (from ``reserve_pks``) are the rows' primary keys; without them the database
    assigns keys. Returns the keys: ``pks``, or those the database reports, which ``COPY``
    does not ([] on PostgreSQL). Errors are Django's (``IntegrityError``, ...), as from the ORM.
    """
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objs = [model(**row) for row in rows]
        if pks is not None:
            for obj, pk in zip(objs, pks, strict=True):
                obj.pk = pk
        return [obj.pk for obj in model.objects.bulk_create(objs, batch_size=1000)]
    if pks is not None and len(pks) != len(rows):
        raise ValueError(f"{len(rows)} rows but {len(pks)} primary keys")
    layout, statement = _copy_layout(model, pks is not None)
    known = _field_names(model)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        with cursor.copy(statement) as copy:
            for index, row in enumerate(rows):
                if not row.keys() <= known:  # as Model(**row) would
                    raise TypeError(f"{model.__name__} has no field {sorted(row.keys() - known)[0]!r}")
                values = [pks[index]] if pks is not None else []
                for field, to_db in layout:
                    if field.attname in row:
                        value = row[field.attname]
                    elif field.name in row:
                        value = row[field.name]
                        if field.is_relation and value is not None:
                            value = value.pk
                    else:
                        value = field.get_default()
                    values.append(value if to_db is None or value is None else to_db(value))
                copy.write_row(values)
    return list(pks or [])


# PostgreSQL takes at most 65,535 parameters per statement.
_MAX_PARAMS = 65_535


def update_rows(objs: list[models.Model], fields: list[str]) -> None:
    """Write ``fields`` of model instances (one model) to their rows, as ``bulk_update`` does,
    in one statement per 65,535 values on PostgreSQL. ``bulk_update`` builds a ``CASE WHEN``
    expression per row and field, which costs about 5 ms per row in Python for a handful of
    fields; here each value is sent once. Like ``bulk_update``, no ``auto_now`` and no signals.
    """
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objs, fields)
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    sent = [_json_text if isinstance(f, models.JSONField)
            else (lambda value, f=f: f.get_db_prep_save(value, connection)) for f in columns]
    row_sql = "(" + ", ".join(f"%s::{f.db_type(connection)}" for f in [meta.pk, *columns]) + ")"
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in columns)
    names = ", ".join(quote(f.column) for f in [meta.pk, *columns])
    per_statement = _MAX_PARAMS // (len(columns) + 1)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        for start in range(0, len(objs), per_statement):
            chunk = objs[start:start + per_statement]
            params: list[Any] = []
            for obj in chunk:
                params.append(obj.pk)
                for f, to_db in zip(columns, sent):
                    value = getattr(obj, f.attname)
                    params.append(None if value is None else to_db(value))
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "
                f"FROM (VALUES {', '.join([row_sql] * len(chunk))}) AS v({names}) "
                f"WHERE t.{quote(meta.pk.column)} = v.{quote(meta.pk.column)}", params)


@lru_cache(maxsize=None)
def _copy_layout(model: type[models.Model], with_pk: bool) -> tuple[list[tuple[models.Field, Callable | None]], str]:
    """The fields COPY writes after the primary key, each with how its value is sent; the statement."""
    quote = connection.ops.quote_name
    layout: list[tuple[models.Field, Callable | None]] = []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        if isinstance(f, models.JSONField):
            to_db = _json_text
        elif f.is_relation or f.get_internal_type() in _SENT_AS_IS:
            to_db = None
        else:
            to_db = lambda value, f=f: f.get_db_prep_save(value, connection)  # noqa: E731
        layout.append((f, to_db))
    columns = [model._meta.pk.column] if with_pk else []
    columns += [f.column for f, _ in layout]
    return layout, f"COPY {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) FROM STDIN"


@lru_cache(maxsize=None)
def _field_names(model: type[models.Model]) -> frozenset[str]:
    return frozenset(name for f in model._meta.concrete_fields for name in (f.name, f.attname))


def _json_text(value: Any) -> str:
    return jsontext.dumps(value).decode()
