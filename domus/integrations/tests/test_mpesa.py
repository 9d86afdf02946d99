"""The Daraja adapter against a respx-faked Daraja."""

import base64
import json
from datetime import datetime
from decimal import Decimal

import pytest
import respx
from django.core.cache import cache
from httpx import Response

from domus.integrations import mpesa

BASE = "https://sandbox.example.test"


@pytest.fixture
def client():
    cache.delete(mpesa.TOKEN_CACHE_KEY)
    return mpesa.DarajaClient(
        base_url=BASE,
        consumer_key="ck",
        consumer_secret="cs",
        shortcode="600000",
        passkey="pk",
        callback_url="https://cb",
    )


def test_password_and_timestamp():
    stamp = mpesa.timestamp(datetime(2026, 1, 5, 7, 8, 9, tzinfo=mpesa.NAIROBI))

    assert stamp == "20260105070809"
    assert base64.b64decode(mpesa.stk_password("600000", "pk", stamp)) == b"600000pk20260105070809"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("0712345678", "254712345678"), ("+254 112-345-678", "254112345678"), ("712345678", "254712345678")],
)
def test_phone_normalisation(raw, expected):
    assert mpesa.normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "0812345678", "25471234567", "+1 555 0100"])
def test_phone_normalisation_refuses(raw):
    with pytest.raises(mpesa.InvalidPhone):
        mpesa.normalise_phone(raw)


def test_whole_shillings_round_up():
    assert mpesa.whole_shillings(Decimal("100.01")) == 101
    assert mpesa.whole_shillings(Decimal("100.00")) == 100


@respx.mock
def test_token_is_fetched_once_then_cached_and_dropped_on_401(client):
    oauth = respx.get(f"{BASE}/oauth/v1/generate").mock(
        return_value=Response(200, json={"access_token": "T1", "expires_in": "3599"})
    )
    query = respx.post(f"{BASE}/mpesa/stkpushquery/v1/query").mock(
        side_effect=[
            Response(200, json={"ResultCode": "0", "ResultDesc": "ok"}),
            Response(401, json={"errorCode": "404.001.03", "errorMessage": "Invalid Access Token"}),
        ]
    )

    assert client.stk_query(checkout_request_id="ws_1") == mpesa.StkQueryResult(0, "ok", False)
    with pytest.raises(mpesa.MpesaError, match="Invalid Access Token"):
        client.stk_query(checkout_request_id="ws_1")

    assert oauth.call_count == 1
    assert query.call_count == 2
    assert cache.get(mpesa.TOKEN_CACHE_KEY) is None


@respx.mock
def test_a_query_still_processing_is_pending(client):
    respx.get(f"{BASE}/oauth/v1/generate").mock(
        return_value=Response(200, json={"access_token": "T", "expires_in": 60})
    )
    respx.post(f"{BASE}/mpesa/stkpushquery/v1/query").mock(
        return_value=Response(
            500, json={"errorCode": "500.001.1001", "errorMessage": "The transaction is being processed"}
        )
    )

    assert client.stk_query(checkout_request_id="ws_1").pending is True


@respx.mock
def test_refused_credentials_and_refused_push(client):
    respx.get(f"{BASE}/oauth/v1/generate").mock(return_value=Response(400, text="bad"))

    with pytest.raises(mpesa.MpesaError, match="refused the credentials"):
        client.access_token()


@respx.mock
def test_stk_push_body(client):
    respx.get(f"{BASE}/oauth/v1/generate").mock(
        return_value=Response(200, json={"access_token": "T", "expires_in": 60})
    )
    push = respx.post(f"{BASE}/mpesa/stkpush/v1/processrequest").mock(
        return_value=Response(
            200,
            json={"MerchantRequestID": "m", "CheckoutRequestID": "c", "ResponseCode": "0", "ResponseDescription": "ok"},
        )
    )

    result = client.stk_push(
        amount=Decimal("1500.50"), phone="0712345678", account_reference="INV-000001", description="Rent"
    )

    assert result.checkout_request_id == "c"

    body = json.loads(push.calls.last.request.content)
    assert body["Amount"] == 1501
    assert body["CallBackURL"] == "https://cb"
    assert body["BusinessShortCode"] == body["PartyB"] == "600000"


@respx.mock
@pytest.mark.parametrize(
    "answer",
    [
        Response(200, text="<html>gateway</html>"),
        Response(200, json=["not", "an", "object"]),
        Response(200, json={"access_token": "T", "expires_in": "soon"}),
        Response(200, text='{"access_token": "T", "expires_in": 1e400}'),
        Response(200, json={"expires_in": "3599"}),
    ],
    ids=["not-json", "json-list", "expires-in-text", "expires-in-float", "no-token"],
)
def test_an_unreadable_token_answer_is_an_mpesa_error(client, answer):
    respx.get(f"{BASE}/oauth/v1/generate").mock(return_value=answer)

    with pytest.raises(mpesa.MpesaError):
        client.access_token()
    assert cache.get(mpesa.TOKEN_CACHE_KEY) is None


@respx.mock
@pytest.mark.parametrize("code", ["zero", "1.5", True, {"a": 1}, "99999999999999999999"])
def test_a_non_numeric_query_result_code_is_an_mpesa_error(client, code):
    respx.get(f"{BASE}/oauth/v1/generate").mock(
        return_value=Response(200, json={"access_token": "T", "expires_in": 60})
    )
    respx.post(f"{BASE}/mpesa/stkpushquery/v1/query").mock(
        return_value=Response(200, json={"ResponseCode": "0", "ResultCode": code, "ResultDesc": "?"})
    )

    with pytest.raises(mpesa.MpesaError):
        client.stk_query(checkout_request_id="ws_1")


@respx.mock
def test_a_push_answer_without_a_checkout_id_is_an_mpesa_error(client):
    respx.get(f"{BASE}/oauth/v1/generate").mock(
        return_value=Response(200, json={"access_token": "T", "expires_in": 60})
    )
    respx.post(f"{BASE}/mpesa/stkpush/v1/processrequest").mock(
        return_value=Response(200, json={"ResponseCode": "0", "CheckoutRequestID": 12})
    )

    with pytest.raises(mpesa.MpesaError):
        client.stk_push(amount=Decimal(1), phone="0712345678", account_reference="x", description="y")


@pytest.mark.parametrize(
    ("url", "token", "expected"),
    [
        ("https://d.test/cb/", "", "https://d.test/cb/"),
        ("https://d.test/cb/", "t0k", "https://d.test/cb/t0k/"),
        ("https://d.test/cb", "t0k", "https://d.test/cb/t0k/"),
        ("https://d.test/cb/t0k/", "t0k", "https://d.test/cb/t0k/"),
    ],
)
def test_the_callback_token_is_appended_to_the_callback_url(settings, url, token, expected):
    settings.MPESA_CALLBACK_URL = url
    settings.MPESA_CALLBACK_TOKEN = token

    assert mpesa.daraja_callback_url() == expected
