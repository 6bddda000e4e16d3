"""Aggregates the ORM lacks, for the numbers of every app."""

from __future__ import annotations

from django.db import connection
from django.db.models import Aggregate, DurationField


class MedianDuration(Aggregate):
    """The median of a duration as one aggregate: PostgreSQL's ordered-set ``percentile_cont``, which,
    like ``statistics.median``, takes the mean of the two middle values of an even count."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


def medians_in_database() -> bool:
    """Whether the database computes medians as aggregates (:class:`MedianDuration`), in the same query
    as the counts beside them.  SQLite has no such aggregate: there, the apps rank the durations in a
    query of their own or take the median of the rows they read."""
    return connection.vendor == "postgresql"
