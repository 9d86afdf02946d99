"""Deleting a company while one of its listings is being published: whichever commits
first, the company never ends deleted with a published listing."""

import threading
import time

import pytest
from django.db import connection, transaction

from domus.accounts.tests.factories import UserFactory
from domus.core.exceptions import Conflict
from domus.core.roles import Role
from domus.core.tests.threads import run_together
from domus.organizations import services
from domus.organizations.models import Company
from domus.organizations.tests.factories import CompanyFactory
from domus.properties import services as listing_services
from domus.properties.tests.factories import ListingFactory

HOLD = 1.0  # seconds the first transaction stays open after its write


def _run(first, second) -> dict[str, str]:
    """Run ``first`` in a transaction held open for HOLD seconds after it ran, and
    ``second`` once ``first`` has written; answer how each ended."""
    written = threading.Event()
    outcome: dict[str, str] = {}

    def hold_open() -> None:
        try:
            with transaction.atomic():
                first()
                written.set()
                time.sleep(HOLD)
            outcome["first"] = "done"
        except Conflict:
            outcome["first"] = "409"
        finally:
            written.set()
            connection.close()

    def then() -> None:
        try:
            written.wait(timeout=10)
            second()
            outcome["second"] = "done"
        except Conflict:
            outcome["second"] = "409"
        finally:
            connection.close()

    run_together(hold_open, then)
    return outcome


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first", ["delete", "publish"])
def test_a_company_is_never_deleted_with_a_listing_published_meanwhile(first):
    company = CompanyFactory()
    admin = UserFactory(role=Role.ADMIN)
    owner = UserFactory(role=Role.OWNER)
    listing = ListingFactory(company=company, owner=owner, is_published=False)

    def delete() -> None:
        services.company_delete(actor=admin, company=Company.objects.get(pk=company.pk))

    def publish() -> None:
        listing_services.listing_update(actor=owner, listing=listing, is_published=True)

    outcome = _run(delete, publish) if first == "delete" else _run(publish, delete)

    listing.refresh_from_db()
    deleted = Company.all_objects.get(pk=company.pk).deleted_at is not None
    assert not (deleted and listing.is_published)
    # The first one wins; the second waits for it and is refused.
    assert outcome == {"first": "done", "second": "409"}
    assert deleted is (first == "delete")
