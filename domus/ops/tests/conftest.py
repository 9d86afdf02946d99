"""Two companies with their staff, an agent, a customer, and helpers to upload files."""

import csv
import io
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory

IMPORT = "/api/v1/ops/data/import/"


@pytest.fixture(autouse=True)
def _no_rate_limits(settings) -> None:
    settings.RATE_LIMITS_ENABLED = False


@pytest.fixture
def company(db):
    return CompanyFactory(name="Alpha Homes")


@pytest.fixture
def other_company(db):
    return CompanyFactory(name="Beta Estates")


@pytest.fixture
def staff(company):
    return MembershipFactory(company=company, role=Role.STAFF).user


@pytest.fixture
def other_staff(other_company):
    return MembershipFactory(company=other_company, role=Role.STAFF).user


@pytest.fixture
def agent(company):
    return MembershipFactory(company=company, role=Role.AGENT, user=UserFactory(role=Role.AGENT)).user


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
