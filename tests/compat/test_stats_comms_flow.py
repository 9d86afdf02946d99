"""The stats, communication and audit API, as its clients use it: staff message a lead
and read the lead statistics, a customer keeps their communication preferences, and an
admin reads the audit log filtered by the bare resource name with ``skip``/``limit``;
on its paths."""

import pytest
from django.apps import apps
from django.utils import timezone

from domus.accounts.tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db
CommunicationPreference = apps.get_model("communications", "CommunicationPreference")
Delivery = apps.get_model("communications", "Delivery")

API = "/api/v1"


def _login(api_client, user) -> dict[str, str]:
    response = api_client.post_json(f"{API}/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200, response.content
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['access']}"}


@pytest.fixture
def lead(api_client, staff) -> dict:
    response = api_client.post_json(
        f"{API}/crm/leads/", {"name": "Peter Kamau", "email": "peter@example.test"}, **_login(api_client, staff)
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_staff_message_a_lead_and_read_the_lead_stats(api_client, staff, lead, django_capture_on_commit_callbacks):
    auth = _login(api_client, staff)

    with django_capture_on_commit_callbacks(execute=True):
        sent = api_client.post_json(
            f"{API}/communication/send/{lead['id']}/",
            {"message": "Open house on Saturday", "channel": "email"},
            **auth,
        )
    today = timezone.localdate().isoformat()
    quality = api_client.get(f"{API}/stats/lead-quality/", {"start_date": today, "end_date": today}, **auth)
    funnel = api_client.get(f"{API}/stats/conversion-funnel/", **auth)

    assert sent.status_code == 200, sent.content
    assert (sent.json()["total"], sent.json()["queued"], sent.json()["refused"]) == (1, 1, 0)
    delivery = Delivery.objects.get()
    assert (str(delivery.lead_id), delivery.channel, delivery.address) == (lead["id"], "email", "peter@example.test")
    assert delivery.body == "Open house on Saturday"
    assert quality.status_code == 200, quality.content
    assert quality.json()["total"] == 1
    assert funnel.status_code == 200, funnel.content


def test_a_customer_keeps_their_preferences(api_client, customer):
    auth = _login(api_client, customer)

    created = api_client.post_json(
        f"{API}/communication/preferences/", {"channels": ["email", "sms"], "marketing_consent": True}, **auth
    )
    updated = api_client.put(
        f"{API}/communication/preferences/", {"channels": ["email"]}, content_type="application/json", **auth
    )
    read = api_client.get(f"{API}/communication/preferences/", **auth)

    assert created.status_code in (200, 201), created.content
    assert updated.status_code == 200, updated.content
    assert read.json()["channels"] == ["email"]
    assert CommunicationPreference.objects.get(user=customer).allows("sms") is False


def test_a_preferences_body_of_another_shape_is_a_400_naming_its_fields(api_client, customer):
    response = api_client.post_json(
        f"{API}/communication/preferences/",
        {"preferred_channel": "sms", "opt_in_marketing": True},
        **_login(api_client, customer),
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"preferred_channel", "opt_in_marketing"}
    assert not CommunicationPreference.objects.filter(user=customer).exists()


def test_the_audit_log_filters_by_the_bare_resource_name(api_client, admin_user, lead):
    auth = _login(api_client, admin_user)

    bare = api_client.get(f"{API}/audit/logs/", {"resource_type": "lead", "skip": 0, "limit": 10}, **auth)
    label = api_client.get(f"{API}/audit/logs/", {"resource_type": "crm.lead", "skip": 0, "limit": 10}, **auth)
    unknown = api_client.get(f"{API}/audit/logs/", {"resource_type": "spaceship"}, **auth)

    assert bare.status_code == 200, bare.content
    rows = bare.json()["results"]
    assert rows
    assert {row["resource_type"] for row in rows} == {"crm.lead"}
    assert lead["id"] in {row["resource_id"] for row in rows}
    assert rows == label.json()["results"]
    assert unknown.status_code == 400
    assert "resource_type" in unknown.json()["errors"]
