"""Dashboard roll-ups: the counters the platform and company dashboards read instead of
scanning listings, leads, deals, commissions and payments.

One ``Rollup`` row is one counter of one company (``company_id`` null for rows that
belong to no company): ``source`` names the table it counts, ``day`` is the UTC day of
the flow it counts (created, closed, paid) or null for a count of the current state,
``key`` the grouping values joined by ``|`` (status, source, type...), with a currency
where money is counted. A company's rows are recomputed as a whole partition
(``domus.analytics.rollups``), so a partition always equals a recount of its rows."""

import uuid

from django.db import models


class Rollup(models.Model):
    id = models.BigAutoField(primary_key=True)
    company_id = models.UUIDField(null=True, blank=True)
    source = models.CharField(max_length=20)
    measure = models.CharField(max_length=10, help_text="state, created, closed or paid")
    day = models.DateField(null=True, blank=True)
    key = models.CharField(max_length=200, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    count = models.BigIntegerField(default=0)
    amount = models.DecimalField(max_digits=20, decimal_places=2, default=0)

    class Meta:
        indexes = [
            models.Index(fields=["source", "measure", "day"], name="analytics_rollup_day"),
            models.Index(fields=["company_id", "source", "measure", "day"], name="analytics_rollup_company"),
        ]

    def __str__(self) -> str:
        return f"{self.source}.{self.measure} {self.company_id} {self.day} {self.key} {self.currency}: {self.count}"


class RollupPartition(models.Model):
    """When a company's roll-ups were last recomputed (``company_id`` null: the rows of no
    company). A partition with no row here has never been built."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    company_id = models.UUIDField(null=True, blank=True, unique=True)
    built_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company_id"], name="analytics_partition_one_null", condition=models.Q(company_id__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.company_id or 'no company'} built {self.built_at:%Y-%m-%d %H:%M:%S}"
