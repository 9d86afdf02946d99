"""M-Pesa Daraja adapter: OAuth token (cached until it expires), STK push and STK query.

Settings (env): MPESA_BASE_URL, MPESA_CONSUMER_KEY, MPESA_CONSUMER_SECRET, MPESA_SHORTCODE,
MPESA_PASSKEY, MPESA_CALLBACK_URL, MPESA_CALLBACK_TOKEN (appended to the CallBackURL sent to
Daraja as a secret path segment). With no consumer key the embedded default points the
same code at the local M-Pesa simulator (``domus.finance.simulator``)."""

import base64
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from django.conf import settings
from django.core.cache import cache

NAIROBI = ZoneInfo("Africa/Nairobi")
TOKEN_CACHE_KEY = "mpesa:oauth-token"
STK_PUSH_PATH = "/mpesa/stkpush/v1/processrequest"
STK_QUERY_PATH = "/mpesa/stkpushquery/v1/query"
OAUTH_PATH = "/oauth/v1/generate"
TIMEOUT_SECONDS = 15.0


class MpesaError(Exception):
    """Daraja refused the request, could not be reached, or answered something unreadable."""


class InvalidPhone(ValueError):
    """Not a Kenyan mobile number M-Pesa can push to."""


@dataclass(frozen=True)
class StkPushResult:
    merchant_request_id: str
    checkout_request_id: str
    response_code: str
    response_description: str
    customer_message: str


@dataclass(frozen=True)
class StkQueryResult:
    result_code: int | None
    result_desc: str
    pending: bool


def normalise_phone(raw: str) -> str:
    """``0712 345 678``, ``+254712345678``, ``712345678`` -> ``254712345678`` (07xx and 01xx ranges)."""
    digits = re.sub(r"[\s\-()]", "", raw or "").removeprefix("+")
    if re.fullmatch(r"0[17]\d{8}", digits):
        digits = "254" + digits[1:]
    elif re.fullmatch(r"[17]\d{8}", digits):
        digits = "254" + digits
    if not re.fullmatch(r"254[17]\d{8}", digits):
        raise InvalidPhone("Use a Kenyan mobile number such as 0712345678 or 254712345678.")
    return digits


def timestamp(now: datetime | None = None) -> str:
    """Daraja's YYYYMMDDHHmmss, in Nairobi time."""
    return (now or datetime.now(tz=NAIROBI)).astimezone(NAIROBI).strftime("%Y%m%d%H%M%S")


def stk_password(shortcode: str, passkey: str, stamp: str) -> str:
    """base64(shortcode + passkey + timestamp)."""
    return base64.b64encode(f"{shortcode}{passkey}{stamp}".encode()).decode()


def daraja_callback_url(base: str | None = None) -> str:
    """The CallBackURL sent to Daraja: MPESA_CALLBACK_URL with MPESA_CALLBACK_TOKEN appended as
    the last path segment when a token is configured (the callback route checks it)."""
    url = base or settings.MPESA_CALLBACK_URL
    token = settings.MPESA_CALLBACK_TOKEN
    if not token:
        return url
    path, _, query = url.partition("?")
    if path.rstrip("/").endswith(f"/{token}"):
        return url
    path = f"{path.rstrip('/')}/{token}/"
    return f"{path}?{query}" if query else path


def _int(value: Any, what: str) -> int:
    """An integer Daraja sent as a number or a numeric string; anything else is an MpesaError."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise MpesaError(f"M-Pesa answered a non-numeric {what}: {value!r}"[:200])
    try:
        number = int(value)
    except ValueError as error:
        raise MpesaError(f"M-Pesa answered a non-numeric {what}: {value!r}"[:200]) from error
    if abs(number) > 2**31 - 1:
        raise MpesaError(f"M-Pesa answered an out-of-range {what}."[:200])
    return number


def whole_shillings(amount: Decimal) -> int:
    """Daraja takes whole shillings; a fractional amount is rounded up so it is never short."""
    return int(Decimal(amount).to_integral_value(rounding=ROUND_CEILING))


class DarajaClient:
    """The Daraja HTTP API. One instance per call site is fine: the token lives in the cache."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        consumer_key: str | None = None,
        consumer_secret: str | None = None,
        shortcode: str | None = None,
        passkey: str | None = None,
        callback_url: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = (base_url or mpesa_base_url()).rstrip("/")
        self.consumer_key = consumer_key if consumer_key is not None else settings.MPESA_CONSUMER_KEY
        self.consumer_secret = consumer_secret if consumer_secret is not None else settings.MPESA_CONSUMER_SECRET
        self.shortcode = shortcode or settings.MPESA_SHORTCODE
        self.passkey = passkey or settings.MPESA_PASSKEY
        self.callback_url = callback_url or daraja_callback_url()
        self._transport = transport

    def _client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=TIMEOUT_SECONDS, transport=self._transport)

    def access_token(self) -> str:
        """The OAuth bearer token, fetched with the consumer key and secret and cached until it expires."""
        cached = cache.get(TOKEN_CACHE_KEY)
        if cached:
            return cached
        try:
            with self._client() as client:
                response = client.get(
                    OAUTH_PATH,
                    params={"grant_type": "client_credentials"},
                    auth=(self.consumer_key or "simulator", self.consumer_secret or "simulator"),
                )
        except httpx.HTTPError as error:
            raise MpesaError(f"M-Pesa could not be reached: {error}") from error
        if response.status_code != 200:
            raise MpesaError(f"M-Pesa refused the credentials (HTTP {response.status_code}).")
        try:
            data = response.json()
        except ValueError as error:
            raise MpesaError("M-Pesa answered the token request without JSON.") from error
        if not isinstance(data, dict):
            raise MpesaError("M-Pesa answered the token request with unexpected JSON.")
        token = data.get("access_token")
        if not token or not isinstance(token, str):
            raise MpesaError("M-Pesa answered no access token.")
        expires_in = _int(data.get("expires_in", 3599), "expires_in")
        cache.set(TOKEN_CACHE_KEY, token, max(expires_in - 60, 1))
        return token

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        token = self.access_token()
        try:
            with self._client() as client:
                response = client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as error:
            raise MpesaError(f"M-Pesa could not be reached: {error}") from error
        if response.status_code == 401:
            cache.delete(TOKEN_CACHE_KEY)
        try:
            data = response.json()
        except ValueError as error:
            raise MpesaError(f"M-Pesa answered HTTP {response.status_code} without JSON.") from error
        if not isinstance(data, dict):
            raise MpesaError(f"M-Pesa answered HTTP {response.status_code} with unexpected JSON.")
        if response.status_code >= 400 or "errorCode" in data:
            raise MpesaError(str(data.get("errorMessage") or f"M-Pesa answered HTTP {response.status_code}."))
        return data

    def stk_push(
        self, *, amount: Decimal, phone: str, account_reference: str, description: str, callback_url: str | None = None
    ) -> StkPushResult:
        """Ask the customer's phone to approve a payment (Lipa Na M-Pesa Online)."""
        stamp = timestamp()
        msisdn = normalise_phone(phone)
        body = {
            "BusinessShortCode": self.shortcode,
            "Password": stk_password(self.shortcode, self.passkey, stamp),
            "Timestamp": stamp,
            "TransactionType": "CustomerPayBillOnline",
            "Amount": whole_shillings(amount),
            "PartyA": msisdn,
            "PartyB": self.shortcode,
            "PhoneNumber": msisdn,
            "CallBackURL": callback_url or self.callback_url,
            "AccountReference": account_reference[:12],
            "TransactionDesc": description[:13] or "Payment",
        }
        data = self._post(STK_PUSH_PATH, body)
        checkout_id = data.get("CheckoutRequestID")
        if str(data.get("ResponseCode")) != "0" or not isinstance(checkout_id, str) or not checkout_id:
            raise MpesaError(str(data.get("ResponseDescription") or data.get("errorMessage") or "STK push refused."))
        if len(checkout_id) > 100:
            raise MpesaError("M-Pesa answered an over-long CheckoutRequestID.")
        return StkPushResult(
            merchant_request_id=str(data.get("MerchantRequestID", ""))[:100],
            checkout_request_id=checkout_id,
            response_code=str(data.get("ResponseCode")),
            response_description=str(data.get("ResponseDescription", "")),
            customer_message=str(data.get("CustomerMessage", "")),
        )

    def stk_query(self, *, checkout_request_id: str) -> StkQueryResult:
        """The state of an STK push; ``pending`` while the customer has not answered."""
        stamp = timestamp()
        body = {
            "BusinessShortCode": self.shortcode,
            "Password": stk_password(self.shortcode, self.passkey, stamp),
            "Timestamp": stamp,
            "CheckoutRequestID": checkout_request_id,
        }
        try:
            data = self._post(STK_QUERY_PATH, body)
        except MpesaError as error:
            # Daraja answers 500.001.1001 "The transaction is being processed" while the user decides.
            if "being processed" in str(error).lower():
                return StkQueryResult(result_code=None, result_desc=str(error), pending=True)
            raise
        code = data.get("ResultCode")
        if code is None or code == "":
            return StkQueryResult(result_code=None, result_desc=str(data.get("ResponseDescription", "")), pending=True)
        return StkQueryResult(
            result_code=_int(code, "ResultCode"), result_desc=str(data.get("ResultDesc", "")), pending=False
        )


def simulator_enabled() -> bool:
    """The embedded default: no Daraja credentials, so the local simulator stands in."""
    return not settings.MPESA_CONSUMER_KEY


def mpesa_base_url() -> str:
    if simulator_enabled():
        return settings.MPESA_SIMULATOR_URL
    return settings.MPESA_BASE_URL
