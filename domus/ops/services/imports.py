"""Bulk import of listings, clients, leads, units, leases and spare parts from CSV, JSON
or XLSX, as a background job.

The upload is stored (streamed to storage, never read whole) and a ``data.import`` job
reads it back row by row, ``BATCH`` rows at a time. Each row is validated with the very
input schema the API uses for that resource, then written by the very service the API
calls (each service checks its own permissions and references and writes its audit
rows); listings go through ``listing_create_many``, the batch form of
``listing_create`` (set-based: a few statements per batch). Each batch is one
transaction. The other resources are written row by row through their service inside
ONE savepoint per batch: a row the service refuses rolls that block back and the batch
runs again without it (after ``RETRIES`` refusals in one batch, the rest goes row by row,
a savepoint each), so a refused row leaves the others in. A dry run does all of it and rolls every
batch back: its per-row results (``new`` / ``update`` / ``skip`` / ``error`` with the
field and the reason) are what the real run would do, and it writes nothing.

The rows that failed are written, with their row number, field and reason, to a CSV
file stored next to the upload (``result.failed_rows_file``)."""

import csv
import io
import os
import tempfile
import time
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any
from uuid import UUID

from django.core.files import File
from django.core.files.storage import storages
from django.db import DatabaseError, transaction
from pydantic import BaseModel, ValidationError

from domus.core.errors import validation_errors
from domus.core.exceptions import DomusError, PermissionDenied, ValidationFailed
from domus.core.policies import is_admin
from domus.core.schemas import FieldErrors
from domus.ops.models import Job
from domus.ops.services import readers
from domus.ops.services.jobs import Progress, job_kind_register, job_start
from domus.organizations.selectors import is_company_staff

BATCH = 1000
RETRIES = 5  # failed rows per batch before the rest of it goes row by row
SAMPLE_ROWS = 1000  # per-row results kept in the job's result (all failures go to the CSV)
NEW, UPDATE, SKIP, ERROR = "new", "update", "skip", "error"
STORAGE_PREFIX = "ops/imports"


@dataclass
class Row:
    number: int
    raw: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict)
    key: str | None = None
    outcome: str = ""
    id: str | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    def fail(self, errors: dict[str, list[str]]) -> None:
        self.outcome, self.errors = ERROR, errors or {"": ["Refused."]}

    def result(self) -> dict[str, Any]:
        found = {"row": self.number, "outcome": self.outcome, "id": self.id}
        if self.errors:
            name, reasons = next(iter(self.errors.items()))
            found.update(field=name, reason=" ".join(reasons), errors=self.errors)
        return found


# Turning a row into the API's input ---------------------------------------------------------


def _kinds(annotation: Any) -> set[type]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return set().union(*(_kinds(arg) for arg in typing.get_args(annotation)))
    if origin is typing.Annotated:
        return _kinds(typing.get_args(annotation)[0])
    if origin in (list, tuple, set):
        return {list}
    return {annotation} if isinstance(annotation, type) else set()


def _field_kinds(schema: type[BaseModel]) -> dict[str, set[type]]:
    kinds: dict[str, set[type]] = {}
    for name, info in schema.model_fields.items():
        found = _kinds(info.annotation)
        kinds[name] = found
        alias = info.validation_alias
        for choice in getattr(alias, "choices", None) or ([alias] if isinstance(alias, str) else []):
            if isinstance(choice, str):
                kinds[choice] = found
    return kinds


_TRUE, _FALSE = {"true", "yes", "1", "y"}, {"false", "no", "0", "n"}


def _coerce(value: Any, kinds: set[type]) -> Any:
    """A text cell as the JSON value the field takes (numbers, booleans, lists)."""
    if not isinstance(value, str):
        return value
    if list in kinds:
        return [part.strip() for part in value.replace("|", ",").split(",") if part.strip()]
    lowered = value.lower()
    if bool in kinds and (lowered in _TRUE or lowered in _FALSE):
        return lowered in _TRUE
    if int in kinds and value.lstrip("-").isdigit():
        return int(value)
    if float in kinds and str not in kinds:
        try:
            return float(value)
        except ValueError:
            return value
    return value


def validate_row(schema: type[BaseModel], kinds: dict[str, set[type]], raw: dict[str, Any]) -> dict[str, Any]:
    """The row as the API's input schema reads it (empty cells left out); raises
    ``ValidationFailed`` with the API's field errors."""
    data = {key: _coerce(value, kinds.get(key, set())) for key, value in raw.items() if value not in ("", None)}
    try:
        return schema.model_validate(data).model_dump(exclude_unset=True)
    except ValidationError as error:
        fields: dict[str, list[str]] = {}
        for item in error.errors(include_url=False):
            raised = (item.get("ctx") or {}).get("error")
            if isinstance(raised, FieldErrors):
                for name, messages in raised.errors.items():
                    fields.setdefault(name, []).extend(messages)
            else:
                for name, messages in validation_errors([item]).items():
                    fields.setdefault(name, []).extend(messages)
        raise ValidationFailed("Invalid row.", errors=fields) from None


# Targets: one per importable resource ---------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """How rows of one resource are written. ``schema`` / ``patch_schema``: the API's
    input for create and update; ``create(actor, company_id, data)`` returns the new row
    (or ``(row, created)``); ``update(actor, company_id, key, data)`` the changed one;
    ``create_many(actor, company_id, rows)`` (optional) writes a whole batch; rows with
    an ``id`` column are updates when the resource has ``update``. ``admin_only``: a
    platform-wide resource only admins write; else staff import into their company."""

    resource: str
    schema: Callable[[], type[BaseModel]]
    create: Callable[..., Any]
    patch_schema: Callable[[], type[BaseModel]] | None = None
    update: Callable[..., Any] | None = None
    create_many: Callable[..., list[Any]] | None = None
    admin_only: bool = False
    company_field: str | None = "company_id"


def _listings_schema() -> type[BaseModel]:
    from domus.properties.schemas import ListingCreateIn

    return ListingCreateIn


def _listing_patch_schema() -> type[BaseModel]:
    from domus.properties.schemas import ListingPatchIn

    return ListingPatchIn


def _listing_fields(data: dict[str, Any]) -> dict[str, Any]:
    """As the API's ``listing_fields``: ``name`` folded into ``title``."""
    data = dict(data)
    name = data.pop("name", None)
    if data.get("title") is None:
        data.pop("title", None)
        if name is not None:
            data["title"] = name
    return data


def _listings_create_many(actor: Any, company_id: UUID, rows: list[dict[str, Any]]) -> list[Any]:
    from domus.properties.services.imports import listing_create_many

    return listing_create_many(actor=actor, rows=[{**_listing_fields(data), "company_id": company_id} for data in rows])


def _listing_create(actor: Any, company_id: UUID, data: dict[str, Any]) -> Any:
    from domus.properties import services

    return services.listing_create(actor=actor, **{**_listing_fields(data), "company_id": company_id})


def _managed_listing(actor: Any, listing_id: Any) -> Any:
    from domus.core.policies import require
    from domus.properties import policies, selectors

    listing = selectors.listing_get_for_actor(actor=actor, listing_id=listing_id)
    require(policies.can_manage_listing(actor, listing), "Only the listing's owner, agent, staff or an admin.")
    return listing


def _listing_update(actor: Any, company_id: UUID, key: str, data: dict[str, Any]) -> Any:
    from domus.properties import services

    listing = _managed_listing(actor, key)
    return services.listing_update(actor=actor, listing=listing, **_listing_fields(data))


def _client_schema() -> type[BaseModel]:
    from domus.crm.schemas import ClientIn

    return ClientIn


def _client_patch_schema() -> type[BaseModel]:
    from domus.crm.schemas import ClientPatchIn

    return ClientPatchIn


def _client_create(actor: Any, company_id: UUID, data: dict[str, Any]) -> Any:
    from domus.crm import services

    return services.client_create(actor=actor, **{**data, "email": data.get("email") or "", "company_id": company_id})


def _client_update(actor: Any, company_id: UUID, key: str, data: dict[str, Any]) -> Any:
    from domus.core.policies import require
    from domus.crm import policies, selectors, services

    client = selectors.client_get_for_actor(actor=actor, client_id=key)
    require(policies.can_change_client(actor, client), "Only the client's agent or company staff.")
    return services.client_update(actor=actor, client=client, **data)


def _lead_schema() -> type[BaseModel]:
    from domus.crm.schemas import LeadIn

    return LeadIn


def _lead_create(actor: Any, company_id: UUID, data: dict[str, Any]) -> Any:
    from domus.crm import services

    return services.lead_enter(actor=actor, **{**data, "email": data.get("email") or "", "company_id": company_id})


def _unit_schema() -> type[BaseModel]:
    from pydantic import create_model

    from domus.properties.schemas import UnitIn

    return create_model("UnitImportIn", __base__=UnitIn, listing_id=(UUID, ...))


def _unit_create(actor: Any, company_id: UUID, data: dict[str, Any]) -> Any:
    from domus.properties import services

    listing = _managed_listing(actor, data.pop("listing_id"))
    if listing.company_id != company_id:
        raise ValidationFailed("Not the import's company.", errors={"listing_id": ["A listing of another company."]})
    return services.unit_create(actor=actor, listing=listing, **data)


def _lease_schema() -> type[BaseModel]:
    from domus.leasing.schemas import LeaseIn

    return LeaseIn


def _lease_create(actor: Any, company_id: UUID, data: dict[str, Any]) -> Any:
    from domus.accounts.selectors import active_user_for_field
    from domus.leasing import services

    tenant = active_user_for_field(data.pop("tenant_id"), field="tenant_id")
    if "owner_id" in data:
        active_user_for_field(data["owner_id"], field="owner_id")
    lease = services.lease_create(actor=actor, listing_id=data.pop("listing_id"), tenant=tenant, **data)
    if lease.company_id != company_id:
        raise ValidationFailed("Not the import's company.", errors={"listing_id": ["A listing of another company."]})
    return lease


def _spare_schema() -> type[BaseModel]:
    from domus.inventory.schemas import SpareIn

    return SpareIn


def _spare_patch_schema() -> type[BaseModel]:
    from domus.inventory.schemas import SparePatchIn

    return SparePatchIn


def _spare_model() -> Any:
    from django.apps import apps

    return apps.get_model("inventory", "SparePart")


def _spare_create(actor: Any, company_id: UUID | None, data: dict[str, Any]) -> Any:
    from domus.inventory.services import catalog

    return catalog.catalog_create(actor=actor, model=_spare_model(), data=data, clean=catalog.spare_clean)


def _spare_update(actor: Any, company_id: UUID | None, key: str, data: dict[str, Any]) -> Any:
    from domus.core.exceptions import NotFound
    from domus.inventory.services import catalog

    row = _spare_model().objects.filter(pk=key).first()
    if row is None:
        raise NotFound("Spare part not found.")
    return catalog.catalog_update(actor=actor, row=row, data=data, clean=catalog.spare_clean)


TARGETS: dict[str, Target] = {
    target.resource: target
    for target in (
        Target(
            "listings",
            _listings_schema,
            _listing_create,
            _listing_patch_schema,
            _listing_update,
            create_many=_listings_create_many,
        ),
        Target("clients", _client_schema, _client_create, _client_patch_schema, _client_update),
        Target("leads", _lead_schema, _lead_create),
        Target("units", _unit_schema, _unit_create, company_field=None),
        Target("leases", _lease_schema, _lease_create, company_field=None),
        Target("parts", _spare_schema, _spare_create, _spare_patch_schema, _spare_update, admin_only=True),
    )
}


# Starting an import -----------------------------------------------------------------------------


def import_company_check(*, actor: Any, resource: str, company_id: UUID | None) -> UUID | None:
    """The company an import writes into, checked: admins any, company staff their own
    (403 otherwise); platform-wide resources (parts) only admins and no company."""
    target = TARGETS.get(resource)
    if target is None:
        raise ValidationFailed("Unknown resource.", errors={"resource": [f"One of: {', '.join(TARGETS)}."]})
    if target.admin_only:
        if not is_admin(actor):
            raise PermissionDenied(f"Only platform admins import {resource}.")
        return None
    if company_id is None:
        from domus.organizations.selectors import (
            default_company_id,
            platform_default_company_id,
            staff_company_ids,
        )

        staff_of = staff_company_ids(actor)
        company_id = next(iter(staff_of)) if len(staff_of) == 1 else default_company_id(actor)
        if company_id is None and is_admin(actor):
            company_id = platform_default_company_id()
        if company_id is None:
            raise ValidationFailed("Which company?", errors={"company_id": ["Name the company to import into."]})
    if not (is_admin(actor) or is_company_staff(actor, company_id)):
        raise PermissionDenied("Only the company's staff (or an admin) can import into it.")
    return company_id


def import_start(
    *,
    actor: Any,
    resource: str,
    upload: Any,
    filename: str,
    file_format: str | None = None,
    dry_run: bool = True,
    company_id: UUID | None = None,
) -> Job:
    """Check who may import what where, store the upload (streamed) and queue the job."""
    company_id = import_company_check(actor=actor, resource=resource, company_id=company_id)
    fmt = readers.format_of(filename, file_format)
    safe = os.path.basename(filename).replace(" ", "_")[-100:] or f"upload.{fmt}"
    stored = storages["default"].save(f"{STORAGE_PREFIX}/{safe}", File(upload))
    params = {
        "resource": resource,
        "format": fmt,
        "file": stored,
        "filename": filename[:200],
        "dry_run": dry_run,
        "company_id": str(company_id) if company_id else None,
    }
    return job_start(kind="data.import", actor=actor, params=params, company_id=company_id)


# Running it ----------------------------------------------------------------------------------


def _batches(rows: Iterator[tuple[int, dict[str, Any]]]) -> Iterator[list[Row]]:
    while batch := [Row(number, raw) for number, raw in islice(rows, BATCH)]:
        yield batch


def _prepare(row: Row, target: Target, schemas: dict[str, Any], company_id: UUID | None) -> None:
    raw = dict(row.raw)
    if "__invalid__" in raw:
        row.fail({"": ["Each entry must be an object."]})
        return
    key = str(raw.pop("id", "") or "").strip()
    if not any(value not in ("", None) for value in raw.values()):
        row.outcome = SKIP  # a blank row
        return
    named = str(raw.pop(target.company_field, "") or "").strip() if target.company_field else ""
    if named and named != str(company_id):
        row.fail({target.company_field: ["Not the company this import is for."]})
        return
    if key and target.update is None:
        row.fail({"id": [f"Rows of {target.resource} are only created: leave id out."]})
        return
    row.key = key or None
    schema, kinds = schemas["patch" if key else "create"]
    try:
        row.data = validate_row(schema, kinds, raw)
    except DomusError as error:
        row.fail(error.errors)


class _RowFailed(Exception):
    """Raised inside a batch's block to roll it back when one of its rows fails."""

    def __init__(self, row: Row, errors: dict[str, list[str]]) -> None:
        super().__init__(row.number)
        self.row, self.errors = row, errors


def _write_row(row: Row, target: Target, actor: Any, company_id: UUID | None) -> None:
    """Write one row through the API's service; raises ``_RowFailed`` when it refuses."""
    try:
        if row.key:
            written = target.update(actor, company_id, row.key, dict(row.data))
            row.outcome = UPDATE
        else:
            written = target.create(actor, company_id, dict(row.data))
            if isinstance(written, tuple):
                written, created = written
                row.outcome = NEW if created else UPDATE
            else:
                row.outcome = NEW
        row.id = str(written.pk)
    except DomusError as error:
        row.outcome, row.id = "", None
        raise _RowFailed(row, error.errors or {"": [str(error.detail)]}) from error
    except DatabaseError as error:
        row.outcome, row.id = "", None
        reason = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        raise _RowFailed(row, {"": [f"Refused by the database: {reason}"]}) from error


def _write_one(row: Row, target: Target, actor: Any, company_id: UUID | None) -> None:
    try:
        with transaction.atomic():
            _write_row(row, target, actor, company_id)
    except _RowFailed as failed:
        row.fail(failed.errors)


def _write_rows(rows: list[Row], target: Target, actor: Any, company_id: UUID | None) -> None:
    """Write ``rows`` through the service in ONE savepoint for the batch, not one per row
    (a savepoint costs two round trips, and more than 64 subtransactions in one
    transaction slow PostgreSQL down for every session). When a row fails, the block is
    rolled back, the row gets its error and the batch runs again without it; after
    ``RETRIES`` failures in one batch the rest goes row by row, a savepoint each."""
    pending = list(rows)
    for _ in range(RETRIES):
        if not pending:
            return
        try:
            with transaction.atomic():
                for row in pending:
                    _write_row(row, target, actor, company_id)
            return
        except _RowFailed as failed:
            failed.row.fail(failed.errors)
            for row in pending:
                if row is not failed.row:
                    row.outcome, row.id = "", None  # rolled back with the block: written again
            pending = [row for row in pending if row is not failed.row]
    for row in pending:
        _write_one(row, target, actor, company_id)


def _write(batch: list[Row], target: Target, actor: Any, company_id: UUID | None) -> None:
    pending = [row for row in batch if not row.outcome]
    creates = [row for row in pending if not row.key]
    if target.create_many is not None and creates:
        try:
            with transaction.atomic():
                outcomes = target.create_many(actor, company_id, [dict(row.data) for row in creates])
        except (DomusError, DatabaseError):
            outcomes = [None] * len(creates)  # the batch form refused as a whole: row by row below
        for row, written in zip(creates, outcomes, strict=True):
            if written is None:
                continue
            if isinstance(written, DomusError):
                row.fail(written.errors or {"": [str(written.detail)]})
            else:
                row.outcome, row.id = NEW, str(written.pk)
    _write_rows([row for row in pending if not row.outcome], target, actor, company_id)


class _Failures:
    """The failed rows, as CSV, in a temporary file until the job stores it."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile(mode="w+b")  # noqa: SIM115 (closed by store())
        self.text = io.TextIOWrapper(self.file, encoding="utf-8", newline="")
        self.writer: csv.DictWriter | None = None
        self.count = 0

    def add(self, row: Row) -> None:
        record = {"row": row.number, "field": "", "reason": ""}
        record.update({k: v for k, v in row.raw.items() if k not in record})
        first = row.result()
        record["field"], record["reason"] = first.get("field", ""), first.get("reason", "")
        if self.writer is None:
            self.writer = csv.DictWriter(self.text, fieldnames=list(record), extrasaction="ignore")
            self.writer.writeheader()
        self.writer.writerow({k: v if not isinstance(v, (list, dict)) else str(v) for k, v in record.items()})
        self.count += 1

    def store(self, name: str) -> str | None:
        if not self.count:
            self.text.close()
            return None
        self.text.flush()
        self.file.seek(0)
        stored = storages["default"].save(name, File(self.file))
        self.text.close()
        return stored


def import_run(job: Job, progress: Progress) -> dict[str, Any]:
    """The ``data.import`` job: read, validate and write the stored file, batch by batch."""
    params = job.params
    target = TARGETS[params["resource"]]
    company_id = UUID(params["company_id"]) if params.get("company_id") else None
    actor, dry_run = job.started_by, bool(params.get("dry_run"))
    schemas = {"create": (target.schema(), None)}
    schemas["create"] = (schemas["create"][0], _field_kinds(schemas["create"][0]))
    patch = target.patch_schema() if target.patch_schema else schemas["create"][0]
    schemas["patch"] = (patch, _field_kinds(patch))
    counts = {NEW: 0, UPDATE: 0, SKIP: 0, ERROR: 0}
    sample: list[dict[str, Any]] = []
    failures = _Failures()
    started = time.perf_counter()
    storage = storages["default"]
    with storage.open(params["file"], "rb") as stream:
        progress.set_total(readers.estimate_rows(stream, params["format"]))
        seen = 0
        for batch in _batches(readers.READERS[params["format"]](stream)):
            for row in batch:
                _prepare(row, target, schemas, company_id)
            with transaction.atomic():
                _write(batch, target, actor, company_id)
                if dry_run:
                    transaction.set_rollback(True)
            for row in batch:
                counts[row.outcome] += 1
                if len(sample) < SAMPLE_ROWS:
                    sample.append(row.result())
                if row.outcome == ERROR:
                    failures.add(row)
                    progress.error(row.result())
            seen += len(batch)
            progress.advance(done=seen)
    seconds = time.perf_counter() - started
    failed_file = failures.store(f"{STORAGE_PREFIX}/failed-{job.pk}.csv")
    return {
        "resource": target.resource,
        "dry_run": dry_run,
        "rows": seen,
        "counts": counts,
        "seconds": round(seconds, 3),
        "rows_per_second": round(seen / seconds, 1) if seconds else None,
        "failed_rows_file": failed_file,
        "results": sample,
    }


def import_failed_rows(job: Job) -> Any:
    """The stored CSV of an import's failed rows (opened), or ``None``."""
    name = (job.result or {}).get("failed_rows_file")
    return storages["default"].open(name, "rb") if name else None


job_kind_register("data.import", run="domus.ops.services.imports:import_run")
