"""Streamed exports of the audit trail: rows are read in chunks from a server-side
cursor and written out as they come, so a million rows never sit in memory."""

import csv
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from domus.audit.models import AuditLog

CHUNK_SIZE = 2000
COLUMNS = (
    "id",
    "created_at",
    "actor_id",
    "actor_repr",
    "action",
    "resource_type",
    "resource_id",
    "company_id",
    "ip_address",
    "user_agent",
    "request_id",
    "changes",
)
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection);
# user agents and resource ids come from callers, so such cells get a leading quote.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_encoder = DjangoJSONEncoder()


class _Echo:
    """The file-like object csv.writer needs: ``write`` hands the line back."""

    def write(self, value: str) -> str:
        return value


def _record(row: AuditLog) -> dict[str, Any]:
    return {
        "id": row.id,
        "created_at": row.created_at,
        "actor_id": row.actor_id,
        "actor_repr": row.actor_repr,
        "action": row.action,
        "resource_type": row.resource_type,
        "resource_id": row.resource_id,
        "company_id": row.company_id,
        "ip_address": row.ip_address,
        "user_agent": row.user_agent,
        "request_id": row.request_id,
        "changes": row.changes,
    }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(_encoder.default(value))
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _csv_cells(record: dict[str, Any]) -> list[str]:
    cells = {key: _cell(value) for key, value in record.items() if key != "changes"}
    cells["changes"] = json.dumps(record["changes"], cls=DjangoJSONEncoder, sort_keys=True)
    return [cells[column] for column in COLUMNS]


def csv_lines(rows: Iterable[AuditLog]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    for row in rows:
        yield writer.writerow(_csv_cells(_record(row)))


def json_chunks(rows: Iterable[AuditLog]) -> Iterator[str]:
    """One JSON array, written an element at a time."""
    yield "["
    separator = ""
    for row in rows:
        yield separator + json.dumps(_record(row), cls=DjangoJSONEncoder, sort_keys=True)
        separator = ","
    yield "]"


FORMATS = {
    "csv": ("text/csv; charset=utf-8", csv_lines),
    "json": ("application/json", json_chunks),
}


def audit_log_export_response(queryset: QuerySet[AuditLog], export_format: str) -> StreamingHttpResponse:
    """A streamed attachment (``audit-logs-YYYY-MM-DD.csv`` or ``.json``) of
    ``queryset``, read with a server-side cursor in chunks of ``CHUNK_SIZE``."""
    content_type, render = FORMATS[export_format]
    response = StreamingHttpResponse(render(queryset.iterator(chunk_size=CHUNK_SIZE)), content_type=content_type)
    filename = f"audit-logs-{timezone.now().date().isoformat()}.{export_format}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
