"""Aggregates the ORM lacks."""

from django.db.models import Aggregate, FloatField


class Median(Aggregate):
    """PostgreSQL's continuous median of an expression (NULLs ignored). SQLite has no
    ordered-set aggregates: callers compute the median another way there."""

    function = "percentile_cont"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()
