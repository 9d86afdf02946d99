"""Agents, branches, the contact and call forms, repairs, arrears and the live payment
status through Django's test client: the same selectors and services as the API, the same
scoping, and refusals explained on the page."""

import io
import re
from datetime import timedelta

import pytest
import respx
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from httpx import Response
from PIL import Image

from domus.accounts.tests.factories import AgentProfileFactory, UserFactory
from domus.accounts.tokens import issue_access
from domus.core.roles import Role
from domus.crm.schemas import LeadFilters
from domus.crm.selectors import lead_list_for_actor
from domus.documents.schemas import DocumentFilters
from domus.documents.selectors import document_list_for_actor
from domus.finance.services.invoices import invoice_issue_for_period
from domus.leasing.selectors import rent_periods_of
from domus.maintenance.schemas import BookingFilters
from domus.maintenance.selectors import work_order_list_for_actor
from domus.organizations.tests.factories import BranchFactory, MembershipFactory
from domus.web.views.repairs import photo_tag

pytestmark = pytest.mark.django_db


def _login(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def _api(user) -> Client:
    return Client(headers={"Authorization": f"Bearer {issue_access(user)}"})


def _leads(estate):
    return list(lead_list_for_actor(actor=estate.staff, filters=LeadFilters()))


def _png(name: str = "leak.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def agent_profile(estate):
    # A second agent, so a lead that went round-robin could land on either.
    MembershipFactory(company=estate.company, role=Role.AGENT, user=UserFactory(role=Role.AGENT))
    return AgentProfileFactory(
        user=estate.agent, company=estate.company, agency_name="Riverside", bio="Ten years in Kilimani."
    )


# Agents, branches, contact --------------------------------------------------------------------


def test_an_agents_page_shows_the_profile_their_homes_and_the_two_forms(estate, agent_profile):
    page = Client().get(f"/agents/{agent_profile.pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Amina" in text
    assert "Ten years in Kilimani." in text
    assert "Kilimani garden flat" in text
    assert 'id="contact-message"' in text
    assert 'id="contact-call"' in text
    listing = Client().get(f"/listings/{estate.listings[0].pk}/").content.decode()
    assert f"/agents/{agent_profile.pk}/" in listing  # the listing links to its agent


def test_a_deactivated_agents_page_is_a_404(estate, agent_profile):
    estate.agent.is_active = False
    estate.agent.save()
    assert Client().get(f"/agents/{agent_profile.pk}/").status_code == 404


def test_contacting_an_agent_makes_a_lead_for_that_agent(estate, agent_profile):
    answer = Client().post(
        "/contact/send/",
        {
            "agent": agent_profile.pk,
            "contact-name": "Njeri",
            "contact-email": "njeri@example.test",
            "contact-message": "Hi",
        },
    )
    assert answer.status_code == 302
    assert answer["Location"] == f"/agents/{agent_profile.pk}/"
    (lead,) = _leads(estate)
    assert (lead.name, lead.email, lead.source) == ("Njeri", "njeri@example.test", "contact_form")
    assert lead.assigned_agent_id == estate.agent.pk


def test_the_honeypot_stores_nothing_and_says_the_same(estate, agent_profile):
    answer = Client().post(
        "/contact/send/",
        {"agent": agent_profile.pk, "contact-name": "Bot", "contact-email": "b@example.test", "contact-website": "x"},
    )
    assert answer.status_code == 302
    assert _leads(estate) == []


def test_a_contact_needs_an_email_or_a_phone(estate):
    answer = Client().post("/contact/send/", {"listing": estate.listings[0].pk, "contact-name": "Njeri"})
    assert answer.status_code == 400
    assert "Give an e-mail address or a phone number." in answer.content.decode()
    assert _leads(estate) == []


def test_scheduling_a_call_needs_a_time_to_come_then_makes_a_lead(estate):
    listing = estate.listings[0]
    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    data = {"listing": listing.pk, "call-name": "Otieno", "call-phone": "+254 711 000 111", "call-preferred_at": past}
    refused = Client().post("/contact/call/", data)
    assert refused.status_code == 400
    assert "Choose a time in the future." in refused.content.decode()
    data["call-preferred_at"] = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    answer = Client().post("/contact/call/", data)
    assert answer.status_code == 302
    assert answer["Location"] == f"/listings/{listing.pk}/"
    (lead,) = _leads(estate)
    assert lead.source == "schedule_call"
    assert lead.preferred_call_at is not None
    assert lead.listing_id == listing.pk


def test_the_contact_forms_count_against_the_apis_rate_limit(estate, settings, rate_limits):
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "contact": "2/h"}
    data = {"contact-name": "N", "contact-email": "n@example.test", "listing": estate.listings[0].pk}
    codes = [Client().post("/contact/send/", data).status_code for _ in range(3)]
    assert codes == [302, 302, 429]


def test_branches_list_and_page_show_active_offices_only(estate):
    office = BranchFactory(company=estate.company, name="Kilimani office", city="Nairobi", phone="+254700000001")
    closed = BranchFactory(company=estate.company, name="Old office", city="Nairobi", is_active=False)
    listing = Client().get("/branches/?city=Nairobi").content.decode()
    assert "Kilimani office" in listing
    assert "Old office" not in listing
    page = Client().get(f"/branches/{office.pk}/")
    assert page.status_code == 200
    assert "Kilimani garden flat" in page.content.decode()
    assert Client().get(f"/branches/{closed.pk}/").status_code == 404
    Client().post("/contact/send/", {"branch": office.pk, "contact-name": "N", "contact-phone": "0711000111"})
    assert [lead.company_id for lead in _leads(estate)] == [estate.company.pk]


# Repairs ----------------------------------------------------------------------------------------


def _captcha(page) -> tuple[str, str]:
    text = page.content.decode()
    challenge = re.search(r'name="challenge" value="([^"]+)"', text).group(1)
    a, b = re.search(r"What is (\d+) \+ (\d+)\?", text).groups()
    return challenge, str(int(a) + int(b))


def test_a_visitor_books_a_repair_with_the_captcha(estate):
    browser = Client()
    challenge, answer = _captcha(browser.get("/repairs/"))
    data = {"name": "Wanjiku", "email": "w@example.test", "message": "The gate is stuck.", "challenge": challenge}
    refused = browser.post("/repairs/", {**data, "captcha": "99"})
    assert refused.status_code == 400
    assert "Wrong answer." in refused.content.decode()
    booked = browser.post("/repairs/", {**data, "captcha": answer})
    assert booked.status_code == 302
    assert "Your repair is booked" in browser.get(booked["Location"]).content.decode()
    (row,) = work_order_list_for_actor(actor=estate.staff, filters=BookingFilters())
    assert (row.name, row.requester_id, row.lease_id) == ("Wanjiku", None, None)
    again = browser.post("/repairs/", {**data, "captcha": answer})  # a captcha is good once
    assert again.status_code == 400


def test_a_tenant_files_a_repair_with_a_photo_and_follows_its_status(estate):
    tenant = _login(estate.tenant)
    answer = tenant.post(
        "/repairs/",
        {"name": "T", "email": "tenant@example.test", "message": "The sink leaks.", "photos": [_png()]},
    )
    assert answer.status_code == 302
    (row,) = work_order_list_for_actor(actor=estate.tenant, filters=BookingFilters())
    assert row.lease_id == estate.lease.pk
    assert answer["Location"] == f"/repairs/{row.pk}/"
    page = tenant.get(answer["Location"]).content.decode()
    assert "The sink leaks." in page
    assert 'aria-current="step">Requested' in page
    (photo,) = document_list_for_actor(actor=estate.staff, filters=DocumentFilters(tag=photo_tag(row.pk)))
    assert photo.lease_id == estate.lease.pk
    assert photo.category == "photo"
    image = tenant.get(f"/repairs/{row.pk}/photos/{photo.pk}/")
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    assert "My repair requests" in tenant.get("/repairs/mine/").content.decode()
    # Nobody else reads the request or its photo.
    other = _login(estate.other_tenant)
    assert other.get(f"/repairs/{row.pk}/").status_code == 404
    assert other.get(f"/repairs/{row.pk}/photos/{photo.pk}/").status_code == 404
    assert other.post(f"/repairs/{row.pk}/photos/", {"photos": [_png()]}).status_code == 404


def test_a_tenant_adds_photos_later_and_a_text_file_is_refused(estate):
    tenant = _login(estate.tenant)
    tenant.post("/repairs/", {"name": "T", "email": "tenant@example.test", "message": "Door."})
    (row,) = work_order_list_for_actor(actor=estate.tenant, filters=BookingFilters())
    tenant.post(f"/repairs/{row.pk}/photos/", {"photos": [_png("a.png"), _png("b.png")]})
    assert len(document_list_for_actor(actor=estate.tenant, filters=DocumentFilters(tag=photo_tag(row.pk)))) == 2
    refused = tenant.post(
        f"/repairs/{row.pk}/photos/", {"photos": [SimpleUploadedFile("x.png", b"not an image", "image/png")]}
    )
    assert "Photos are JPEG, PNG or WebP images." in tenant.get(refused["Location"]).content.decode()
    truncated = SimpleUploadedFile("y.png", b"\x89PNG\r\n\x1a\nxx")
    broken = tenant.post(f"/repairs/{row.pk}/photos/", {"photos": [truncated]})
    # The documents' own check refuses what only looks like an image.
    assert "The file is not a readable image." in tenant.get(broken["Location"]).content.decode()
    assert len(document_list_for_actor(actor=estate.tenant, filters=DocumentFilters(tag=photo_tag(row.pk)))) == 2


# Arrears ----------------------------------------------------------------------------------------


def _late_invoice(estate, days: int):
    """The lease's first rent invoice, due ``days`` ago (the period's due day moved back)."""
    period = rent_periods_of(lease=estate.lease).order_by("period_start").first()
    period.due_date = timezone.localdate() - timedelta(days=days)
    period.save(update_fields=["due_date"])
    return invoice_issue_for_period(period=period)


def test_the_owner_sees_arrears_on_the_page_and_through_the_api(estate):
    late = _late_invoice(estate, days=10)
    page = _login(estate.owner).get("/owner/arrears/").content.decode()
    assert late.display_number in page
    assert estate.invoice.display_number not in page
    assert "30,000" in page
    assert "30,000" in _login(estate.owner).get("/owner/").content.decode()
    api = _api(estate.owner).get(
        f"/api/v1/finance/owners/{estate.owner.pk}/arrears/", {"company_id": estate.company.pk}
    )
    body = api.json()
    assert [row["number"] for row in body["invoices"]] == [late.display_number]
    assert body["invoices"][0]["days_late"] == 10
    assert body["totals"] == {"KES": body["invoices"][0]["balance"]}


def test_nobody_reads_another_owners_arrears(estate):
    _late_invoice(estate, days=3)
    stranger = UserFactory(role=Role.OWNER)
    api = _api(stranger).get(f"/api/v1/finance/owners/{estate.owner.pk}/arrears/", {"company_id": estate.company.pk})
    assert api.status_code == 404
    assert "Nothing is owed" not in _login(stranger).get("/owner/arrears/").content.decode()
    assert "INV-" not in _login(stranger).get("/owner/arrears/").content.decode()


# Payment status, live ------------------------------------------------------------------------------


def test_a_pending_payment_carries_a_token_for_the_websocket_and_a_final_one_does_not(estate, settings):
    from domus.accounts.auth import user_from_access_token

    accepted = {
        "MerchantRequestID": "M-1",
        "CheckoutRequestID": "ws_CO_1",
        "ResponseCode": "0",
        "ResponseDescription": "Success. Request accepted for processing",
        "CustomerMessage": "Success. Request accepted for processing",
    }
    tenant = _login(estate.tenant)
    with respx.mock(assert_all_called=False) as router:  # the simulator, faked at the HTTP boundary
        router.get(url__regex=r".*/oauth/.*").mock(return_value=Response(200, json={"access_token": "T"}))
        router.post(url__startswith=settings.MPESA_SIMULATOR_URL).mock(return_value=Response(200, json=accepted))
        answer = tenant.post(f"/tenant/invoices/{estate.invoice.pk}/pay/", {"phone": "0712345678"})
    assert answer.status_code == 302
    text = tenant.get(answer["Location"]).content.decode()
    token = re.search(r'data-live-token="([^"]+)"', text).group(1)
    assert user_from_access_token(token) == estate.tenant  # a short-lived token of the page's own user
    assert "every 2s [!window.domusLive]" in text  # the polling stays, paused while the socket is live


def test_the_new_pages_speak_swahili(estate, agent_profile):
    swahili = Client(headers={"Accept-Language": "sw"})
    assert "ni ngapi?" in swahili.get("/repairs/").content.decode()  # the captcha's sum, asked in Swahili
    assert "Panga simu" in swahili.get(f"/agents/{agent_profile.pk}/").content.decode()
    assert "Ofisi zetu" in swahili.get("/branches/").content.decode()
