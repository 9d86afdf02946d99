"""More journeys in Chromium: a visitor contacts an agent and schedules a call; a tenant
files a repair request with a photo and follows its status, and a visitor books one with
the captcha; an owner sees arrears; a payment's status arrives over the WebSocket (the
polling paused meanwhile). JavaScript off where the journey is reading or forms; axe-core
and the page budget on every new page; screenshots in ``var/browser/``."""

import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from domus.accounts.tests.factories import AgentProfileFactory
from domus.core.install_secrets import read_or_create
from domus.leasing.selectors import rent_periods_of
from domus.maintenance.schemas import BookingFilters
from domus.maintenance.selectors import work_order_list_for_actor
from domus.maintenance.services import booking_move
from domus.organizations.tests.factories import BranchFactory
from domus.web.tests.browser.conftest import audit, open_page, screenshot
from domus.web.tests.conftest import PASSWORD, make_estate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDE = {"width": 1400, "height": 900}


@pytest.fixture
def estate():
    world = make_estate()
    world.profile = AgentProfileFactory(
        user=world.agent, company=world.company, agency_name="Riverside", languages=["English", "Kiswahili"]
    )
    world.branch = BranchFactory(
        company=world.company, name="Kilimani office", city="Nairobi", latitude=-1.29, longitude=36.78
    )
    return world


def _log_in(page, base: str, identifier: str) -> None:
    page.goto(f"{base}/account/login/")
    page.fill("#id_identifier", identifier)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")


def _submit(page, form: str) -> None:
    page.click(f"{form} button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_a_visitor_contacts_an_agent_and_schedules_a_call(chromium, live_server, estate):
    base = live_server.url
    page = chromium.new_page(viewport=WIDE)
    page.goto(f"{base}/listings/{estate.listings[0].pk}/")
    page.click("#agent-title ~ p a")  # the listing's agent
    page.wait_for_load_state("networkidle")
    open_page(page, page.url, "agent")
    assert "Amina" in page.inner_text("h1")
    page.fill("#id_contact-name", "Njeri")
    page.fill("#id_contact-email", "njeri@example.test")
    page.fill("#id_contact-message", "Is the garden flat still free?")
    _submit(page, "#contact-message")
    assert "your request is received" in page.inner_text(".messages")
    screenshot(page, "agent-contacted")

    page.fill("#id_call-name", "Njeri")
    page.fill("#id_call-phone", "+254 711 000 111")
    page.fill("#id_call-preferred_at", "2020-01-01T10:00")  # in the past: explained
    _submit(page, "#contact-call")
    assert "Choose a time in the future." in page.inner_text("main")
    audit(page, "contact-refused")

    # Schedule a call with JavaScript off: a plain form that posts and redirects.
    context = chromium.new_context(java_script_enabled=False, viewport=WIDE)
    nojs = context.new_page()
    nojs.goto(f"{base}/agents/{estate.profile.pk}/")
    nojs.fill("#id_call-name", "Njeri")
    nojs.fill("#id_call-phone", "+254 711 000 111")
    tomorrow = timezone.localtime() + timedelta(days=1)
    nojs.fill("#id_call-preferred_at", tomorrow.strftime("%Y-%m-%dT10:00"))
    _submit(nojs, "#contact-call")
    assert nojs.evaluate("location.pathname") == f"/agents/{estate.profile.pk}/"
    assert "your request is received" in nojs.inner_text(".messages")
    context.close()

    for name, path in (
        ("contact", f"/contact/?listing={estate.listings[0].pk}"),
        ("branches", "/branches/"),
        ("branch", f"/branches/{estate.branch.pk}/"),
    ):
        open_page(page, f"{base}{path}", name)
    assert int(page.eval_on_selector("#listing-map", "m => m.dataset.places")) > 0  # a label without tiles


def _photo(tmp_path) -> str:
    path = tmp_path / "leak.png"
    image = Image.new("RGB", (120, 90), (30, 90, 160))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def test_a_tenant_files_a_repair_with_a_photo_and_sees_its_status(chromium, live_server, estate, tmp_path):
    base = live_server.url
    page = chromium.new_page(viewport=WIDE)
    _log_in(page, base, "tenant")
    open_page(page, f"{base}/repairs/", "repair-book-tenant")
    assert page.locator("#id_captcha").count() == 0  # signed in: no captcha
    page.fill("#id_message", "The kitchen sink leaks under the cupboard.")
    page.set_input_files("#id_photos", _photo(tmp_path))
    _submit(page, "#repair-form")
    assert re.search(r"/repairs/[0-9a-f-]{36}/$", page.url)
    open_page(page, page.url, "repair")
    assert page.inner_text("#repair-status") == "Requested"
    assert page.eval_on_selector(".thumbs img", "img => img.complete && img.naturalWidth") == 120

    # The company's staff look at it: the tenant sees the new status on the next visit.
    (row,) = work_order_list_for_actor(actor=estate.staff, filters=BookingFilters())
    booking_move(actor=estate.staff, work_order_id=row.pk, to="triaged", reason="A plumber will call.")
    page.reload(wait_until="networkidle")
    assert page.inner_text("#repair-status") == "Looked at"
    assert "A plumber will call." in page.inner_text("table")
    screenshot(page, "repair-triaged")
    open_page(page, f"{base}/repairs/mine/", "repairs-mine")

    # A visitor books one with JavaScript off, answering the captcha.
    open_page(chromium.new_page(viewport=WIDE), f"{base}/repairs/", "repair-book-visitor")  # axe, scripts on
    context = chromium.new_context(java_script_enabled=False, viewport=WIDE)
    visitor = context.new_page()
    open_page(visitor, f"{base}/repairs/", "nojs-repair-book", check=False)
    a, b = re.search(r"(\d+) \+ (\d+)", visitor.inner_text("label[for=id_captcha]")).groups()
    visitor.fill("#id_name", "Wanjiku")
    visitor.fill("#id_email", "wanjiku@example.test")
    visitor.fill("#id_message", "The gate does not close.")
    visitor.fill("#id_captcha", str(int(a) + int(b)))
    _submit(visitor, "#repair-form")
    assert "Your repair is booked" in visitor.inner_text(".messages")
    context.close()


def test_an_owner_sees_arrears(chromium, live_server, estate):
    period = rent_periods_of(lease=estate.lease).order_by("period_start").first()
    period.due_date = timezone.localdate() - timedelta(days=9)
    period.save(update_fields=["due_date"])
    from domus.finance.services.invoices import invoice_issue_for_period

    late = invoice_issue_for_period(period=period)
    base = live_server.url
    context = chromium.new_context(java_script_enabled=False, viewport=WIDE)  # reading: no script needed
    page = context.new_page()
    _log_in(page, base, "owner")
    page.goto(f"{base}/owner/")
    page.click("text=Owed and late (arrears) >> xpath=following-sibling::dd[1]//a")
    page.wait_for_load_state()
    open_page(page, page.url, "owner-arrears", check=False)
    assert late.display_number in page.inner_text("table")
    assert "Lavington two-bedroom" in page.inner_text("table")
    context.close()
    page = chromium.new_page(viewport=WIDE)
    _log_in(page, base, "owner")
    open_page(page, f"{base}/owner/arrears/", "owner-arrears")  # axe, with scripts on


def test_a_payment_turns_paid_over_the_websocket_without_polling(chromium, asgi_server, estate, settings):
    base = asgi_server
    settings.MPESA_CONSUMER_KEY = ""  # the embedded default: the simulator answers
    settings.MPESA_CALLBACK_TOKEN = read_or_create("mpesa-callback-token")
    settings.MPESA_CALLBACK_ALLOWED_IPS = []
    settings.MPESA_SIMULATOR_URL = f"{base}/api/v1/finance/mpesa-simulator"
    settings.MPESA_CALLBACK_URL = f"{base}/api/v1/finance/payments/mpesa/callback/"
    settings.MPESA_SIMULATOR_CALLBACK_DELAY = 4.0  # two polls' time, had the page polled
    page = chromium.new_page(viewport=WIDE)
    _log_in(page, base, "tenant")
    page.goto(f"{base}/tenant/invoices/{estate.invoice.pk}/", wait_until="networkidle")
    seen: list[tuple[str, str]] = []  # what reached the page, in order: status requests, socket frames
    page.on("request", lambda r: seen.append(("request", r.url)) if "/tenant/payments/" in r.url else None)
    page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: seen.append(("frame", str(frame)))))
    page.evaluate("window.__samePage = true")
    page.fill("#id_phone", "0712345678")
    page.click("#pay button[type=submit]")
    page.wait_for_selector("body[data-live=on]", timeout=10_000)  # subscribed: the polling pauses
    page.wait_for_selector("#payment-status.paid", timeout=30_000)
    assert page.evaluate("window.__samePage === true")
    assert page.inner_text("#invoice-status") == "Paid"
    # The payment's notification came over the socket, and the last status request followed it.
    kinds = [kind for kind, text in seen if kind == "request" or '"notification"' in text]
    assert "frame" in kinds, seen
    assert "request" in kinds[kinds.index("frame") + 1 :], seen
    screenshot(page, "tenant-paid-live")


def test_an_owner_approves_a_repair_quote_and_a_tenants_answer_makes_an_emergency(chromium, live_server, estate):
    from decimal import Decimal

    from django.apps import apps

    from domus.maintenance import services as maintenance

    preset = apps.get_model("maintenance", "IssuePreset").objects.create(name="Water leak", category="Plumbing")
    question = apps.get_model("maintenance", "Question")
    question.objects.create(
        issue=preset, text="Is water near sockets or wiring?", kind="yes_no", required=True, emergency_answer="yes"
    )
    question.objects.create(issue=preset, text="Which room?", kind="choice", choices=["Kitchen", "Bathroom"])
    base = live_server.url

    # The tenant picks the problem; its questions arrive without a reload (htmx).
    page = chromium.new_page(viewport=WIDE)
    _log_in(page, base, "tenant")
    page.goto(f"{base}/repairs/")
    page.select_option("#id_issue", label="Water leak")
    page.wait_for_selector("text=Is water near sockets or wiring?")
    page.fill("#id_message", "Water runs down the wall by the cooker.")
    page.check("#repair-questions input[value=yes]")
    page.check("#repair-questions input[value=Kitchen]")
    audit(page, "repair-book-questions")
    _submit(page, "#repair-form")
    assert "it is handled first" in page.inner_text(".messages")
    (job,) = work_order_list_for_actor(actor=estate.staff, filters=BookingFilters())
    assert job.priority == "emergency"

    # Without scripts the questions come after a first submit.
    context = chromium.new_context(java_script_enabled=False, viewport=WIDE)
    nojs = context.new_page()
    _log_in(nojs, base, "tenant")
    nojs.goto(f"{base}/repairs/")
    assert nojs.locator("text=Is water near sockets or wiring?").count() == 0
    nojs.select_option("#id_issue", label="Water leak")
    nojs.fill("#id_message", "A drip under the basin.")
    nojs.click("button[name=step]")
    nojs.wait_for_load_state()
    nojs.check("#repair-questions input[value=no]")
    nojs.click("#repair-book")  # the first button of the form is "Show the questions"
    nojs.wait_for_load_state("networkidle")
    assert re.search(r"/repairs/[0-9a-f-]{36}/$", nojs.url)
    context.close()

    # The desk quotes above the owner's limit: the owner approves it on the web.
    maintenance.threshold_set(actor=estate.staff, company_id=estate.company.pk, owner_id=None, amount=Decimal(5000))
    maintenance.booking_move(actor=estate.staff, work_order_id=job.pk, to="triaged")
    maintenance.costing_update(
        actor=estate.staff,
        work_order_id=job.pk,
        data={"estimate_amount": Decimal("7500.00"), "estimate_note": "Rewire the cooker point"},
    )
    owner = chromium.new_page(viewport=WIDE)
    _log_in(owner, base, "owner")
    owner.goto(f"{base}/owner/")
    owner.click(".subnav >> text=Repair approvals")
    owner.wait_for_load_state("networkidle")
    open_page(owner, owner.url, "owner-approvals")
    assert "Rewire the cooker point" in owner.inner_text("article")
    owner.click("article button[value=approve]")
    owner.wait_for_load_state("networkidle")
    assert "You approved the repair quote" in owner.inner_text(".messages")
    assert "Approved" in owner.inner_text("article .outcome")
    audit(owner, "owner-approvals-decided")
    job.refresh_from_db()
    assert job.status == "triaged"


def test_an_answer_brings_a_photo_question_with_and_without_scripts(chromium, live_server, estate, tmp_path):
    from django.apps import apps

    preset = apps.get_model("maintenance", "IssuePreset").objects.create(name="Damp wall", category="Building")
    question = apps.get_model("maintenance", "Question")
    near = question.objects.create(issue=preset, text="Is the wall wet now?", kind="yes_no", required=True, position=1)
    question.objects.create(
        issue=preset, text="A photo of the wet wall", kind="photo", required=True, position=2,
        show_if_question=near, show_if_answer="yes",
    )  # fmt: skip
    photo = tmp_path / "wall.png"
    Image.new("RGB", (60, 40), (90, 90, 200)).save(photo, format="PNG")
    base = live_server.url

    # With scripts: "yes" brings the photo question in place; the photo is the answer.
    page = chromium.new_page(viewport=WIDE)
    _log_in(page, base, "tenant")
    page.goto(f"{base}/repairs/")
    page.evaluate("window.__samePage = true")
    page.select_option("#id_issue", label="Damp wall")
    page.wait_for_selector("text=Is the wall wet now?")
    assert page.locator("text=A photo of the wet wall").count() == 0
    page.check("#repair-questions input[value=yes]")
    page.wait_for_selector("text=A photo of the wet wall")
    assert page.evaluate("window.__samePage === true")  # no reload
    page.check("#repair-questions input[value=yes]")  # the answer stays chosen after the swap
    page.set_input_files("#repair-questions input[type=file]", str(photo))
    page.fill("#id_message", "The wall behind the wardrobe is wet.")
    audit(page, "repair-book-photo-question")
    page.click("#repair-book")  # the form's first button is the no-script "Show the questions for these answers"
    page.wait_for_load_state("networkidle")
    assert re.search(r"/repairs/[0-9a-f-]{36}/$", page.url)
    (job,) = work_order_list_for_actor(actor=estate.staff, filters=BookingFilters())
    assert job.responses.get(question__kind="photo").photo.content_type == "image/png"

    # Without scripts: a step brings the questions, another the one the answer leads to.
    context = chromium.new_context(java_script_enabled=False, viewport=WIDE)
    nojs = context.new_page()
    _log_in(nojs, base, "tenant")
    nojs.goto(f"{base}/repairs/")
    nojs.select_option("#id_issue", label="Damp wall")
    nojs.fill("#id_message", "Damp again.")
    nojs.click("button[name=step]")
    nojs.wait_for_load_state()
    nojs.check("#repair-questions input[value=yes]")
    nojs.click("#repair-questions button[name=step]")
    nojs.wait_for_load_state()
    assert nojs.locator("text=A photo of the wet wall").count() == 1
    nojs.set_input_files("#repair-questions input[type=file]", str(photo))
    nojs.click("#repair-book")
    nojs.wait_for_load_state("networkidle")
    assert re.search(r"/repairs/[0-9a-f-]{36}/$", nojs.url)
    context.close()
