"""The feature taxonomy: public list, admin-only create, immutable slugs."""

import pytest

from domus.properties.models import Feature
from domus.properties.tests.conftest import URL
from domus.properties.tests.factories import FeatureFactory

pytestmark = pytest.mark.django_db

FEATURES = f"{URL}features/"


def test_anyone_lists_features(api_client):
    FeatureFactory(name="Swimming pool", slug="swimming-pool")
    FeatureFactory(name="Gym", slug="gym")

    response = api_client.get(f"{FEATURES}?search=pool")

    assert response.status_code == 200
    assert [(f["name"], f["slug"]) for f in response.json()["results"]] == [("Swimming pool", "swimming-pool")]


def test_admins_create_features_with_a_slug_from_the_name(admin_client, audit_log):
    response = admin_client.post_json(FEATURES, {"name": "Backup Generator"})

    assert response.status_code == 201
    assert response.json()["slug"] == "backup-generator"
    assert audit_log.objects.filter(action="create", resource_type="properties.feature").exists()


def test_a_taken_slug_is_a_conflict(admin_client):
    FeatureFactory(name="Gym", slug="gym")

    response = admin_client.post_json(FEATURES, {"name": "Fitness", "slug": "gym"})

    assert response.status_code == 409
    assert Feature.objects.get(slug="gym").name == "Gym"


@pytest.mark.parametrize("who", ["owner", "staff_a", "customer"])
def test_only_admins_create_features(who, request, client_for):
    actor = request.getfixturevalue(who)

    response = client_for(actor).post_json(FEATURES, {"name": "Sauna"})

    assert response.status_code == 403
    assert not Feature.objects.exists()


def test_bad_slug_is_a_400(admin_client):
    assert admin_client.post_json(FEATURES, {"name": "Sauna", "slug": "Not A Slug"}).status_code == 400
    assert not Feature.objects.exists()


def test_a_name_without_ascii_letters_gets_a_stable_url_safe_slug(admin_client):
    response = admin_client.post_json(FEATURES, {"name": "游泳池"})

    assert response.status_code == 201
    slug = response.json()["slug"]
    assert slug.startswith("feature-")
    assert slug.isascii()
    assert len(slug) == len("feature-") + 10
    assert admin_client.post_json(FEATURES, {"name": "游泳池"}).status_code == 409  # same name, same slug


def test_a_blank_name_is_a_400_naming_it(admin_client):
    response = admin_client.post_json(FEATURES, {"name": " \t "})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["name"]
    assert not Feature.objects.exists()
