"""Bulk import: 10,000 rows with 10 bad ones (reported with field and reason, 9,990 in,
each audited), a dry run that writes nothing, every resource through its service, the
readers, the failed-rows CSV, and who may import what where."""

import csv
import io
import json

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from domus.ops.services import imports
from domus.ops.tests.conftest import csv_file

Listing = apps.get_model("properties", "Listing")
Client = apps.get_model("crm", "Client")
Job = apps.get_model("ops", "Job")

BAD = {
    17: ("price", "abc"),
    1234: ("price", "-5"),
    2000: ("bedrooms", "many"),
    3001: ("country", "KEN"),
    4002: ("status", "sold"),
    5003: ("year_built", "99"),
    6004: ("latitude", "1.5"),  # without longitude: coordinates come in pairs
    7005: ("currency", "XX"),
    8006: ("features", "no-such-feature"),
    9007: ("is_published", "perhaps"),
}


def listing_rows(count: int, bad: dict[int, tuple[str, str]] | None = None) -> list[dict]:
    rows = []
    for index in range(count):
        row = {
            "title": f"Flat {index}",
            "price": str(1000 + index),
            "bedrooms": str(index % 5),
            "city": "Nairobi",
            "country": "ke",
            "listing_type": "rent",
            "property_type": "apartment",
        }
        if bad and index in bad:
            name, value = bad[index]
            row[name] = value
        rows.append(row)
    return rows


def test_ten_thousand_rows_ten_bad(client_for, staff, company, upload, audit_log):
    response = upload(client_for(staff), csv_file(listing_rows(10_000, BAD)), resource="listings")
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert job.status == "succeeded", job.error
    assert job.result["counts"] == {"new": 9990, "update": 0, "skip": 0, "error": 10}
    assert Listing.objects.filter(company=company).count() == 9990
    assert audit_log.objects.filter(resource_type="properties.listing", action="create").count() == 9990
    # each bad row: its row number (the header is row 1), the field and a reason
    reported = {error["row"]: error for error in job.errors}
    assert set(reported) == {index + 2 for index in BAD}
    for index, (name, _) in BAD.items():
        error = reported[index + 2]
        assert error["outcome"] == "error"
        assert error["reason"]
        assert error["field"] == name or name in error["errors"], error
    # the failed rows download as CSV with the same row numbers
    download = client_for(staff).get(f"/api/v1/ops/data/import/{job.pk}/failed-rows/")
    assert download.status_code == 200
    failed = list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert sorted(int(row["row"]) for row in failed) == sorted(index + 2 for index in BAD)
    assert all(row["reason"] for row in failed)


def test_dry_run_writes_nothing(client_for, staff, company, upload, audit_log):
    before = audit_log.objects.exclude(resource_type="ops.job").count()
    rows = listing_rows(50, {3: ("price", "abc")})
    response = upload(client_for(staff), csv_file(rows), resource="listings", dry_run=True)
    job = Job.objects.get(pk=response.json()["id"])
    assert job.status == "succeeded"
    assert job.result["dry_run"] is True
    assert job.result["counts"] == {"new": 49, "update": 0, "skip": 0, "error": 1}
    assert [r["outcome"] for r in job.result["results"]].count("new") == 49
    assert job.result["results"][3] == {
        "row": 5,
        "outcome": "error",
        "id": None,
        "field": "price",
        "reason": job.result["results"][3]["reason"],
        "errors": {"price": [job.result["results"][3]["reason"]]},
    }
    assert Listing.objects.count() == 0
    assert audit_log.objects.exclude(resource_type="ops.job").count() == before


def test_updates_skips_and_the_company_column(client_for, staff, company, other_company, upload):
    first = upload(client_for(staff), csv_file(listing_rows(2)), resource="listings")
    ids = [row["id"] for row in Job.objects.get(pk=first.json()["id"]).result["results"]]
    rows = [
        {"id": ids[0], "title": "", "price": "5000", "city": ""},  # an update: only the price
        {"id": "", "title": "", "price": "", "city": ""},  # blank: skipped
        {"id": "", "title": "Elsewhere", "price": "1", "company_id": str(other_company.pk)},
    ]
    response = upload(client_for(staff), csv_file(rows), resource="listings")
    job = Job.objects.get(pk=response.json()["id"])
    assert [r["outcome"] for r in job.result["results"]] == ["update", "skip", "error"]
    assert job.result["results"][2]["field"] == "company_id"
    assert str(Listing.objects.get(pk=ids[0]).price) == "5000.00"
    assert not Listing.objects.filter(title="Elsewhere").exists()


def test_json_and_xlsx_files(client_for, staff, company, upload):
    body = json.dumps([{"title": "J1", "price": 10, "bedrooms": 2}, {"title": "J2", "price": "x"}]).encode()
    response = upload(client_for(staff), SimpleUploadedFile("rows.json", body), resource="listings")
    assert Job.objects.get(pk=response.json()["id"]).result["counts"]["new"] == 1
    lines = b'{"title": "L1", "price": 1}\n{"title": "L2", "price": 2}\n'
    response = upload(client_for(staff), SimpleUploadedFile("rows.jsonl", lines), resource="listings")
    assert Job.objects.get(pk=response.json()["id"]).result["counts"]["new"] == 2

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["title", "price", "bedrooms", "is_published"])
    sheet.append(["X1", 2500.5, 3, False])
    sheet.append(["X2", "bad", 1, False])
    out = io.BytesIO()
    book.save(out)
    response = upload(client_for(staff), SimpleUploadedFile("rows.xlsx", out.getvalue()), resource="listings")
    job = Job.objects.get(pk=response.json()["id"])
    assert job.result["counts"] == {"new": 1, "update": 0, "skip": 0, "error": 1}
    assert str(Listing.objects.get(title="X1").price) == "2500.50"


def test_clients_leads_and_units_through_their_services(client_for, staff, company, upload, audit_log):
    clients = [{"name": "Ann", "email": "ANN@example.test"}, {"name": "", "email": "bad"}]
    response = upload(client_for(staff), csv_file(clients), resource="clients")
    job = Job.objects.get(pk=response.json()["id"])
    assert job.result["counts"]["new"] == 1
    assert job.result["counts"]["error"] == 1
    assert Client.objects.get(company=company).email == "ann@example.test"
    assert audit_log.objects.filter(resource_type="crm.client", action="create").count() == 1

    leads = [{"name": "Lee", "email": "lee@example.test"}, {"name": "Lee", "email": "lee@example.test"}]
    response = upload(client_for(staff), csv_file(leads), resource="leads")
    outcomes = [r["outcome"] for r in Job.objects.get(pk=response.json()["id"]).result["results"]]
    assert outcomes == ["new", "update"]  # the second is the same person: merged by the service

    listing_job = upload(client_for(staff), csv_file(listing_rows(1)), resource="listings")
    listing_id = Job.objects.get(pk=listing_job.json()["id"]).result["results"][0]["id"]
    units = [
        {"listing_id": listing_id, "unit_number": "A1", "floor": "2"},
        {"listing_id": listing_id, "unit_number": "A1"},
    ]
    response = upload(client_for(staff), csv_file(units), resource="units")
    results = Job.objects.get(pk=response.json()["id"]).result["results"]
    assert [r["outcome"] for r in results] == ["new", "error"]  # the unit number is taken


@pytest.mark.parametrize("taken", [(10, 20, 30), (3, 5, 7, 9, 11, 13, 15, 17)])
def test_row_by_row_resources_write_a_batch_in_one_savepoint(client_for, staff, company, upload, audit_log, taken):
    """Units have no batch form: the batch is written in one block; each row the service
    refuses rolls it back and it runs again without that row (after RETRIES refusals,
    row by row), so the refused rows are reported and every other row is in, once."""
    listing_job = upload(client_for(staff), csv_file(listing_rows(1)), resource="listings")
    listing_id = Job.objects.get(pk=listing_job.json()["id"]).result["results"][0]["id"]
    units = [{"listing_id": listing_id, "unit_number": f"U{n}"} for n in range(40)]
    for n in taken:
        units[n]["unit_number"] = "U0"  # refused by the service: the number is taken
    with CaptureQueriesContext(connection) as queries:
        response = upload(client_for(staff), csv_file(units), resource="units")
    job = Job.objects.get(pk=response.json()["id"])
    assert job.result["counts"] == {"new": 40 - len(taken), "update": 0, "skip": 0, "error": len(taken)}
    assert [r["row"] for r in job.result["results"] if r["outcome"] == "error"] == [n + 2 for n in taken]
    assert apps.get_model("properties", "Unit").objects.filter(listing_id=listing_id).count() == 40 - len(taken)
    assert audit_log.objects.filter(resource_type="properties.unit", action="create").count() == 40 - len(taken)
    inserts = sum(q["sql"].startswith('INSERT INTO "properties_unit"') for q in queries.captured_queries)
    if len(taken) <= imports.RETRIES:  # each refusal runs the rows before it again
        assert inserts == sum(taken) - len(taken) * (len(taken) - 1) // 2 + 40 - len(taken)
    else:  # RETRIES re-runs, then row by row
        assert inserts > 40 - len(taken)


def test_a_non_admin_cannot_import_into_another_company(client_for, staff, other_company, upload):
    response = upload(
        client_for(staff), csv_file(listing_rows(3)), resource="listings", company_id=str(other_company.pk)
    )
    assert response.status_code == 403
    assert not Job.objects.exists()
    assert not Listing.objects.exists()


def test_parts_are_for_admins(client_for, staff, admin_user, upload):
    parts = [{"part_number": "P-1", "name": "Valve", "cost": "10.00", "price": "15.00"}]
    assert upload(client_for(staff), csv_file(parts), resource="parts").status_code == 403
    response = upload(client_for(admin_user), csv_file(parts), resource="parts")
    assert response.status_code == 202
    assert Job.objects.get(pk=response.json()["id"]).result["counts"]["new"] == 1
    assert apps.get_model("inventory", "SparePart").objects.filter(part_number="P-1").exists()


def test_a_customer_cannot_import(client_for, user, upload):
    response = upload(client_for(user), csv_file(listing_rows(1)), resource="listings")
    assert response.status_code in (400, 403)
    assert not Job.objects.exists()


@pytest.mark.parametrize("resource", ["nothing", ""])
def test_unknown_resource_is_a_400(client_for, staff, upload, resource):
    assert upload(client_for(staff), csv_file(listing_rows(1)), resource=resource).status_code == 400


def test_data_status_lists_import_jobs(client_for, staff, upload):
    upload(client_for(staff), csv_file(listing_rows(1)), resource="listings")
    body = client_for(staff).get("/api/v1/ops/data/status/").json()
    assert body["count"] == 1
    assert body["results"][0]["kind"] == "data.import"
    assert client_for(staff).get("/api/v1/data/status").status_code == 200  # the CRM's path
