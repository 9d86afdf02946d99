import hashlib

import pytest

from domus.sales.models import Contract, ContractStatus
from domus.sales.tests.factories import OfferFactory

URL = "/api/v1/sales/contracts/"
PUT_BODY = {
    "kind": "sale",
    "title": "Sale agreement",
    "parties": [{"role": "buyer", "name": "Amina"}, {"role": "seller", "name": "Owner"}],
    "terms": "Deposit 10%.",
    "price": "97000",
    "currency": "KES",
    "start_date": "2027-01-01",
    "end_date": "2027-02-01",
}


@pytest.fixture
def accepted(listing, customer):
    return OfferFactory(listing=listing, buyer=customer, status="accepted")


@pytest.fixture
def draft(client_for, agent, accepted):
    response = client_for(agent).post_json(URL, {"offer_id": str(accepted.id)})
    assert response.status_code == 201, response.content
    return Contract.objects.get(pk=response.json()["id"])


def test_a_draft_is_drawn_from_the_accepted_offer(draft, accepted, customer, listing, audit_log):
    assert (draft.kind, draft.price, draft.currency, draft.status) == ("sale", accepted.amount, "KES", "draft")
    assert [p["role"] for p in draft.parties] == ["buyer", "seller"]
    assert draft.parties[0]["email"] == customer.email
    assert draft.title == f"Sale of {listing.title}"
    assert audit_log.objects.filter(resource_type="sales.contract", resource_id=str(draft.id), action="create").exists()


def test_no_contract_from_an_offer_that_is_not_accepted(client_for, agent, listing):
    pending = OfferFactory(listing=listing)

    response = client_for(agent).post_json(URL, {"offer_id": str(pending.id)})

    assert response.status_code == 409
    assert not Contract.objects.exists()


def test_the_buyer_cannot_draw_a_contract(client_for, customer, accepted):
    response = client_for(customer).post_json(URL, {"offer_id": str(accepted.id)})

    assert response.status_code == 403
    assert not Contract.objects.exists()


def test_drafts_are_edited_with_put_and_bad_dates_refused(client_for, agent, draft):
    api = client_for(agent)

    ok = api.put_json(f"{URL}{draft.id}/", PUT_BODY)
    bad = api.put_json(f"{URL}{draft.id}/", {**PUT_BODY, "end_date": "2026-01-01"})

    assert ok.status_code == 200, ok.content
    assert (ok.json()["price"], ok.json()["title"]) == ("97000.00", "Sale agreement")
    assert bad.status_code == 400


def test_signing_records_signer_time_ip_and_hash_and_freezes_the_contract(client_for, agent, customer, draft):
    api, buyer = client_for(agent), client_for(customer)
    assert buyer.post(f"{URL}{draft.id}/sign/").status_code == 409  # not sent yet
    assert api.post(f"{URL}{draft.id}/send/").status_code == 200

    signed = buyer.post(f"{URL}{draft.id}/sign/", REMOTE_ADDR="198.51.100.7").json()

    draft.refresh_from_db()
    assert (draft.status, draft.signed_by_id, draft.signed_ip) == (ContractStatus.SIGNED, customer.id, "198.51.100.7")
    assert draft.signed_at is not None
    with draft.document.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == signed["document_sha256"] == draft.document_sha256
    for response in (
        api.put_json(f"{URL}{draft.id}/", PUT_BODY),
        api.delete(f"{URL}{draft.id}/"),
        api.post(f"{URL}{draft.id}/void/"),
        buyer.post(f"{URL}{draft.id}/sign/"),
    ):
        assert response.status_code == 409
    draft.refresh_from_db()
    assert (draft.status, draft.title, draft.deleted_at) == (ContractStatus.SIGNED, signed["title"], None)


def test_a_sent_contract_cannot_be_edited_but_can_be_voided(client_for, agent, draft):
    api = client_for(agent)
    api.post(f"{URL}{draft.id}/send/")

    assert api.put_json(f"{URL}{draft.id}/", PUT_BODY).status_code == 409
    assert api.post(f"{URL}{draft.id}/void/").json()["status"] == "void"


def test_a_draft_can_be_deleted(client_for, staff, draft):
    assert client_for(staff).delete(f"{URL}{draft.id}/").status_code == 204
    assert client_for(staff).get(f"{URL}{draft.id}/").status_code == 404
    assert Contract.all_objects.get(pk=draft.pk).deleted_at is not None


def test_the_draft_document_is_a_pdf(client_for, customer, draft):
    response = client_for(customer).get(f"{URL}{draft.id}/document/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_strangers_neither_see_nor_sign(client_for, other_staff, draft, agent):
    client_for(agent).post(f"{URL}{draft.id}/send/")

    assert client_for(other_staff).get(f"{URL}{draft.id}/").status_code == 404
    assert client_for(other_staff).post(f"{URL}{draft.id}/sign/").status_code == 404
    draft.refresh_from_db()
    assert draft.status == ContractStatus.SENT


def test_the_database_itself_refuses_to_change_or_delete_a_signed_contract(client_for, agent, customer, draft):
    from django.db import IntegrityError, transaction

    client_for(agent).post(f"{URL}{draft.id}/send/")
    client_for(customer).post(f"{URL}{draft.id}/sign/")

    with pytest.raises(IntegrityError), transaction.atomic():
        Contract.objects.filter(pk=draft.pk).update(price="1.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        Contract.objects.filter(pk=draft.pk).update(status="void")
    with pytest.raises(IntegrityError), transaction.atomic():
        Contract.all_objects.filter(pk=draft.pk).delete()
    Contract.objects.filter(pk=draft.pk).update(created_by=None)  # bookkeeping may still move

    draft.refresh_from_db()
    assert (draft.status, draft.price) == (ContractStatus.SIGNED, draft.offer.amount)


def test_the_document_names_the_company_and_the_buyer_with_their_addresses(client_for, customer, draft, company):
    from domus.accounts.services.profiles import profile_write_for
    from domus.integrations.tests.pdf_text import pdf_text
    from domus.organizations.services import company_update

    company_update(
        actor=None,
        company=company,
        legal_name="Alpha Homes Ltd",
        address="Moi Avenue 3",
        city="Mombasa",
        country="KE",
        tax_id="P0009",
    )
    customer.first_name, customer.last_name = "Cleo", "Customer"
    customer.save()
    profile_write_for(actor=customer, user=customer, fields={"address": "Links Road 1", "city": "Nyali"})
    Contract.objects.filter(pk=draft.pk).update(price="1234567.50", currency="KES")

    text = pdf_text(client_for(customer).get(f"{URL}{draft.id}/document/").content)

    for expected in ("Alpha Homes Ltd", "Moi Avenue 3", "Mombasa, KE", "Tax ID P0009", "Cleo Customer", "Links Road 1"):
        assert expected in text, expected
    assert "KES 1,234,567.50" in text
