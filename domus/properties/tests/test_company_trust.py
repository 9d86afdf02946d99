"""What a listing's company may do: only an active company publishes and takes viewings,
and only the owner or the company's staff change which company a listing belongs to."""

from datetime import timedelta

import pytest
from django.utils import timezone

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory
from domus.properties.models import Listing, Visit
from domus.properties.tests.conftest import URL
from domus.properties.tests.factories import ListingFactory, VisitFactory

pytestmark = pytest.mark.django_db

VISITS = "/api/v1/properties/visits/"


def detail(listing) -> str:
    return f"{URL}{listing.id}/"


@pytest.fixture
def draft_company(db):
    return CompanyFactory(name="Fly By Night", status="draft", activated_at=None)


@pytest.fixture
def draft_staff(draft_company):
    return MembershipFactory(company=draft_company, role=Role.STAFF).user


# Publishing -----------------------------------------------------------------------------------


def test_a_company_in_onboarding_cannot_publish_a_new_listing(client_for, draft_company, draft_staff):
    body = {"title": "Bait", "price": "1000", "company_id": str(draft_company.id), "is_published": True}

    response = client_for(draft_staff).post_json(URL, body)

    assert response.status_code == 409, response.content
    assert "is_published" in response.json()["errors"]
    assert "draft, not active" in response.json()["detail"]
    assert not Listing.objects.filter(title="Bait").exists()


def test_a_company_in_onboarding_keeps_drafts_but_cannot_publish_them(client_for, draft_company, draft_staff):
    client = client_for(draft_staff)
    created = client.post_json(URL, {"title": "Quiet", "price": "1000", "company_id": str(draft_company.id)})
    assert created.status_code == 201, created.content
    listing = Listing.objects.get(pk=created.json()["id"])

    response = client.patch_json(detail(listing), {"is_published": True})

    assert response.status_code == 409
    listing.refresh_from_db()
    assert (listing.is_published, listing.published_at) == (False, None)


def test_a_published_listing_cannot_move_into_a_company_in_onboarding(client_for, draft_company, draft_staff):
    listing = ListingFactory(owner=draft_staff)  # the owner's own, published, no company

    response = client_for(draft_staff).patch_json(detail(listing), {"company_id": str(draft_company.id)})

    assert response.status_code == 409
    listing.refresh_from_db()
    assert listing.company_id is None


def test_a_suspended_company_cannot_publish(client_for, staff_a, company_a, draft_a):
    company_a.status = "suspended"
    company_a.save()

    response = client_for(staff_a).patch_json(detail(draft_a), {"is_published": True})

    assert response.status_code == 409
    assert Listing.objects.get(pk=draft_a.pk).is_published is False


# Changing a listing's company -----------------------------------------------------------------


@pytest.fixture
def assigned(published_a, agent_a, company_b):
    """Alpha's listing, assigned to Alpha's agent, who is also a member of Beta."""
    MembershipFactory(company=company_b, user=agent_a, role=Role.AGENT)
    published_a.agent = agent_a
    published_a.save()
    return published_a


@pytest.mark.parametrize("target", ["none", "other"])
def test_the_assigned_agent_cannot_detach_or_move_a_listing(
    client_for, assigned, agent_a, company_a, company_b, target
):
    company_id = None if target == "none" else str(company_b.id)

    response = client_for(agent_a).patch_json(detail(assigned), {"company_id": company_id})

    assert response.status_code == 403, response.content
    assert Listing.objects.get(pk=assigned.pk).company_id == company_a.id


def test_the_assigned_agent_still_edits_the_listing(client_for, assigned, agent_a, company_a):
    response = client_for(agent_a).patch_json(detail(assigned), {"title": "Renamed", "company_id": str(company_a.id)})

    assert response.status_code == 200, response.content
    assert Listing.objects.get(pk=assigned.pk).title == "Renamed"


def test_the_owner_and_the_company_staff_change_the_company(client_for, assigned, owner, staff_a):
    detached = client_for(staff_a).patch_json(detail(assigned), {"company_id": None})
    assert detached.status_code == 200, detached.content
    assert Listing.objects.get(pk=assigned.pk).company_id is None

    company = CompanyFactory()
    MembershipFactory(company=company, user=owner, role=Role.OWNER)
    moved = client_for(owner).patch_json(detail(assigned), {"company_id": str(company.id), "agent_id": None})
    assert moved.status_code == 200, moved.content
    assert Listing.objects.get(pk=assigned.pk).company_id == company.id


# Viewings of a company that is gone -----------------------------------------------------------


def _tomorrow_slot() -> dict[str, str]:
    starts = (timezone.now() + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    return {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=1)).isoformat()}


@pytest.fixture
def orphan():
    """A published listing left behind by a company deleted before deletions were checked."""
    company = CompanyFactory(deleted_at=timezone.now())
    agent = UserFactory(role=Role.AGENT)
    return ListingFactory(company=company, agent=agent)


def test_no_viewing_is_requested_for_a_deleted_company(client_for, orphan):
    customer = UserFactory(role=Role.CUSTOMER)

    response = client_for(customer).post_json(VISITS, {"listing_id": str(orphan.id), **_tomorrow_slot()})

    assert response.status_code == 409, response.content
    assert "deleted" in response.json()["detail"]
    assert not Visit.objects.filter(listing=orphan).exists()


def test_no_viewing_is_confirmed_for_a_deleted_company(client_for, orphan):
    visit = VisitFactory(listing=orphan, customer=UserFactory(role=Role.CUSTOMER), agent=orphan.agent)

    response = client_for(orphan.agent).post(f"{VISITS}{visit.id}/confirm/")

    assert response.status_code == 409
    visit.refresh_from_db()
    assert visit.status == "requested"
