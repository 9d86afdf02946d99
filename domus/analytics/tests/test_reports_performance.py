"""The performance pack: hand-computed numbers per scope, progress reported, the PDF,
the Celery task that stores and e-mails it, the weekly seller pack, bad input."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.core import mail
from django.core.files.storage import default_storage
from pypdf import PdfReader

from domus.accounts.tests.factories import UserFactory
from domus.analytics.reports import performance, seller
from domus.analytics.reports.jobs import performance_pack_file
from domus.analytics.tasks import performance_pack_deliver
from domus.core.roles import Role
from domus.crm.tests.factories import LeadFactory
from domus.ops.services.jobs import job_run
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory
from domus.properties.tests.factories import ListingFactory

URL = "/api/v1/reports/performance/"
JOBS_URL = "/api/v1/reports/performance/jobs/"
IN = datetime(2026, 1, 15, 12, tzinfo=UTC)
OUT = datetime(2025, 6, 1, tzinfo=UTC)
JANUARY = {"from": "2026-01-01", "to": "2026-01-31"}


Job = apps.get_model("ops", "Job")


def _model(label):
    return apps.get_model(*label.split("."))


@pytest.fixture
def world(db):
    a, b = CompanyFactory(name="Alpha"), CompanyFactory(name="Beta")
    staff_a = MembershipFactory(company=a, role=Role.STAFF).user
    staff_b = MembershipFactory(company=b, role=Role.STAFF).user
    agent = MembershipFactory(company=a, role=Role.AGENT, user=UserFactory(role=Role.AGENT)).user
    owner = UserFactory(role=Role.OWNER)
    l1 = ListingFactory(company=a, agent=agent, owner=owner, title="Agent's flat")
    l2 = ListingFactory(company=a, title="Other flat")
    l3 = ListingFactory(company=b, title="Beta flat")
    LeadFactory(company=a, assigned_agent=agent, listing=l1, source="contact_form", status="won", created_at=IN)
    LeadFactory(company=a, source="contact_form", created_at=IN)
    LeadFactory(company=a, source="campaign", created_at=IN)
    LeadFactory(company=a, source="contact_form", created_at=OUT)
    LeadFactory(company=b, source="contact_form", created_at=IN)
    deal = _model("sales.Deal").objects.create(
        company=a, listing=l1, amount=Decimal(1_000_000), currency="KES", status="closed_won", selling_agent=agent,
        closed_at=IN,
    )  # fmt: skip
    _model("sales.Deal").objects.create(
        company=a, listing=l2, amount=Decimal(20_000), currency="USD", status="closed_won", closed_at=IN
    )
    _model("sales.Deal").objects.create(
        company=b, listing=l3, amount=Decimal(7_000_000), currency="KES", status="closed_won", closed_at=IN
    )
    _model("sales.Commission").objects.create(
        company=a, deal=deal, agent=agent, role="selling_agent", rate=Decimal(3), share=Decimal(100),
        amount=Decimal(30_000), currency="KES", created_at=IN,
    )  # fmt: skip
    for listing, amount, currency in ((l1, "3000", "KES"), (l2, "100", "USD"), (l3, "5000", "KES")):
        _model("finance.Payment").objects.create(
            company=listing.company, listing=listing, method="cash", status="paid", amount=Decimal(amount),
            currency=currency, paid_at=IN,
        )  # fmt: skip
    for company, created, resolved, due in (
        (
            a,
            datetime(2026, 1, 10, 10, tzinfo=UTC),
            datetime(2026, 1, 11, 10, tzinfo=UTC),
            datetime(2026, 1, 12, tzinfo=UTC),
        ),
        (a, datetime(2026, 1, 12, tzinfo=UTC), datetime(2026, 1, 14, tzinfo=UTC), datetime(2026, 1, 13, tzinfo=UTC)),
        (a, datetime(2026, 1, 20, tzinfo=UTC), None, None),
        (b, datetime(2026, 1, 10, tzinfo=UTC), datetime(2026, 1, 20, tzinfo=UTC), None),
    ):
        _model("maintenance.WorkOrder").objects.create(
            company=company, name="Leak", email="t@example.test", created_at=created, resolved_at=resolved,
            resolve_due_at=due, status="closed" if resolved else "requested",
        )  # fmt: skip
    return {"a": a, "b": b, "staff_a": staff_a, "staff_b": staff_b, "agent": agent, "owner": owner, "l1": l1}


def test_company_pack(client_for, world):
    response = client_for(world["staff_a"]).post_json(URL, JANUARY)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["leads"] == {"new": 3, "won": 1, "by_source": {"campaign": 1, "contact_form": 2}}
    assert body["closings"] == [
        {"currency": "KES", "count": 1, "amount": "1000000.00"},
        {"currency": "USD", "count": 1, "amount": "20000.00"},
    ]
    assert body["commissions"] == [{"currency": "KES", "count": 1, "amount": "30000.00"}]
    assert body["collections"] == [
        {"currency": "KES", "count": 1, "amount": "3000.00"},
        {"currency": "USD", "count": 1, "amount": "100.00"},
    ]
    # 24 h on time and 48 h a day late; the third is still open.
    assert body["maintenance"] == {"opened": 3, "resolved": 2, "mean_hours_to_resolve": 36.0, "resolved_late": 1}


def test_agent_pack_is_the_agents_pipeline(client_for, world):
    body = client_for(world["staff_a"]).post_json(
        URL, {**JANUARY, "scope": "agent", "agent_id": str(world["agent"].id)}
    )

    data = body.json()
    assert data["leads"]["new"] == 1
    assert data["closings"] == [{"currency": "KES", "count": 1, "amount": "1000000.00"}]
    assert data["collections"] == [{"currency": "KES", "count": 1, "amount": "3000.00"}]


def test_owner_pack_is_their_properties(client_for, world):
    data = client_for(world["owner"]).post_json(URL, {**JANUARY, "scope": "owner"}).json()

    # The owner sees the payments on their listing; leads and deals are the company's.
    assert data["collections"] == [{"currency": "KES", "count": 1, "amount": "3000.00"}]
    assert data["leads"]["new"] == 0
    assert data["closings"] == []


def test_another_company_sees_none_of_ours(client_for, world):
    data = client_for(world["staff_b"]).post_json(URL, {**JANUARY, "company_id": str(world["a"].id)}).json()

    assert data["leads"]["new"] == 0
    assert data["closings"] == []
    assert data["collections"] == []


def test_progress_is_reported_per_section(world):
    seen = []
    scope = performance.pack_scope(actor=world["staff_a"], kind="company")
    performance.performance_pack_build(
        actor=world["staff_a"], start=date(2026, 1, 1), end=date(2026, 1, 31), scope=scope,
        progress=lambda done, total, step: seen.append((done, total, step)),
    )  # fmt: skip
    assert [s[0] for s in seen] == list(range(1, 9))
    assert {s[1] for s in seen} == {8}
    assert seen[-1][2] == "maintenance"


def test_pdf(client_for, world):
    response = client_for(world["staff_a"]).post_json(URL + "?format=pdf", JANUARY)

    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Performance pack" in text
    assert "Leads by source" in text
    assert "1000000.00" in text


def test_background_build_stores_and_emails_the_pdf(world):
    name, pack = performance_pack_file(
        actor=world["staff_a"], start=date(2026, 1, 1), end=date(2026, 1, 31), scope={"kind": "company"}
    )
    assert default_storage.exists(name)
    assert pack["leads"]["new"] == 3
    assert mail.outbox[-1].to == [world["staff_a"].email]
    assert mail.outbox[-1].attachments[0][2] == "application/pdf"
    default_storage.delete(name)


def test_pack_as_a_job_has_progress_result_and_its_pdf(client_for, world, django_capture_on_commit_callbacks):
    staff = client_for(world["staff_a"])
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post_json(JOBS_URL, JANUARY)
    assert response.status_code == 202
    job_id = response.json()["id"]
    assert response.json()["kind"] == "reports.performance"

    job = staff.get(f"/api/v1/ops/jobs/{job_id}/").json()
    assert job["status"] == "succeeded"
    assert (job["done"], job["total"]) == (8, 8)
    assert job["result"]["pack"]["leads"] == {"new": 3, "won": 1, "by_source": {"campaign": 1, "contact_form": 2}}
    assert job["result"]["pack"] == staff.post_json(URL, JANUARY).json()
    assert job["errors"] == []
    assert job["error"] == ""
    assert mail.outbox[-1].to == [world["staff_a"].email]

    pdf = staff.get(f"{JOBS_URL}{job_id}/pdf/")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(b"".join(pdf.streaming_content))).pages)
    assert "Leads by source" in text
    # the job, like its PDF, is not another company's to see
    assert client_for(world["staff_b"]).get(f"/api/v1/ops/jobs/{job_id}/").status_code == 404
    assert client_for(world["staff_b"]).get(f"{JOBS_URL}{job_id}/pdf/").status_code == 404
    assert staff.post(f"/api/v1/ops/jobs/{job_id}/cancel/").status_code == 409  # finished
    default_storage.delete(Job.objects.get(pk=job_id).result["file"])


def test_pack_job_checks_its_input_at_once(client_for, world):
    staff = client_for(world["staff_a"])
    response = staff.post_json(JOBS_URL, {"from": "2026-02-01", "to": "2026-01-01"})
    assert response.status_code == 400
    assert "from" in response.json()["errors"]
    assert staff.post_json(JOBS_URL, {**JANUARY, "scope": "branch"}).status_code == 400
    assert not Job.objects.exists()


def test_pack_job_cancelled_while_queued_or_running(client_for, world):
    staff = client_for(world["staff_a"])
    queued = staff.post_json(JOBS_URL, JANUARY).json()  # on_commit does not run: it stays queued
    assert staff.post(f"/api/v1/ops/jobs/{queued['id']}/cancel/").json()["status"] == "cancelled"
    assert job_run(job_id=queued["id"]) is None

    running = staff.post_json(JOBS_URL, JANUARY).json()
    Job.objects.filter(pk=running["id"]).update(cancel_requested=True)
    assert job_run(job_id=running["id"]).status == "cancelled"  # stopped at its first progress report
    assert staff.get(f"{JOBS_URL}{running['id']}/pdf/").status_code == 404


def test_pack_job_from_the_celery_task(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        answer = performance_pack_deliver(str(world["agent"].pk), "2026-01-01", "2026-01-31", {"kind": "agent"})
    job = Job.objects.get(pk=answer["job_id"])
    assert (job.status, job.started_by_id) == ("succeeded", world["agent"].pk)
    assert job.result["pack"]["leads"]["new"] == 1
    default_storage.delete(job.result["file"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"from": "2026-02-01", "to": "2026-01-01"}, "from"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "from"),
        ({"to": "2026-01-01"}, "from"),
        ({**JANUARY, "scope": "branch"}, "branch_id"),
        ({**JANUARY, "scope": "galaxy"}, "scope"),
    ],
)
def test_bad_input_is_a_400(client_for, world, body, field):
    response = client_for(world["staff_a"]).post_json(URL, body)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_query_count_is_fixed(client_for, world, django_assert_num_queries):
    client = client_for(world["staff_a"])
    with django_assert_num_queries(11):
        assert client.post_json(URL, JANUARY).status_code == 200


def test_weekly_seller_pack_is_notified_and_emailed(world, settings):
    settings.MESSAGING_OUTBOX = False
    today = date.today()
    pack = seller.seller_pack_build(owner=world["owner"], today=today)
    assert [row["title"] for row in pack["listings"]] == ["Agent's flat"]

    assert seller.seller_pack_send(owner=world["owner"], today=today) is True
    notification = _model("communications.Notification").objects.get(recipient=world["owner"])
    assert "Agent's flat" in notification.body
    assert any(world["owner"].email in m.to for m in mail.outbox)
