"""Favorites: saving is idempotent (201 then 200), unsaving answers 204, and my list
shows my saved listings as result cards in a fixed number of queries."""

import pytest

from domus.properties.models import Favorite
from domus.properties.tests.conftest import URL
from domus.properties.tests.factories import FeatureFactory, ListingFactory

pytestmark = pytest.mark.django_db

FAVORITES = f"{URL}favorites/"


def favorite(listing) -> str:
    return f"{URL}{listing.id}/favorite/"


def test_saving_is_idempotent(client_for, customer, published_a, audit_log):
    client = client_for(customer)

    first = client.post(favorite(published_a))
    again = client.post(favorite(published_a))

    assert first.status_code == 201
    assert again.status_code == 200
    assert first.json()["listing_id"] == str(published_a.id)
    assert first.json()["favorited_at"] == again.json()["favorited_at"]
    assert Favorite.objects.filter(user=customer, listing=published_a).count() == 1
    assert audit_log.objects.filter(action="create", resource_type="properties.favorite").count() == 1


def test_unsaving_answers_204_even_when_not_saved(client_for, customer, published_a):
    client = client_for(customer)
    client.post(favorite(published_a))

    assert client.delete(favorite(published_a)).status_code == 204
    assert client.delete(favorite(published_a)).status_code == 204
    assert not Favorite.objects.exists()


def test_hidden_listings_cannot_be_saved(client_for, customer, draft_a):
    response = client_for(customer).post(favorite(draft_a))

    assert response.status_code == 404
    assert not Favorite.objects.exists()


def test_favorites_need_a_token(api_client, published_a):
    assert api_client.get(FAVORITES).status_code == 401
    assert api_client.post(favorite(published_a)).status_code == 401


def test_i_see_only_my_favorites_newest_first_as_cards(client_for, customer, user, published_a):
    older = ListingFactory(title="Older")
    client_for(customer).post(favorite(older))
    client_for(customer).post(favorite(published_a))
    client_for(user).post(favorite(ListingFactory(title="Someone else's")))

    body = client_for(customer).get(FAVORITES).json()

    assert [item["title"] for item in body["results"]] == ["Sunset Apartments", "Older"]
    card = body["results"][0]
    assert {"price", "bedrooms", "bathrooms", "city", "features", "favorited_at", "cover_thumbnail_url"} <= set(card)


def test_a_listing_that_becomes_hidden_leaves_the_list(client_for, customer, published_a):
    client_for(customer).post(favorite(published_a))
    published_a.is_published = False
    published_a.save()

    assert client_for(customer).get(FAVORITES).json()["count"] == 0


def test_my_favorites_take_a_fixed_number_of_queries(client_for, customer, django_assert_num_queries):
    pool = FeatureFactory(name="Pool", slug="pool")
    client = client_for(customer)
    for index in range(5):
        client.post(favorite(ListingFactory(title=f"Home {index}", features=[pool])))

    # user (token, with memberships: visibility), count, page of cards (cover subquery), features
    with django_assert_num_queries(4):
        response = client.get(FAVORITES)

    assert response.json()["count"] == 5
