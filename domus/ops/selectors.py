"""Reads of the ops app: the jobs a user may see (admins: all; company staff: their
companies' jobs; everyone: the jobs they started)."""

from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet

from domus.core.exceptions import NotFound
from domus.core.policies import is_admin
from domus.ops.models import Job
from domus.organizations.selectors import staff_company_ids


def job_visible_to(actor: Any) -> QuerySet[Job]:
    if is_admin(actor):
        return Job.objects.all()
    if not getattr(actor, "is_authenticated", False):
        return Job.objects.none()
    scope = Q(started_by=actor)
    companies = staff_company_ids(actor)
    if companies:
        scope |= Q(company_id__in=companies)
    return Job.objects.filter(scope)


def job_list_for_actor(*, actor: Any, kind: str | None = None, status: str | None = None) -> QuerySet[Job]:
    jobs = job_visible_to(actor).select_related("started_by")
    if kind:
        jobs = jobs.filter(kind=kind)
    if status:
        jobs = jobs.filter(status=status)
    return jobs.order_by("-created_at", "-pk")


def job_get_for_actor(*, actor: Any, job_id: UUID) -> Job:
    """The job if ``actor`` may see it; the same 404 whether it is missing or not theirs."""
    job = job_visible_to(actor).select_related("started_by").filter(pk=job_id).first()
    if job is None:
        raise NotFound("Job not found.")
    return job
