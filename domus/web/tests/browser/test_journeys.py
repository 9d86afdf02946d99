"""The journeys of the issue in a real browser (Chromium through Playwright): a visitor
searches, filters, moves the map and sees its clusters change, opens a listing, signs up,
activates the account from the e-mail and books a viewing; a tenant pays an invoice on the
M-Pesa simulator and sees it turn paid without a reload; an owner downloads a statement;
the reading journeys and forms again with JavaScript off; axe-core on every page."""

import re
from decimal import Decimal

import pytest
from django.core import mail

from domus.core.install_secrets import read_or_create
from domus.properties.tests.factories import ListingFactory
from domus.web.tests.browser.conftest import audit, open_page, screenshot
from domus.web.tests.conftest import PASSWORD, make_estate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD_FIELD = "#id_password"
WIDE = {"width": 1400, "height": 900}


@pytest.fixture
def estate():
    """The page tests' estate and a crowd of 140 flats around Nairobi, so the map clusters."""
    world = make_estate()
    for i in range(140):
        ListingFactory(
            title=f"Nairobi flat {i}",
            latitude=Decimal("-1.2000") - Decimal(i % 14) * Decimal("0.012"),
            longitude=Decimal("36.7000") + Decimal(i // 14) * Decimal("0.015"),
            price=Decimal(3_000_000 + i * 50_000),
            company=world.company,
            owner=world.owner,
            agent=world.agent,
        )
    return world


def _log_in(page, base: str, identifier: str, next_path: str = "") -> None:
    page.goto(f"{base}/account/login/" + (f"?next={next_path}" if next_path else ""))
    page.fill("#id_identifier", identifier)
    page.fill(PASSWORD_FIELD, PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")


def _map_signature(page) -> str:
    page.wait_for_selector("#map[data-state=loaded]")
    return page.eval_on_selector("#map", "m => [m.dataset.clusters, m.dataset.points, m.dataset.total].join('/')")


def test_a_visitor_searches_moves_the_map_signs_up_and_books_a_viewing(chromium, live_server, estate, mailoutbox):
    base = live_server.url
    page = chromium.new_page(viewport=WIDE)
    open_page(page, f"{base}/", "home")
    page.select_option("#id_listing_type", "sale")
    page.click(".searchbox button")
    page.wait_for_load_state("networkidle")
    open_page(page, page.url, "search")  # weighed (and checked) as loaded from its address
    assert "homes" in page.inner_text("#count")

    # A new size of the window (the map is 70 % of its height) redraws the clusters for the
    # new box but searches nothing: only the visitor's drag or zoom searches the box.
    searched = []

    def note_search(request):
        if "bbox=" in request.url and "/api/" not in request.url:
            searched.append(request.url)

    page.on("request", note_search)
    page.eval_on_selector("#map", "m => { m.dataset.state = 'resizing'; }")
    page.set_viewport_size({"width": WIDE["width"], "height": 1300})
    page.wait_for_function("document.querySelector('#map').dataset.state === 'loaded'")
    page.remove_listener("request", note_search)
    page.set_viewport_size(WIDE)
    assert searched == []
    assert "bbox=" not in page.url

    # A filter refreshes the results in place (htmx) and the map with them.
    before = page.inner_text("#count")
    page.select_option("#id_property_type", "apartment")
    page.wait_for_function(f"document.querySelector('#count').innerText !== {before!r}")
    assert "property_type=apartment" in page.url
    first = _map_signature(page)
    assert int(page.eval_on_selector("#map", "m => m.dataset.clusters")) > 0  # 140 flats: clustered
    assert page.locator("#map .place", has_text="Nairobi").count() == 1  # no tiles: the places are named

    # Moving (zooming) the map asks the server for the clusters of the new box and
    # searches that box.
    page.eval_on_selector("#map", "m => { m.dataset.state = 'moving'; }")
    box = page.locator("#map").bounding_box()
    page.mouse.dblclick(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    # The form's own empty ``bbox=`` is in the address already: wait for the box's value,
    # and for the map's clusters of the new box (a "loaded" left by the filter's redraw
    # may still stand when the zoom begins).
    page.wait_for_function("/[?&]bbox=[^&]/.test(location.search)")
    page.wait_for_function(
        "([first]) => { const m = document.querySelector('#map'); return m.dataset.state === 'loaded'"
        " && [m.dataset.clusters, m.dataset.points, m.dataset.total].join('/') !== first; }",
        arg=[first],
    )
    assert _map_signature(page) != first
    screenshot(page, "search-map-moved")

    # A listing.
    page.click("#results .card a")
    page.wait_for_load_state("networkidle")
    listing_path = page.evaluate("location.pathname")
    open_page(page, page.url, "listing")
    assert page.locator("h1").inner_text()
    assert page.locator("svg.chart, #listing-map").count() >= 1

    # Sign up; the activation link comes by e-mail.
    open_page(page, f"{base}/account/signup/", "signup")
    page.fill("#id_email", "wanjiru@example.test")
    page.fill("#id_first_name", "Wanjiru")
    page.fill(PASSWORD_FIELD, PASSWORD)
    page.fill("#id_password_confirm", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")
    audit(page, "signup-done")
    link = re.search(r"(http://\S+/account/activate/\S+)", mail.outbox[-1].body).group(1)
    open_page(page, link, "activate")
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "active" in page.inner_text("main")

    # Log in, come back to the listing and book one of the agent's free times.
    _log_in(page, base, "wanjiru@example.test", listing_path)
    assert page.evaluate("location.pathname") == listing_path
    audit(page, "listing-signed-in")
    page.click("#viewing button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("location.pathname") == "/account/viewings/"
    audit(page, "my-viewings")
    assert page.locator("table tbody tr").count() == 1


def test_a_tenant_pays_an_invoice_on_the_simulator_and_sees_it_paid_without_reloading(
    chromium, live_server, estate, settings
):
    base = live_server.url
    settings.MPESA_CONSUMER_KEY = ""  # the embedded default: the simulator answers
    settings.MPESA_CALLBACK_TOKEN = read_or_create("mpesa-callback-token")
    settings.MPESA_CALLBACK_ALLOWED_IPS = []
    settings.MPESA_SIMULATOR_URL = f"{base}/api/v1/finance/mpesa-simulator"
    settings.MPESA_CALLBACK_URL = f"{base}/api/v1/finance/payments/mpesa/callback/"
    settings.MPESA_SIMULATOR_CALLBACK_DELAY = 1.0
    page = chromium.new_page(viewport=WIDE)
    _log_in(page, base, "tenant")
    open_page(page, f"{base}/tenant/invoices/", "tenant-invoices")
    page.click(f"text={estate.invoice.display_number}")
    page.wait_for_load_state("networkidle")
    audit(page, "tenant-invoice")
    page.evaluate("window.__samePage = true")
    page.fill("#id_phone", "0712345678")
    page.click("#pay button[type=submit]")
    page.wait_for_selector("#payment-status.pending")
    page.wait_for_selector("#payment-status.paid", timeout=30_000)
    assert page.evaluate("window.__samePage === true")  # no reload: htmx swapped the status in
    assert "Paid" in page.inner_text("#payment-status")
    assert page.inner_text("#invoice-status") == "Paid"  # the invoice's own status, swapped out of band
    screenshot(page, "tenant-paid")
    estate.invoice.refresh_from_db()
    assert estate.invoice.status == "paid"


def test_an_owner_sees_their_properties_and_downloads_a_statement(chromium, live_server, estate):
    base = live_server.url
    page = chromium.new_page(viewport=WIDE)
    _log_in(page, base, "owner")
    open_page(page, f"{base}/owner/", "owner")
    assert "Lavington two-bedroom" in page.inner_text("main")
    open_page(page, f"{base}/owner/statement/", "owner-statement")
    with page.expect_download() as download:
        page.click("main button[type=submit]")
    path = download.value.path()
    with open(path, "rb") as pdf:
        assert pdf.read(4) == b"%PDF"
    for name, path in (("owner-payouts", "/owner/payouts/"), ("owner-offers", "/owner/offers/")):
        open_page(page, f"{base}{path}", name)


def test_every_other_page_passes_axe_and_the_budget(chromium, live_server, estate):
    base = live_server.url
    page = chromium.new_page(viewport=WIDE)
    open_page(page, f"{base}/no-such-page/", "not-found")
    open_page(page, f"{base}/account/login/", "login")
    open_page(page, f"{base}/account/forgot-password/", "forgot-password")
    open_page(page, f"{base}/account/reset-password/?token=x", "reset-password")
    _log_in(page, base, "tenant")
    for name, path in (
        ("account", "/account/"),
        ("favorites", "/account/favorites/"),
        ("saved-searches", "/account/saved-searches/"),
        ("offers", "/account/offers/"),
        ("tenant-leases", "/tenant/leases/"),
        ("preferences", "/account/preferences/"),
        ("messages", "/messages/"),
        ("search-sw", "/search/?city=Mombasa"),
    ):
        if name == "search-sw":
            page.select_option("#language", "sw")
            page.click(".language button")
            page.wait_for_load_state("networkidle")
        open_page(page, f"{base}{path}", name)
    assert "Tafuta" in page.inner_text("header")


def test_reading_and_forms_work_with_javascript_off(chromium, live_server, estate):
    base = live_server.url
    context = chromium.new_context(java_script_enabled=False, viewport=WIDE)
    page = context.new_page()
    open_page(page, f"{base}/search/", "nojs-search", check=False)
    page.fill("#id_city", "Mombasa")
    page.click("#search-form button[type=submit]")
    page.wait_for_load_state()
    assert "city=Mombasa" in page.url
    assert page.locator("#results .card").count() == 2
    page.click(".facets a >> nth=0")  # a facet is a plain link
    page.wait_for_load_state()
    assert "property_type=" in page.url
    page.goto(f"{base}/search/")
    page.click(".pagination a[rel=next]")
    page.wait_for_load_state()
    assert "page=2" in page.url
    page.click("#results .card a >> nth=0")
    page.wait_for_load_state()
    assert page.locator(".facts-grid").count() == 1
    screenshot(page, "nojs-listing")
    listing_path = page.evaluate("location.pathname")
    # Forms post without JavaScript: log in, save the listing, book a viewing.
    _log_in(page, base, "tenant", listing_path)
    page.click("#favorite button")
    page.wait_for_load_state()
    assert "Saved" in page.inner_text("#favorite")
    page.click("#viewing button[type=submit]")
    page.wait_for_load_state()
    assert page.evaluate("location.pathname") == "/account/viewings/"
    context.close()
