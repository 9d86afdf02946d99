"""Long reports as jobs of the operations app (``/api/v1/ops/jobs/``): a row per build
with its status, progress (one step per section), result, errors and who started it;
progress frames on the starter's ``ml/stream`` socket; cancel through the jobs API.

``reports.performance`` builds a performance pack as the user who started it, stores its
PDF (``reports/performance/<id>.pdf`` in the default storage), e-mails it to them and
keeps the pack's JSON and the file's name as the job's result."""

from datetime import date
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage

from domus.analytics.reports import performance
from domus.analytics.reports.pdf import tables_pdf
from domus.core.exceptions import ValidationFailed
from domus.core.ids import uuid7
from domus.ops.services.jobs import Progress, job_kind_register, job_start

PERFORMANCE_KIND = "reports.performance"
SCOPE_KEYS = ("kind", "company_id", "branch_id", "agent_id", "owner_id")


def _pack_json(pack: dict[str, Any]) -> dict[str, Any]:
    from domus.analytics.reports.schemas import PerformanceOut

    return PerformanceOut.model_validate(pack).model_dump(mode="json", by_alias=True)


def performance_pack_file(
    *, actor: Any, start: date, end: date, scope: dict[str, Any], progress=None
) -> tuple[str, dict[str, Any]]:
    """Build the pack as ``actor``, store its PDF and e-mail it to them; answers the
    stored file's name and the pack."""
    pack_scope = performance.pack_scope(actor=actor, **scope)
    pack = performance.performance_pack_build(actor=actor, start=start, end=end, scope=pack_scope, progress=progress)
    fields = [("Period", f"{start} to {end}"), ("Scope", scope.get("kind", "company"))]
    document = tables_pdf("Performance pack", fields, performance.performance_tables(pack))
    name = default_storage.save(f"reports/performance/{uuid7()}.pdf", ContentFile(document))
    if actor.email:
        message = EmailMessage(
            subject=f"Performance pack {start} to {end}",
            body="Your performance pack is attached.",
            to=[actor.email],
        )
        message.attach(f"performance-{start}-{end}.pdf", document, "application/pdf")
        message.send(fail_silently=False)
    return name, pack


def performance_pack_start(*, actor: Any, start: date, end: date, scope: dict[str, Any]) -> Any:
    """Check the period and the scope now (the same 400/404 as the direct answer), then
    queue the build as a ``reports.performance`` job of ``actor``."""
    if start > end:
        raise ValidationFailed("The period starts after it ends.", errors={"from": ["Must be on or before 'to'."]})
    if (end - start).days > performance.MAX_PERIOD_DAYS:
        raise ValidationFailed("The period is too long.", errors={"from": ["The period may span 3 years at most."]})
    scope = {key: (None if value is None else str(value)) for key, value in scope.items() if key in SCOPE_KEYS}
    checked = performance.pack_scope(actor=actor, **scope)
    params = {"from": start.isoformat(), "to": end.isoformat(), "scope": scope}
    return job_start(kind=PERFORMANCE_KIND, actor=actor, params=params, company_id=checked.company_id)


def performance_pack_run(job: Any, progress: Progress) -> dict[str, Any]:
    """The ``reports.performance`` job: one progress step per section of the pack."""
    actor = job.started_by
    if actor is None or not actor.is_active:
        raise ValidationFailed("The user who started the job is gone or inactive.")
    params = job.params

    def report(done: int, total: int, step: str) -> None:
        if progress.job.total != total:
            progress.set_total(total)
        progress.advance(done=done)

    name, pack = performance_pack_file(
        actor=actor,
        start=date.fromisoformat(params["from"]),
        end=date.fromisoformat(params["to"]),
        scope=params["scope"],
        progress=report,
    )
    return {"file": name, "pack": _pack_json(pack)}


def performance_pack_pdf(job: Any) -> Any:
    """The stored PDF of a finished ``reports.performance`` job (opened), or ``None``."""
    name = (job.result or {}).get("file") if job.kind == PERFORMANCE_KIND else None
    return default_storage.open(name, "rb") if name and default_storage.exists(name) else None


job_kind_register(PERFORMANCE_KIND, run="domus.analytics.reports.jobs:performance_pack_run")
