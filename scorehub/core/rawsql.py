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


def grouped_rows(
    *,
    tables: str,
    enterprise_column: str,
    enterprises: QuerySet[Any],
    select: tuple[str, tuple[Any, ...]],
    where: tuple[str, tuple[Any, ...]],
    grouping: Any = None,
    day: str = "",
    by: str = "",
) -> list[tuple[Any, ...]]:
    """``SELECT <group key>, <by>, <select> FROM tables WHERE <enterprise in scope> AND <where>``, grouped
    by the key of ``grouping`` (see :func:`group_key`) and by the column ``by``.  Each row starts with
    the key (``''`` without a grouping) and the value of ``by`` (NULL without one).  With neither, the
    query is a plain aggregate: one row over the whole scope, even when it has no records."""
    key_sql, key_params, join = group_key(grouping, enterprise_column, day)
    scope_sql, scope_params = subquery(enterprises)
    group_by = [position for position, used in (("1", grouping is not None), ("2", bool(by))) if used]
    sql = (
        f"SELECT {key_sql}, {by or 'NULL'}, {select[0]} FROM {tables}{join} "  # noqa: S608 - our own SQL
        f"WHERE {enterprise_column} IN ({scope_sql}) AND {where[0]}"
        + (f" GROUP BY {', '.join(group_by)}" if group_by else "")
    )
    return fetch(sql, (*key_params, *select[1], *scope_params, *where[1]))


def fetch(sql: str, params: tuple[Any, ...] | list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def as_date(value: Any) -> dt.date:
    """A date column as read by a raw query: a ``date`` from PostgreSQL, ISO text from SQLite."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
