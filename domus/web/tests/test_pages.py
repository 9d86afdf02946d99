"""The web pages through Django's test client: the same selectors and services as the
API, the same scoping (nobody reads another person's rows), forms that explain refusals,
friendly error pages, and both languages."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.properties.tests.factories import FeatureFactory, ListingFactory
from domus.web.templatetags.web import money
from domus.web.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _titles(response) -> list[str]:
    return re.findall(r"<h3>([^<]+)</h3>", response.content.decode())


def _login(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


# Layout, errors, languages -----------------------------------------------------------------


def test_the_root_is_the_portal_home_and_the_api_index_moved_to_api(estate):
    page = Client().get("/")
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    assert 'role="search"' in page.content.decode()
    assert "Kilimani garden flat" in page.content.decode()
    index = Client().get("/api/")
    assert index.json()["docs"].endswith("/api/docs/")


def test_an_unknown_page_is_the_friendly_404_and_the_api_keeps_its_json_404():
    page = Client().get("/no-such-page/")
    assert page.status_code == 404
    assert "This page is not here" in page.content.decode()
    assert Client().get("/api/v1/no-such-thing/").json()["code"] == "NOT_FOUND_ERROR"


def test_the_500_page_renders_without_a_request():
    from django.template.loader import render_to_string

    assert "Something went wrong on our side" in render_to_string("500.html")


def test_pages_speak_swahili_when_the_browser_asks_for_it(estate):
    page = Client(headers={"Accept-Language": "sw"}).get("/search/?city=Nairobi")
    text = page.content.decode()
    assert '<html lang="sw">' in text
    assert "Tafuta nyumba" in text
    assert "Ksh" in text
    api = Client(headers={"Accept-Language": "sw"}).get("/api/v1/properties/")
    assert "Content-Language" not in api  # the API answers in English, untouched


def test_the_api_skips_the_pages_middleware_and_the_pages_keep_it():
    customer = UserFactory(role=Role.CUSTOMER)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(customer)  # a session cookie
    assert browser.get("/account/favorites/").status_code == 200  # the pages know the session
    api = browser.get("/api/v1/accounts/me/", headers={"Accept-Language": "sw"})
    assert api.status_code == 401  # the API knows bearer tokens only, never the session
    assert "Cookie" not in api.get("Vary", "")
    assert "Content-Language" not in api
    assert not api.cookies  # no session or CSRF cookie set by an API answer
    assert browser.post("/i18n/setlang/", {"language": "sw", "next": "/"}).status_code == 403  # CSRF


def test_the_language_switch_remembers_the_choice():
    browser = Client()
    browser.post("/i18n/setlang/", {"language": "sw", "next": "/"})
    assert "Pata nyumba yako ijayo" in browser.get("/").content.decode()


def test_money_is_grouped_with_its_currency_for_the_language():
    with translation.override("en"):
        assert money(Decimal("1234500.00"), "KES") == "KES\xa01,234,500"
        assert money("12.5", "USD") == "$\xa012.50"
    with translation.override("sw"):
        assert money(Decimal("1234500"), "KES") == "Ksh\xa01,234,500"


# Search ---------------------------------------------------------------------------------------


def test_search_filters_by_type_price_bedrooms_city_features_and_text(estate):
    browser = Client()
    assert set(_titles(browser.get("/search/?city=Mombasa"))) == {"Nyali beach villa", "Bamburi studio"}
    assert _titles(browser.get("/search/?property_type=house")) == ["Karen family house"]
    found = _titles(browser.get("/search/?min_price=20000000&max_price=50000000&city=Nairobi"))
    assert set(found) == {"Westlands penthouse", "Karen family house"}
    assert set(_titles(browser.get("/search/?min_bedrooms=5"))) == {"Karen family house", "Nyali beach villa"}
    both = _titles(browser.get("/search/?features=garden&features=parking"))
    assert both == ["Karen family house"]
    assert _titles(browser.get("/search/?q=penthouse")) == ["Westlands penthouse"]
    assert _titles(browser.get("/search/?listing_type=rent&sort=price")) == ["Bamburi studio", "Lavington two-bedroom"]


def test_search_shows_facet_counts_and_pages(estate, settings):
    settings.WEB_PAGE_SIZE = 2
    page = Client().get("/search/")
    text = page.content.decode()
    assert "6 homes" in text
    assert re.search(r"Nairobi <span class=\"count\">4</span>", text)
    assert "Page 1 of 3" in text
    second = Client().get("/search/?page=2")
    assert len(_titles(second)) == 2
    assert "Page 2 of 3" in second.content.decode()


def test_text_and_map_searches_count_facets_exactly_below_the_cap(estate, settings):
    settings.WEB_FACETS_COUNT_UP_TO = 10
    text = Client().get("/search/?bbox=36.6,-1.4,37.0,-1.1").content.decode()
    assert re.search(r"Nairobi <span class=\"count\">4</span>", text)
    assert "facets-capped" not in text


def test_facets_over_more_matches_than_the_cap_are_shown_as_lower_bounds(estate, settings):
    settings.WEB_FACETS_COUNT_UP_TO = 3
    # A map box around the whole country: not answered by the roll-up, 6 matches > 3 counted.
    text = Client().get("/search/?bbox=33.0,-5.0,42.0,5.0").content.decode()
    assert "6 homes" in text  # the result count stays exact
    assert 'id="facets-capped"' in text
    assert "Counted among the first 3 matches" in text
    counts = [int(n) for n in re.findall(r'<span class="count">(\d+)\+</span>', text)]
    assert counts
    assert not re.search(r'<span class="count">\d+</span>', text)  # no bare (exact-looking) number
    types = re.search(r"Type</summary><ul>(.*?)</ul>", text, re.S).group(1)
    assert sum(int(n) for n in re.findall(r'<span class="count">(\d+)\+</span>', types)) == 3


def test_the_facet_cap_counts_at_most_the_first_matches(estate):
    from domus.properties.schemas import ListingFilters
    from domus.properties.selectors import listing_facets_first_for_actor

    box = ListingFilters(bbox="33.0,-5.0,42.0,5.0")
    capped = listing_facets_first_for_actor(actor=None, filters=box, first=4)
    assert capped["capped"] is True
    assert capped["counted"] == 4
    assert sum(f["count"] for f in capped["property_type"]) == 4
    exact = listing_facets_first_for_actor(actor=None, filters=box, first=100)
    assert exact["capped"] is False
    assert exact["counted"] == 6
    assert sum(f["count"] for f in exact["city"]) == 6


def test_a_text_search_counts_facets_over_full_text_and_trigram_matches_once(db):
    from domus.properties.schemas import ListingFilters
    from domus.properties.selectors import listing_facets_first_for_actor, listing_facets_for_actor

    ListingFactory(title="Sunset Apartments", city="Nairobi", property_type="apartment")  # full text and trigram
    ListingFactory(title="Lake house", description="A sunset view", city="Kisumu", property_type="house")  # full text
    ListingFactory(title="Sunsett Villa", description="Quiet", city="Mombasa", property_type="villa")  # misspelled
    ListingFactory(title="Mountain lodge", description="Cold", city="Nyeri", property_type="house")  # no match
    search = ListingFilters(search="sunset")

    exact = listing_facets_for_actor(actor=None, filters=search)
    below = listing_facets_first_for_actor(actor=None, filters=search, first=10)
    capped = listing_facets_first_for_actor(actor=None, filters=search, first=2)

    assert exact["count"] == 3
    assert {f["value"]: f["count"] for f in exact["city"]} == {"Nairobi": 1, "Kisumu": 1, "Mombasa": 1}
    assert (below["capped"], below["counted"]) == (False, 3)
    assert {k: v for k, v in below.items() if k not in {"capped", "counted"}} == exact
    assert (capped["capped"], capped["counted"]) == (True, 2)
    assert sum(f["count"] for f in capped["city"]) == 2


def test_search_by_map_box_keeps_only_listings_inside(estate):
    mombasa_box = "39.5,-4.2,39.9,-3.8"
    assert set(_titles(Client().get(f"/search/?bbox={mombasa_box}"))) == {"Nyali beach villa", "Bamburi studio"}


def test_htmx_asks_get_only_the_results_part(estate):
    part = Client().get("/search/?city=Mombasa", headers={"HX-Request": "true"})
    text = part.content.decode()
    assert "<html" not in text
    assert "2 homes" in text


def test_bad_search_input_is_explained_not_a_500(estate):
    page = Client().get("/search/?min_price=-5&bbox=nonsense&min_bedrooms=x")
    assert page.status_code == 200
    assert "errors" in page.content.decode()


def test_drafts_stay_out_of_search_and_their_page_is_a_404(estate):
    draft = ListingFactory(title="Secret draft", is_published=False, status="draft", owner=estate.owner)
    assert "Secret draft" not in Client().get("/search/").content.decode()
    assert Client().get(f"/listings/{draft.pk}/").status_code == 404
    assert _login(estate.owner).get(f"/listings/{draft.pk}/").status_code == 200  # its owner sees it


def test_search_page_reads_a_fixed_number_of_queries(estate, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        Client().get("/search/")
    ListingFactory.create_batch(10, city="Nairobi", owner=estate.owner)
    with django_assert_max_num_queries(12):
        Client().get("/search/")


# Listing page -----------------------------------------------------------------------------------


def test_the_listing_page_shows_facts_features_history_map_agent_similar_and_slots(estate):
    listing = estate.listings[0]
    from domus.properties import services as property_services

    property_services.listing_update(actor=estate.staff, listing=listing, price=Decimal("9000000"))
    text = Client().get(f"/listings/{listing.pk}/").content.decode()
    assert "Kilimani garden flat" in text
    assert "KES\xa09,000,000" in text
    assert "Garden" in text
    assert "<polyline" in text  # the price history chart
    assert 'id="listing-map"' in text
    assert "Amina" in text
    assert "Similar homes" in text
    assert "Westlands penthouse" in text
    assert "Log in to book a viewing" in text
    signed_in = _login(UserFactory(role=Role.CUSTOMER)).get(f"/listings/{listing.pk}/").content.decode()
    assert 'name="slot"' in signed_in


def test_the_listing_page_reads_its_features_names_with_them(estate):
    listing = estate.listings[0]
    Client().get(f"/listings/{listing.pk}/")  # caches filled
    with CaptureQueriesContext(connection) as before:
        Client().get(f"/listings/{listing.pk}/")
    listing.features.add(*(FeatureFactory(slug=f"extra-{n}", name=f"Extra {n}") for n in range(4)))
    with CaptureQueriesContext(connection) as after:
        text = Client().get(f"/listings/{listing.pk}/").content.decode()
    assert all(f"Extra {n}" in text for n in range(4))
    assert len(after.captured_queries) == len(before.captured_queries)  # no query per feature


def test_favorite_needs_a_login_then_toggles(estate):
    listing = estate.listings[1]
    assert Client().post(f"/listings/{listing.pk}/favorite/").status_code == 302
    customer = UserFactory(role=Role.CUSTOMER)
    browser = _login(customer)
    part = browser.post(f"/listings/{listing.pk}/favorite/", headers={"HX-Request": "true"})
    assert 'aria-pressed="true"' in part.content.decode()
    assert "Westlands penthouse" in browser.get("/account/favorites/").content.decode()
    browser.post(f"/listings/{listing.pk}/favorite/")
    assert "Westlands penthouse" not in browser.get("/account/favorites/").content.decode()


def test_booking_a_free_slot_makes_a_viewing_and_takes_the_slot(estate):
    listing = estate.listings[0]
    customer = UserFactory(role=Role.CUSTOMER)
    browser = _login(customer)
    page = browser.get(f"/listings/{listing.pk}/").content.decode()
    slot = re.search(r'name="slot" value="([^"]+)"', page).group(1)
    answer = browser.post(f"/listings/{listing.pk}/viewing/", {"slot": slot, "note": "After work"})
    assert answer.status_code == 302
    assert answer["Location"] == "/account/viewings/"
    assert "Kilimani garden flat" in browser.get("/account/viewings/").content.decode()
    again = _login(UserFactory(role=Role.CUSTOMER)).get(f"/listings/{listing.pk}/").content.decode()
    assert f'value="{slot}"' not in again  # the agent is busy then


def test_an_offer_from_the_listing_page(estate):
    browser = _login(UserFactory(role=Role.CUSTOMER))
    listing = estate.listings[1]
    assert browser.post(f"/listings/{listing.pk}/offer/", {"amount": "24,000,000"}).status_code == 302
    assert "KES\xa024,000,000" in browser.get("/account/offers/").content.decode()
    assert "Westlands penthouse" in _login(estate.owner).get("/owner/offers/").content.decode()
    refused = browser.post(f"/listings/{listing.pk}/offer/", {"amount": "abc"}, follow=True)
    assert "Give the amount you offer." in refused.content.decode()


# Account ------------------------------------------------------------------------------------------


def test_sign_up_activate_and_log_in(db, django_capture_on_commit_callbacks, settings):
    settings.FRONTEND_URL = "http://testserver"
    browser = Client(enforce_csrf_checks=False)
    with django_capture_on_commit_callbacks(execute=True):
        answer = browser.post(
            "/account/signup/",
            {"email": "wanjiru@example.test", "role": "customer", "password": PASSWORD, "password_confirm": PASSWORD},
        )
    assert "Check your e-mail" in answer.content.decode()
    link = re.search(r"http://testserver(/account/activate/\S+)", mail.outbox[-1].body).group(1)
    page = browser.get(link)
    assert "Activate your account" in page.content.decode()
    assert 'class="site"' in page.content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="(username|token)" value="([^"]*)"', page.content.decode()))
    assert "active" in browser.post("/account/activate/", hidden).content.decode()
    logged = browser.post("/account/login/", {"identifier": "wanjiru@example.test", "password": PASSWORD})
    assert logged.status_code == 302
    assert "wanjiru@example.test" in browser.get("/account/").content.decode()
    browser.post("/account/logout/")
    assert browser.get("/account/").status_code == 302


def test_sign_up_explains_a_weak_password(db):
    answer = Client().post(
        "/account/signup/", {"email": "a@example.test", "role": "customer", "password": "1", "password_confirm": "1"}
    )
    assert answer.status_code == 400
    assert 'class="errors"' in answer.content.decode()


def test_login_locks_out_like_the_api(estate, settings):
    settings.LOGIN_MAX_FAILURES = 2
    browser = Client()
    for _ in range(2):
        assert browser.post("/account/login/", {"identifier": "tenant", "password": "wrong"}).status_code == 400
    locked = browser.post("/account/login/", {"identifier": "tenant", "password": PASSWORD})
    assert locked.status_code == 400
    assert "_auth_user_id" not in browser.session


def test_login_posts_share_the_auth_rate_limit(estate, settings, rate_limits):
    settings.RATE_LIMITS_ENABLED = True
    rate_limits(auth="2/m")
    browser = Client()
    codes = [browser.post("/account/login/", {"identifier": "x", "password": "y"}).status_code for _ in range(3)]
    assert codes[-1] == 429


def test_login_never_redirects_off_site(estate):
    answer = Client().post("/account/login/?next=https://evil.example/", {"identifier": "tenant", "password": PASSWORD})
    assert answer["Location"] == "/account/"


def test_saved_searches_are_saved_from_results_and_private(estate):
    browser = _login(estate.tenant)
    browser.post("/account/saved-searches/", {"city": "Mombasa", "name": "Coast"})
    page = browser.get("/account/saved-searches/").content.decode()
    assert "Coast" in page
    assert "city: Mombasa" in page
    assert "Coast" not in _login(estate.other_tenant).get("/account/saved-searches/").content.decode()


def test_member_pages_send_visitors_to_the_login_page():
    for path in ("/account/", "/account/favorites/", "/tenant/invoices/", "/owner/", "/owner/statement/"):
        answer = Client().get(path)
        assert answer.status_code == 302
        assert answer["Location"].startswith("/account/login/?next=")


# Tenant -------------------------------------------------------------------------------------------


def test_the_tenant_sees_their_lease_and_invoice_and_its_pdf(estate):
    browser = _login(estate.tenant)
    assert "Lavington two-bedroom" in browser.get("/tenant/leases/").content.decode()
    assert estate.invoice.display_number in browser.get("/tenant/invoices/").content.decode()
    page = browser.get(f"/tenant/invoices/{estate.invoice.pk}/").content.decode()
    assert "Pay with M-Pesa" in page
    assert "KES\xa030,000" in page
    pdf = browser.get(f"/tenant/invoices/{estate.invoice.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_nobody_reads_another_tenants_invoice_lease_or_payment(estate):
    other = _login(estate.other_tenant)
    assert other.get(f"/tenant/invoices/{estate.invoice.pk}/").status_code == 404
    assert other.get(f"/tenant/invoices/{estate.invoice.pk}/pdf/").status_code == 404
    assert other.post(f"/tenant/invoices/{estate.invoice.pk}/pay/", {"phone": "0712345678"}).status_code == 404
    assert estate.invoice.display_number not in other.get("/tenant/invoices/").content.decode()
    assert "Lavington" not in other.get("/tenant/leases/").content.decode()


def test_a_bad_phone_number_is_explained(estate):
    answer = _login(estate.tenant).post(
        f"/tenant/invoices/{estate.invoice.pk}/pay/", {"phone": "12345678901"}, headers={"HX-Request": "true"}
    )
    assert answer.status_code == 400
    assert 'class="errors"' in answer.content.decode()


# Owner --------------------------------------------------------------------------------------------


def test_the_owner_sees_properties_occupancy_leases_and_downloads_a_statement(estate):
    browser = _login(estate.owner)
    page = browser.get("/owner/").content.decode()
    assert "Lavington two-bedroom" in page
    assert "Riverside Homes" in page
    assert "1 / 1" in page  # the let unit
    form = browser.get("/owner/statement/").content.decode()
    assert "Riverside Homes" in form
    pdf = browser.get(f"/owner/statement/?company={estate.company.pk}&start=2026-01-01&end=2026-12-31")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    reversed_period = browser.get(f"/owner/statement/?company={estate.company.pk}&start=2026-12-01&end=2026-01-01")
    assert reversed_period.status_code == 400


def test_an_owner_cannot_ask_for_a_company_that_manages_nothing_of_theirs(estate):
    stranger = _login(UserFactory(role=Role.OWNER))
    answer = stranger.get(f"/owner/statement/?company={estate.company.pk}&start=2026-01-01&end=2026-12-31")
    assert answer.status_code in (200, 400)
    assert answer["Content-Type"].startswith("text/html")
    assert "Riverside Homes" not in stranger.get("/owner/").content.decode()


def test_preferences_save_channels_quiet_hours_and_language(estate):
    browser = _login(estate.tenant)
    assert browser.get("/account/preferences/").status_code == 200
    answer = browser.post(
        "/account/preferences/",
        {
            "language": "sw",
            "timezone": "Africa/Nairobi",
            "channels": ["email", "whatsapp"],
            "quiet_hours_start": "22:00",
            "quiet_hours_end": "07:00",
        },
    )
    assert answer.status_code == 302
    page = browser.get("/account/preferences/").content.decode()
    assert '<html lang="sw">' in page  # the site now speaks the chosen language
    assert 'value="whatsapp" id="id_channels_2" checked' in page
    assert 'value="22:00"' in page
    refused = browser.post("/account/preferences/", {"language": "en", "timezone": "Mars/Olympus"})
    assert refused.status_code == 400


# Messages -----------------------------------------------------------------------------------------


def test_a_tenant_writes_to_their_manager_and_only_members_read_the_thread(estate):
    browser = _login(estate.tenant)
    assert "Write to my manager" in browser.get("/messages/").content.decode()
    started = browser.post("/messages/manager/", {"lease": str(estate.lease.pk), "body": "The tap leaks."})
    assert started.status_code == 302
    thread_path = started["Location"]
    assert "The tap leaks." in browser.get(thread_path).content.decode()
    agent = _login(estate.agent)
    part = agent.post(thread_path, {"body": "A plumber comes tomorrow."}, headers={"HX-Request": "true"})
    assert "A plumber comes tomorrow." in part.content.decode()
    assert "<html" not in part.content.decode()
    assert "Lavington two-bedroom" in agent.get("/messages/").content.decode()
    outsider = _login(estate.other_tenant)
    assert outsider.get(thread_path).status_code == 404
    assert outsider.post(thread_path, {"body": "hi"}).status_code == 404
    assert outsider.post("/messages/manager/", {"lease": str(estate.lease.pk), "body": "x"}).status_code == 404
    assert browser.post(thread_path, {"body": "   "}).status_code == 400
