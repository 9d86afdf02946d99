import pytest

from conftest import ApiClient
from domus.core.models import IdempotencyRecord


@pytest.mark.django_db
def test_same_key_and_body_replays_the_first_answer(contract, api_client):
    headers = {"Idempotency-Key": "pay-1"}
    first = api_client.post_json("/api/v1/contract/echo/", {"amount": 5}, headers=headers)
    again = api_client.post_json("/api/v1/contract/echo", {"amount": 5}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() == {"call": 1, "amount": 5, "note": ""}
    assert again["Idempotent-Replayed"] == "true"
    assert len(contract.calls) == 1


@pytest.mark.django_db
def test_same_key_with_another_body_is_a_409(contract, api_client):
    headers = {"Idempotency-Key": "pay-2"}
    api_client.post_json("/api/v1/contract/echo/", {"amount": 5}, headers=headers)
    response = api_client.post_json("/api/v1/contract/echo/", {"amount": 6}, headers=headers)
    assert response.status_code == 409
    assert response.json()["code"] == "CONFLICT_ERROR"
    assert len(contract.calls) == 1


@pytest.mark.django_db
def test_without_a_key_every_request_runs(contract, api_client):
    api_client.post_json("/api/v1/contract/echo/", {"amount": 5})
    api_client.post_json("/api/v1/contract/echo/", {"amount": 5})
    assert len(contract.calls) == 2
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_a_rejected_body_is_replayed_without_running_the_handler(contract, api_client):
    headers = {"Idempotency-Key": "pay-3"}
    bad = api_client.post_json("/api/v1/contract/echo/", {"amount": "lots"}, headers=headers)
    assert bad.status_code == 400
    # a 4xx is the answer to that body: replayed, and the handler never ran
    assert api_client.post_json("/api/v1/contract/echo/", {"amount": "lots"}, headers=headers).status_code == 400
    assert contract.calls == []


@pytest.mark.django_db
def test_keys_are_scoped_to_the_caller(contract, client_for, user, admin_user):
    headers = {"Idempotency-Key": "shared"}
    client_for(user).post_json("/api/v1/contract/echo/", {"amount": 1}, headers=headers)
    response = client_for(admin_user).post_json("/api/v1/contract/echo/", {"amount": 1}, headers=headers)
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert len(contract.calls) == 2


@pytest.mark.django_db
def test_a_key_survives_a_token_refresh(contract, client_for, user):
    headers = {"Idempotency-Key": "retry-after-refresh"}
    first = client_for(user).post_json("/api/v1/contract/echo/", {"amount": 1}, headers=headers)
    # client_for issues a fresh token pair each time: the same user retrying with a new token
    again = client_for(user).post_json("/api/v1/contract/echo/", {"amount": 1}, headers=headers)
    assert again.status_code == first.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert len(contract.calls) == 1


@pytest.mark.django_db
def test_a_forged_token_never_shares_the_user_s_keys(contract, client_for, user):
    import jwt

    headers = {"Idempotency-Key": "forged"}
    client_for(user).post_json("/api/v1/contract/echo/", {"amount": 1}, headers=headers)
    forged = jwt.encode({"sub": str(user.pk), "type": "access"}, "not-the-signing-key-" * 3, algorithm="HS256")
    response = ApiClient(headers={"Authorization": f"Bearer {forged}", **headers}).post_json(
        "/api/v1/contract/echo/", {"amount": 1}
    )
    # the echo operation is public: it runs again, and the user's stored answer is not handed out
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert len(contract.calls) == 2


@pytest.mark.django_db
def test_expired_records_are_forgotten(contract, api_client, settings):
    from datetime import timedelta

    headers = {"Idempotency-Key": "old"}
    api_client.post_json("/api/v1/contract/echo/", {"amount": 1}, headers=headers)
    IdempotencyRecord.objects.update(expires_at=IdempotencyRecord.objects.get().created_at - timedelta(seconds=1))
    response = api_client.post_json("/api/v1/contract/echo/", {"amount": 2}, headers=headers)
    assert response.status_code == 201
    assert response.json()["call"] == 2
