"""Writing many rows in one statement, from plain values.

Django's `bulk_create` and `bulk_update` cost far more Python than PostgreSQL's work: a model
instance per row, and every value prepared field by field (`bulk_update` builds a CASE
expression per row and field). That was most of the renewal and dunning sweeps' batch time in
their profiles (issue 13). On PostgreSQL these send one statement over the values passed as
one array per column (`unnest`), whatever the batch's size, and take the values as the database
stores them: a Money field is its amount and its `_currency` column, a foreign key its id.

SQLite (the demo) has no arrays: the same rows go through a multi-row VALUES (insert) or
Django's `bulk_update`, with every value prepared by its field."""

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection, models

Columns = dict[str, Sequence[Any] | Any]


def insert_rows(model: type[models.Model], columns: Columns) -> list[int]:
    """Insert one row per position of the `columns` given as sequences (field name -> values);
    a column given as any other value has it on every row, and fields not named take their
    default. Returns the new rows' primary keys in the rows' order (as Django's own
    `bulk_create` does, from the order RETURNING gives them in)."""
    meta = model._meta
    given = {meta.get_field(name): values for name, values in columns.items()}
    for field in meta.concrete_fields:
        if field not in given and not field.primary_key:
            given[field] = field.get_default()
    per_row = {f: v for f, v in given.items() if isinstance(v, list | tuple)}
    count = len(next(iter(per_row.values())))
    if not count:
        return []
    fields = list(given)
    quote = connection.ops.quote_name
    into = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
    returning = f" RETURNING {quote(meta.pk.column)}"
    if connection.vendor != "postgresql":
        # SQLite (the demo): one multi-row VALUES, each value prepared by its field.
        row = f"({', '.join(['%s'] * len(fields))})"
        params = [
            f.get_db_prep_save(given[f][i] if f in per_row else given[f], connection)
            for i in range(count)
            for f in fields
        ]
        sql = into + "VALUES " + ", ".join([row] * count) + returning
    else:
        arrays, picks, params = [], [], []
        for field in fields:
            values, db_type = given[field], field.db_type(connection)
            json_column = field.get_internal_type() == "JSONField"
            if json_column:
                dumps = lambda value, f=field: json.dumps(value, cls=f.encoder)  # noqa: E731
                values = [dumps(v) for v in values] if field in per_row else dumps(values)
            cast = "::jsonb" if json_column else ""
            if field in per_row:
                arrays.append(f"%s::{'text' if json_column else db_type}[]")
                picks.append(f"v.c{len(arrays)}{cast}")
                params.append(list(values))
            else:
                picks.append(f"%s::{'text' if json_column else db_type}{cast}")
                params.append(values)
        # The constants' parameters come first in the statement: SELECT before FROM.
        constants = [p for f, p in zip(fields, params, strict=True) if f not in per_row]
        params = constants + [p for f, p in zip(fields, params, strict=True) if f in per_row]
        names = ", ".join(f"c{i + 1}" for i in range(len(arrays)))
        sql = (
            f"{into}SELECT {', '.join(picks)} FROM unnest({', '.join(arrays)}) AS v({names})"
            + returning
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [pk for (pk,) in cursor.fetchall()]


def update_rows(objs: list[models.Model], fields: list[str]) -> None:
    """Write `fields` of every object in `objs` (one model) to its row."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objs, fields)  # SQLite (the demo): no arrays to join
        return
    meta = model._meta
    update_columns(
        model,
        [obj.pk for obj in objs],
        {
            name: [
                meta.get_field(name).get_db_prep_save(
                    getattr(obj, meta.get_field(name).attname), connection
                )
                for obj in objs
            ]
            for name in fields
        },
    )


def update_columns(model: type[models.Model], pks: list[int], columns: Columns) -> None:
    """Set, on each row of `pks`, the columns given (field name -> one value per row, as the
    database stores it, or one value for every row)."""
    if not pks:
        return
    if connection.vendor != "postgresql":
        for i, pk in enumerate(pks):  # SQLite (the demo): a statement a row
            row = {k: v[i] if isinstance(v, list | tuple) else v for k, v in columns.items()}
            model.objects.filter(pk=pk).update(**row)
        return
    meta = model._meta
    quote = connection.ops.quote_name
    pk = meta.pk
    arrays, sets, constants, params = [f"%s::{pk.db_type(connection)}[]"], [], [], [list(pks)]
    for name, values in columns.items():
        field = meta.get_field(name)
        if isinstance(values, list | tuple):
            arrays.append(f"%s::{field.db_type(connection)}[]")
            sets.append(f"{quote(field.column)} = v.c{len(arrays) - 1}")
            params.append(list(values))
        else:
            sets.append(f"{quote(field.column)} = %s::{field.db_type(connection)}")
            constants.append(values)
    names = ", ".join(["pk"] + [f"c{i}" for i in range(1, len(arrays))])
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {', '.join(sets)} "
        f"FROM unnest({', '.join(arrays)}) AS v({names}) "
        f"WHERE t.{quote(pk.column)} = v.pk"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, constants + params)
