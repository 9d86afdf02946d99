"""The streamed CSV / JSON export of the audit log."""

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from domus.audit.exports import COLUMNS
from domus.audit.tests.factories import AuditLogFactory

URL = "/api/v1/audit/logs/export/"

pytestmark = pytest.mark.django_db


def content(response) -> str:
    assert response.status_code == 200, response.content
    assert response.streaming is True
    return b"".join(response.streaming_content).decode()


@pytest.fixture
def entries(admin_user):
    return [
        AuditLogFactory(
            created_at=datetime(2025, 3, 1, 9, 30, tzinfo=UTC),
            actor=admin_user,
            action="create",
            resource_id="company-1",
            changes={"name": {"before": None, "after": "Alpha, Homes"}},
        ),
        AuditLogFactory(
            created_at=datetime(2025, 3, 2, 9, 30, tzinfo=UTC),
            action="update",
            resource_id="company-1",
            user_agent='=HYPERLINK("http://evil.example")',
        ),
        AuditLogFactory(created_at=datetime(2025, 3, 3, 9, 30, tzinfo=UTC), action="delete", resource_id="unit-9"),
    ]


def test_csv_is_a_streamed_attachment_with_a_header_and_one_row_per_entry(admin_client, entries, admin_user):
    response = admin_client.get(f"{URL}?format=csv")

    today = timezone.now().date().isoformat()
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == f'attachment; filename="audit-logs-{today}.csv"'
    table = list(csv.reader(io.StringIO(content(response))))
    assert table[0] == list(COLUMNS)
    assert len(table) == 4
    newest, middle, oldest = (dict(zip(COLUMNS, line, strict=True)) for line in table[1:])
    assert [newest["action"], middle["action"], oldest["action"]] == ["delete", "update", "create"]
    assert oldest["id"] == str(entries[0].id)
    assert oldest["created_at"] == "2025-03-01T09:30:00Z"
    assert oldest["actor_id"] == str(admin_user.id)
    assert oldest["actor_repr"] == admin_user.email
    assert json.loads(oldest["changes"]) == {"name": {"after": "Alpha, Homes", "before": None}}
    assert newest["actor_id"] == ""


def test_csv_cells_cannot_run_as_spreadsheet_formulas(admin_client, entries):
    table = list(csv.DictReader(io.StringIO(content(admin_client.get(URL)))))

    update = next(row for row in table if row["action"] == "update")
    assert update["user_agent"] == '\'=HYPERLINK("http://evil.example")'


def test_csv_is_the_default_format(admin_client, entries):
    response = admin_client.get(URL)

    assert response["Content-Type"].startswith("text/csv")
    assert content(response).startswith("id,created_at,")


def test_json_is_a_streamed_array_that_parses(admin_client, entries):
    response = admin_client.get(f"{URL}?format=json")

    today = timezone.now().date().isoformat()
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="audit-logs-{today}.json"'
    body = json.loads(content(response))
    assert [row["id"] for row in body] == [str(e.id) for e in reversed(entries)]
    assert set(body[0]) == set(COLUMNS)
    assert body[-1]["changes"] == {"name": {"before": None, "after": "Alpha, Homes"}}


def test_the_export_takes_the_list_filters(admin_client, entries):
    body = json.loads(content(admin_client.get(f"{URL}?format=json&resource_id=company-1&ordering=created_at")))
    assert [row["action"] for row in body] == ["create", "update"]

    body = json.loads(content(admin_client.get(f"{URL}?format=json&end_date=2025-03-01")))
    assert [row["id"] for row in body] == [str(entries[0].id)]

    table = list(csv.reader(io.StringIO(content(admin_client.get(f"{URL}?search=unit-9")))))
    assert [line[4] for line in table[1:]] == ["delete"]


def test_an_empty_export_is_still_well_formed(admin_client):
    assert json.loads(content(admin_client.get(f"{URL}?format=json"))) == []
    assert list(csv.reader(io.StringIO(content(admin_client.get(f"{URL}?format=csv"))))) == [list(COLUMNS)]


def test_an_unknown_format_is_a_field_error(admin_client, entries):
    response = admin_client.get(f"{URL}?format=xml")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert list(body["errors"]) == ["format"]


def test_bad_filters_are_refused_before_streaming(admin_client, entries):
    response = admin_client.get(f"{URL}?ordering=user_agent")

    assert response.status_code == 400
    assert not response.streaming


def test_rows_are_read_in_one_query_whatever_their_number(admin_client, admin_user, django_assert_num_queries):
    AuditLogFactory.create_batch(25, actor=admin_user)

    # the caller, then one (server-side cursor) query for every row
    with django_assert_num_queries(2):
        lines = content(admin_client.get(f"{URL}?format=csv")).splitlines()

    assert len(lines) == 26


def test_anonymous_callers_cannot_export(api_client, entries):
    response = api_client.get(URL)

    assert response.status_code == 401
    assert not response.streaming


@pytest.mark.parametrize("path", ["/api/logs/export/", "/api/logs/export", "/api/v1/logs/export/"])
def test_original_path_exports_the_same_log(admin_client, entries, path):
    body = json.loads(content(admin_client.get(f"{path}?format=json")))

    assert [row["id"] for row in body] == [str(e.id) for e in reversed(entries)]
