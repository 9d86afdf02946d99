"""The comparative market analysis: comparables chosen and ranked (sold ahead of asking),
adjustments explained (defaults on thin data, least squares on enough), the estimate,
the PDF read back with its comparables, scoping and bad input."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import timezone
from pypdf import PdfReader

from domus.analytics.reports.cma import MIN_FIT_ROWS, fit_rates
from domus.core.roles import Role
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory
from domus.properties.tests.factories import ListingFactory

URL = "/api/v1/reports/cma/"
LAT, LNG = Decimal("-1.286389"), Decimal("36.817223")


def _near(i: int, step: str = "0.002") -> tuple[Decimal, Decimal]:
    return LAT + Decimal(step) * (i % 5), LNG + Decimal(step) * (i // 5)


@pytest.fixture
def market(db):
    a, b = CompanyFactory(name="Alpha"), CompanyFactory(name="Beta")
    staff_a = MembershipFactory(company=a, role=Role.STAFF).user
    staff_b = MembershipFactory(company=b, role=Role.STAFF).user
    subject = ListingFactory(
        company=a, title="Subject flat", latitude=LAT, longitude=LNG, area_m2=Decimal(100), bedrooms=3,
        year_built=2010, price=Decimal("10000000"),
    )  # fmt: skip
    comps = []
    for i in range(1, 6):
        lat, lng = _near(i)
        comps.append(
            ListingFactory(
                company=a,
                title=f"Comp {i}",
                latitude=lat,
                longitude=lng,
                area_m2=Decimal(80 + 10 * i),
                bedrooms=2 + i % 2,
                year_built=2000 + i,
                price=Decimal(8_000_000 + 500_000 * i),
            )
        )
    sold = ListingFactory(
        company=a, title="Sold comp", latitude=LAT + Decimal("0.004"), longitude=LNG, area_m2=Decimal(100),
        bedrooms=3, year_built=2010, price=Decimal(9_900_000), status="sold",
    )  # fmt: skip
    apps.get_model("sales", "Deal").objects.create(
        company=a, listing=sold, amount=Decimal(9_450_000), currency="KES", status="closed_won",
        closed_at=timezone.now() - timedelta(days=30),
    )  # fmt: skip
    # Not comparable: far away, another type, for rent, another currency, a draft.
    ListingFactory(company=a, title="Far", latitude=LAT + 1, longitude=LNG, area_m2=Decimal(100))
    ListingFactory(company=a, title="House", property_type="house", latitude=LAT, longitude=LNG, area_m2=Decimal(100))
    ListingFactory(company=a, title="Rental", listing_type="rent", latitude=LAT, longitude=LNG, area_m2=Decimal(100))
    ListingFactory(company=a, title="Dollar", currency="USD", latitude=LAT, longitude=LNG, area_m2=Decimal(100))
    ListingFactory(company=a, title="Draft", status="draft", is_published=False, latitude=LAT, longitude=LNG)
    return {"a": a, "b": b, "staff_a": staff_a, "staff_b": staff_b, "subject": subject, "comps": comps, "sold": sold}


def test_cma_of_a_listing_ranks_sold_first_and_explains_adjustments(client_for, market):
    response = client_for(market["staff_a"]).post_json(URL, {"listing_id": str(market["subject"].id)})

    assert response.status_code == 200, response.content
    body = response.json()
    titles = [c["title"] for c in body["comparables"]]
    assert titles[0] == "Sold comp"
    assert sorted(titles[1:]) == [f"Comp {i}" for i in range(1, 6)]
    first = body["comparables"][0]
    assert first["price_kind"] == "sold"
    assert first["price"] == "9450000.00"
    assert first["adjustments"] == []  # same size, bedrooms, age and features as the subject
    assert first["adjusted_price"] == "9450000.00"
    assert body["currency"] == "KES"
    assert body["model"]["method"] == "defaults"  # 6 records: too few to fit
    rates = {r["attribute"]: r for r in body["model"]["rates"]}
    assert {r["basis"] for r in rates.values()} == {"default"}
    # Comp 1: 90 m², 3 bedrooms, built 2001, asking 8.5M; the subject: 100 m², 3 bedrooms, built 2010.
    comp1 = next(c for c in body["comparables"] if c["title"] == "Comp 1")
    adjustments = {a["attribute"]: a for a in comp1["adjustments"]}
    assert set(adjustments) == {"size", "age"}
    assert adjustments["size"]["difference"] == 10.0
    size_rate = Decimal(rates["size"]["rate"])
    assert Decimal(adjustments["size"]["amount"]) == size_rate * 10
    assert adjustments["age"]["difference"] == -9.0  # nine years newer
    assert Decimal(adjustments["age"]["amount"]) == Decimal(rates["age"]["rate"]) * -9 > 0
    assert Decimal(comp1["adjusted_price"]) == Decimal("8500000") + sum(
        Decimal(a["amount"]) for a in comp1["adjustments"]
    )
    adjusted = sorted(Decimal(c["adjusted_price"]) for c in body["comparables"])
    estimate = body["estimate"]
    assert Decimal(estimate["low"]) == adjusted[0]
    assert Decimal(estimate["high"]) == adjusted[-1]
    assert Decimal(estimate["suggested_low"]) <= Decimal(estimate["suggested"]) <= Decimal(estimate["suggested_high"])
    assert body["confidence"]["level"] in {"low", "medium", "high"}
    assert body["criteria"]["candidates"] == 6


def test_cma_pdf_reads_back_with_its_comparables(client_for, market):
    response = client_for(market["staff_a"]).post_json(URL + "?format=pdf", {"listing_id": str(market["subject"].id)})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Comparative market analysis: Subject flat" in text
    for title in ["Sold comp", *(f"Comp {i}" for i in range(1, 6))]:
        assert title in text
    assert "Suggested range" in text
    assert "Map" in text


def test_cma_of_an_address_with_attributes(client_for, market):
    body = {
        "address": "2 Riverside Lane", "latitude": float(LAT), "longitude": float(LNG), "listing_type": "sale",
        "property_type": "apartment", "area_m2": 100, "bedrooms": 3, "year_built": 2010, "features": [],
    }  # fmt: skip
    response = client_for(market["staff_a"]).post_json(URL, body)

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["subject"]["listing_id"] is None
    assert data["subject"]["address"] == "2 Riverside Lane"
    assert "Subject flat" in [c["title"] for c in data["comparables"]]  # the listing itself is a comparable now
    assert data["currency"] == "KES"


def test_another_company_never_sees_our_sold_prices(client_for, market):
    """Beta's staff see Alpha's public asking prices, never its closed deal; a sold
    listing without a visible price is left out."""
    body = {
        "latitude": float(LAT), "longitude": float(LNG), "listing_type": "sale", "property_type": "apartment",
        "area_m2": 100, "bedrooms": 3,
    }  # fmt: skip
    data = client_for(market["staff_b"]).post_json(URL, body).json()

    kinds = {c["title"]: c["price_kind"] for c in data["comparables"]}
    assert "Sold comp" not in kinds
    assert set(kinds.values()) == {"asking"}
    assert "9450000.00" not in str(data)


def test_someone_elses_private_listing_is_a_404(client_for, market):
    hidden = ListingFactory(company=market["a"], status="draft", is_published=False, latitude=LAT, longitude=LNG)

    response = client_for(market["staff_b"]).post_json(URL, {"listing_id": str(hidden.id)})

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "latitude"),
        ({"latitude": 1, "longitude": 1, "listing_type": "sale", "property_type": "apartment"}, "area_m2"),
        ({"latitude": 91, "longitude": 1}, "latitude"),
        ({"listing_id": "nope"}, "listing_id"),
        ({"radius_km": 0}, "radius_km"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client_for, market, body, field):
    response = client_for(market["staff_a"]).post_json(URL, body)

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_unknown_format_is_a_400(client_for, market):
    response = client_for(market["staff_a"]).post_json(URL + "?format=xls", {"listing_id": str(market["subject"].id)})

    assert response.status_code == 400


def test_anonymous_is_a_401(api_client, market):
    assert api_client.post_json(URL, {"listing_id": str(market["subject"].id)}).status_code == 401


def test_query_count_is_fixed(client_for, market, django_assert_num_queries):
    client = client_for(market["staff_a"])
    for i in range(20):
        lat, lng = _near(i, "0.001")
        ListingFactory(company=market["a"], latitude=lat, longitude=lng, area_m2=Decimal(95))
    # the caller with their memberships; the subject (the listing, its features); the
    # candidates (a quarter radius, then the whole: too few near), their closed deals and
    # their features: 7 whatever the size
    with django_assert_num_queries(7):
        response = client.post_json(URL, {"listing_id": str(market["subject"].id), "max_comparables": 25})
    assert len(response.json()["comparables"]) == 25


def test_rates_fitted_by_least_squares_on_enough_history():
    """price = 1,000,000 + 50,000/m² + 200,000/bedroom - 10,000/year + 30,000/feature."""
    rows = []
    for i in range(MIN_FIT_ROWS + 4):
        values = {"size": 60 + 7 * i, "bedrooms": 1 + i % 4, "age": (i * 3) % 17, "features": i % 5}
        price = 1_000_000 + 50_000 * values["size"] + 200_000 * values["bedrooms"] - 10_000 * values["age"]
        rows.append((values, price + 30_000 * values["features"]))

    fit = fit_rates(rows)

    assert fit["rows"] == MIN_FIT_ROWS + 4
    assert fit["r2"] == pytest.approx(1.0)
    assert fit["rates"]["size"] == pytest.approx(50_000)
    assert fit["rates"]["bedrooms"] == pytest.approx(200_000)
    assert fit["rates"]["age"] == pytest.approx(-10_000)
    assert fit["rates"]["features"] == pytest.approx(30_000)


def test_thin_history_fits_nothing():
    rows = [({"size": 50 + i, "bedrooms": 2, "age": 1, "features": 0}, 1000.0 * i) for i in range(MIN_FIT_ROWS - 1)]
    assert fit_rates(rows)["rates"] == dict.fromkeys(("size", "bedrooms", "age", "features"))
