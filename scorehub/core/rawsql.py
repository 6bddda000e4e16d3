"""Small helpers for the hand-written aggregate queries of the indicator sources.

The numbers of a single enterprise are read in a handful of aggregate queries; through the ORM, building
and compiling each of them costs about three times what the database takes to answer it.  The sources
whose numbers every dashboard shows therefore write their aggregates as SQL, with these helpers to keep
the scope and the parameters exactly those of the ORM.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet


def subquery(queryset: QuerySet[Any], field: str = "pk") -> tuple[str, tuple[Any, ...]]:
    """``queryset`` as SQL selecting ``field`` (for ``column IN (...)``), with its parameters: the scope
    of a query stays the ORM's own (the user's visibility rules included)."""
    try:
        sql, params = queryset.order_by().values(field).query.sql_with_params()
    except EmptyResultSet:  # ``none()``: a set that cannot hold anything
        return "SELECT CAST(NULL AS INTEGER) WHERE 1 = 0", ()
    return sql, tuple(params)


def group_key(grouping: Any, enterprise_column: str, day: str = "") -> tuple[str, tuple[Any, ...], str]:
    """The SQL group key of a record under ``grouping`` (a ``scorehub.indicators.base.Grouping``; None:
    ``''`` for the whole scope), its parameters, and the join to the enterprise table (aliased ``e``)
    that a key by region needs.  ``enterprise_column`` is the record's enterprise id, ``day`` its date
    (for months and the halves of a period pair)."""
    if grouping is None:
        return "''", (), ""
    key_sql, key_params = grouping.key_sql(enterprise=enterprise_column, day=day)
    join = f" JOIN enterprises_enterprise e ON e.id = {enterprise_column}" if grouping.kind == "region" else ""
    return key_sql, key_params, join


def fetch(sql: str, params: tuple[Any, ...] | list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def as_date(value: Any) -> dt.date:
    """A date column as read by a raw query: a ``date`` from PostgreSQL, ISO text from SQLite."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
