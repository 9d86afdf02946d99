"""The back office lists and opens every sales model; signed contracts are read-only."""

import pytest
from django.urls import reverse

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.sales.models import Commission, Contract, Deal, DealStatusChange
from domus.sales.tests.factories import OfferFactory


@pytest.fixture
def superuser_client(client, db):
    client.force_login(UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True))
    return client


def test_every_model_opens_in_the_admin(superuser_client, company, listing, staff):
    offer = OfferFactory(listing=listing, status="accepted")
    contract = Contract.objects.create(
        company=company,
        offer=offer,
        listing=listing,
        title="Signed deal",
        price=offer.amount,
        status="signed",
        signed_by=staff,
        signed_at=offer.created_at,
        document_sha256="0" * 64,
    )
    deal = Deal.objects.create(company=company, listing=listing, amount=offer.amount)
    rows = [
        offer,
        contract,
        deal,
        DealStatusChange.objects.create(deal=deal, to_status="lead", changed_at=deal.created_at),
        Commission.objects.create(company=company, deal=deal, role="company", rate=3, share=100, amount=1),
    ]

    for row in rows:
        meta = row._meta
        assert superuser_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")).status_code == 200
        change = superuser_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[row.pk]))
        assert change.status_code == 200, meta.label

    signed_page = superuser_client.get(reverse("admin:sales_contract_change", args=[contract.pk]))
    assert b'name="title"' not in signed_page.content  # read-only: no form field
    assert (
        superuser_client.post(reverse("admin:sales_contract_delete", args=[contract.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert Contract.objects.filter(pk=contract.pk).exists()
