"""Two companies with their staff, an agent, a customer, and helpers to upload files."""

import csv
import io
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from domus.organizations.tests.fixtures import *  # noqa: F403

IMPORT = "/api/v1/ops/data/import/"


def csv_file(rows: list[dict], name: str = "rows.csv") -> SimpleUploadedFile:
    out = io.StringIO()
    columns = list(dict.fromkeys(key for row in rows for key in row))
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode(), content_type="text/csv")


@pytest.fixture
def upload(django_capture_on_commit_callbacks) -> Callable:
    """``upload(client, file, resource=..., **form)``: post an import and run its job."""

    def send(client, file, **form):
        data = {
            "file": file,
            "dry_run": "false",
            **{k: str(v).lower() if isinstance(v, bool) else v for k, v in form.items()},
        }
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(IMPORT, data=data)

    return send
