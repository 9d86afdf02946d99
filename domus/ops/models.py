"""Background jobs: one row per long-running piece of work (an import, a reindex, a
database maintenance run), with its progress, result and errors, and who started it."""

from django.conf import settings
from django.db import models

from domus.core.models import BaseModel


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


class Job(BaseModel):
    """A job of a registered kind (``domus.ops.services.jobs.JOB_KINDS``). ``done`` of
    ``total`` is its progress (``total`` 0 while unknown); ``errors`` holds at most
    ``MAX_ERRORS`` entries (the full list, when there is one, is a file in ``result``)."""

    kind = models.CharField(max_length=50, db_index=True)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    params = models.JSONField(default=dict, blank=True)
    done = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=500, blank=True)
    cancel_requested = models.BooleanField(default=False)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="ops_jobs"
    )
    company = models.ForeignKey(
        "organizations.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="ops_jobs"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta(BaseModel.Meta):
        indexes = [
            models.Index(fields=["started_by", "-created_at"], name="ops_job_starter_created"),
            models.Index(fields=["company", "-created_at"], name="ops_job_company_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=JobStatus.values), name="ops_job_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.status}"
