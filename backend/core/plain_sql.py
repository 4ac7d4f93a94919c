"""Rows read and written on the send's hot path without the ORM's query compiler.

Building a statement through a queryset cost a send 0.2-0.4 ms of Python per statement, several
times what the database took to run it (docs/performance.md). Here a model's statement parts are
made once per process; each value written goes through its field's own `get_db_prep_save`, each
value read through the converters the ORM would apply (JSON, decimals, datetimes: the same
conversions as the ORM's, on SQLite and PostgreSQL alike), and the instances handed back are built
as the ORM builds them (`Model.from_db`, or a saved instance), so serializers and callers cannot
tell the difference. Model validation and signals are not run (nor does `bulk_create` run them): a
model that needs either is not written here.
"""

from __future__ import annotations

import functools

from django.db import connection
from django.db.models import Model


@functools.cache
def _insert_plan(model: type[Model]) -> tuple[str, tuple]:
    """The INSERT of every concrete column but the primary key (given back by RETURNING), made once."""
    quote = connection.ops.quote_name
    fields = tuple(field for field in model._meta.concrete_fields if not field.primary_key)
    names = ", ".join(quote(field.column) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    return f"INSERT INTO {table} ({names}) VALUES ({marks}) RETURNING {pk}", fields  # noqa: S608


def insert(model: type[Model], /, **values) -> Model:
    """INSERT one row of `model` with `values` (as `Model(...)` takes them, `_id` for a foreign key)
    and return the saved instance. Fields left out take their defaults, as in `Model(...)`."""
    statement, fields = _insert_plan(model)
    instance = model(**values)
    # pre_save: auto_now_add and auto_now set the time, as save() does
    params = [field.get_db_prep_save(field.pre_save(instance, add=True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        instance.pk = cursor.fetchone()[0]
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance


@functools.cache
def _read_plan(model: type[Model]) -> tuple[str, tuple[str, ...], tuple]:
    """The model's columns (qualified by its table), their attribute names and each one's converters."""
    quote = connection.ops.quote_name
    table = model._meta.db_table
    fields = model._meta.concrete_fields
    names = ", ".join(f"{quote(table)}.{quote(field.column)}" for field in fields)
    converters = []
    for field in fields:
        column = field.get_col(table)
        converters.append((column, connection.ops.get_db_converters(column) + column.get_db_converters(connection)))
    return names, tuple(field.attname for field in fields), tuple(converters)


def columns(model: type[Model]) -> str:
    """Every concrete column of `model`, in order, for a SELECT whose rows `instance()` reads."""
    return _read_plan(model)[0]


def width(model: type[Model]) -> int:
    """How many values of a row `columns(model)` selects."""
    return len(_read_plan(model)[1])


def instance(model: type[Model], row) -> Model:
    """The instance of `model` a row of `columns(model)` holds, as a queryset would have built it."""
    _, names, converters = _read_plan(model)
    values = []
    for value, (column, functions) in zip(row, converters, strict=True):
        for function in functions:
            value = function(value, column, connection)
        values.append(value)
    return model.from_db(connection.alias, names, values)
