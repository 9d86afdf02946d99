"""A listing read through SQL compiled per visibility shape (``listing_get_for_actor``):
the same statements, the same model instance and page, and the same 404 as the
querysets it is compiled from, for the public, an admin, an owner, an agent, company
staff of one or two companies and a customer."""

from uuid import uuid4

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from domus.accounts.tests.factories import UserFactory
from domus.core.exceptions import NotFound
from domus.core.roles import Role
from domus.organizations.tests.factories import MembershipFactory
from domus.properties import selectors
from domus.properties.schemas import ListingOut
from domus.properties.selectors import detail
from domus.properties.tests.conftest import URL
from domus.properties.tests.factories import FeatureFactory, ListingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(company_a, company_b, staff_a, agent_a, owner, customer):
    features = [FeatureFactory(slug=slug, name=name) for slug, name in (("pool", "Pool"), ("gym", "Aa Gym"))]
    staff_both = MembershipFactory(company=company_a, role=Role.STAFF).user
    MembershipFactory(company=company_b, role=Role.STAFF, user=staff_both)
    listings = {
        "public": ListingFactory(company=company_a, features=features, published_at=timezone.now()),
        "draft of A": ListingFactory(company=company_a, owner=owner, status="draft", is_published=False),
        "draft of B": ListingFactory(company=company_b, status="draft", is_published=False, features=features[:1]),
        "agent's draft": ListingFactory(agent=agent_a, status="draft", is_published=False),
        "archived": ListingFactory(status="archived"),
    }
    listings["deleted"] = ListingFactory(features=features, deleted_at=timezone.now())
    actors = {
        "public": None,
        "admin": UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True),
        "owner": owner,
        "agent": agent_a,
        "staff of A": staff_a,
        "staff of A and B": staff_both,
        "customer": customer,
    }
    return actors, listings


def _read(actor, listing_id, compiled, monkeypatch):
    def built_querysets(actor):
        raise AssertionError("the compiled read fell back to building its querysets")

    with monkeypatch.context() as patch, CaptureQueriesContext(connection) as captured:
        if compiled:
            patch.setattr(detail, "listing_visible_to", built_querysets)
        try:
            listing = selectors.listing_get_for_actor(actor=actor, listing_id=listing_id, compiled=compiled)
        except NotFound as error:
            listing = error
    return listing, [query["sql"] for query in captured.captured_queries]


def test_every_actor_reads_every_listing_as_the_querysets_answer(cast, monkeypatch):
    actors, listings = cast
    seen = set()
    for actor_name, actor in actors.items():
        for listing_name, listing in [*listings.items(), ("missing", type("Missing", (), {"pk": uuid4()}))]:
            for _ in range(2):  # compiled on the first read, reused on the second
                found, sent = _read(actor, listing.pk, True, monkeypatch)
                expected, expected_sent = _read(actor, listing.pk, False, monkeypatch)
                assert sent == expected_sent, (actor_name, listing_name)
                if isinstance(expected, NotFound):
                    assert isinstance(found, NotFound), (actor_name, listing_name)
                    continue
                seen.add((actor_name, listing_name))
                assert found.__dict__.keys() == expected.__dict__.keys()
                assert ListingOut.model_validate(found).model_dump(mode="json") == ListingOut.model_validate(
                    expected
                ).model_dump(mode="json")
    # The visibility rules the compiled reads follow, as the querysets do.
    assert ("public", "public") in seen
    assert ("public", "draft of A") not in seen
    assert {("owner", "draft of A"), ("agent", "agent's draft"), ("staff of A", "draft of A")} <= seen
    assert {("staff of A and B", "draft of B"), ("admin", "archived")} <= seen
    assert ("staff of A", "draft of B") not in seen
    assert ("customer", "archived") not in seen
    assert not any(name == "deleted" for _, name in seen)


def test_the_features_are_the_listings_own_in_name_order(api_client, cast):
    _, listings = cast
    response = api_client.get(f"{URL}{listings['public'].pk}/")
    assert response.status_code == 200
    assert response.json()["features"] == ["gym", "pool"]  # "Aa Gym" before "Pool"
    draft = selectors.listing_get_for_actor(actor=cast[0]["admin"], listing_id=listings["draft of B"].pk)
    assert [feature.slug for feature in draft.features.all()] == ["pool"]


def test_a_detail_is_two_statements(api_client, cast, django_assert_num_queries):
    _, listings = cast
    for _ in range(2):
        with django_assert_num_queries(2):  # the listing, its features
            response = api_client.get(f"{URL}{listings['public'].pk}/")
        assert response.status_code == 200
    with django_assert_num_queries(1):
        assert api_client.get(f"{URL}{uuid4()}/").status_code == 404
