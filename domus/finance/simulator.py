"""LOCAL M-PESA SIMULATOR (embedded default only; never used when MPESA_CONSUMER_KEY is set).

It stands in for the Daraja server at ``/api/v1/finance/mpesa-simulator/``: the real adapter
(``domus.integrations.mpesa``) fetches a token, sends STK pushes and queries here, and a few
seconds after each push the simulator POSTs a realistic ``Body.stkCallback`` to
``settings.MPESA_CALLBACK_URL`` (the real callback route, with the install's
MPESA_CALLBACK_TOKEN appended, so it is authenticated like Daraja's); the push body's
``CallBackURL`` is ignored as a destination. The outcome follows the phone number's last four
digits: ``1032`` cancelled, ``1037`` timed out, ``0001`` insufficient funds, ``2001`` wrong
PIN, ``9999`` never answers; anything else succeeds."""

import json
import logging
import secrets
import threading
from datetime import datetime
from typing import Any

import httpx
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja import Router

from domus.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from domus.core.query import reads_raw_request
from domus.integrations import mpesa

logger = logging.getLogger(__name__)
router = Router(tags=["mpesa simulator (local only)"])

OUTCOMES = {
    "1032": (1032, "Request cancelled by user"),
    "1037": (1037, "DS timeout user cannot be reached"),
    "0001": (1, "The balance is insufficient for the transaction"),
    "2001": (2001, "The initiator information is invalid."),
}
STATE_TTL = 24 * 3600
_timers: dict[str, threading.Timer] = {}
_lock = threading.Lock()


def _require_enabled() -> None:
    if not mpesa.simulator_enabled():
        raise NotFound("The M-Pesa simulator is off (Daraja credentials are configured).")


def _key(checkout_id: str) -> str:
    return f"mpesa-sim:{checkout_id}"


def callback_body(state: dict[str, Any]) -> dict[str, Any]:
    """The callback Daraja would send for this simulated push."""
    callback: dict[str, Any] = {
        "MerchantRequestID": state["merchant_request_id"],
        "CheckoutRequestID": state["checkout_request_id"],
        "ResultCode": state["result_code"],
        "ResultDesc": state["result_desc"],
    }
    if state["result_code"] == 0:
        callback["CallbackMetadata"] = {
            "Item": [
                {"Name": "Amount", "Value": state["amount"]},
                {"Name": "MpesaReceiptNumber", "Value": state["receipt"]},
                {"Name": "Balance"},
                {"Name": "TransactionDate", "Value": int(datetime.now(tz=mpesa.NAIROBI).strftime("%Y%m%d%H%M%S"))},
                {"Name": "PhoneNumber", "Value": int(state["phone"])},
            ]
        }
    return {"Body": {"stkCallback": callback}}


def deliver(checkout_id: str) -> None:
    """POST the simulated callback to our callback route (never to an address from the request)."""
    with _lock:
        _timers.pop(checkout_id, None)
    state = cache.get(_key(checkout_id))
    if state is None or state["result_code"] is None:
        return
    try:
        httpx.post(state["callback_url"], json=callback_body(state), timeout=10.0)
    except httpx.HTTPError as error:
        logger.warning("mpesa simulator could not deliver callback %s: %s", checkout_id, error)


def flush() -> None:
    """Deliver every scheduled callback now (tests and demos)."""
    with _lock:
        pending = list(_timers.items())
        _timers.clear()
    for checkout_id, timer in pending:
        timer.cancel()
        deliver(checkout_id)


@router.get("/oauth/v1/generate/", auth=None, summary="SIMULATOR: OAuth token", include_in_schema=False)
def oauth(request: HttpRequest, grant_type: str = "client_credentials"):
    _require_enabled()
    if not request.headers.get("Authorization", "").startswith("Basic "):
        raise PermissionDenied("Basic credentials required.")
    return {"access_token": f"SIM{secrets.token_hex(12)}", "expires_in": "3599"}


def _json(request: HttpRequest) -> dict[str, Any]:
    try:
        payload = json.loads(request.body)
    except ValueError as error:
        raise ValidationFailed("Invalid JSON body.") from error
    if not isinstance(payload, dict):
        raise ValidationFailed("Invalid JSON body.")
    return payload


def _bearer(request: HttpRequest) -> None:
    if not request.headers.get("Authorization", "").startswith("Bearer SIM"):
        raise PermissionDenied("Invalid access token.")


@router.post("/mpesa/stkpush/v1/processrequest/", auth=None, summary="SIMULATOR: STK push", include_in_schema=False)
@reads_raw_request
def stk_push(request: HttpRequest):
    _require_enabled()
    _bearer(request)
    payload = _json(request)
    phone = str(payload.get("PhoneNumber", ""))
    checkout_id = f"ws_CO_SIM_{secrets.token_hex(8)}"
    code, desc = OUTCOMES.get(phone[-4:], (0, "The service request is processed successfully."))
    state = {
        "merchant_request_id": f"SIM-{secrets.token_hex(6)}",
        "checkout_request_id": checkout_id,
        "amount": payload.get("Amount"),
        "phone": phone,
        # Only ever our own callback route: the body's CallBackURL is not trusted as a destination,
        # so the simulator cannot be used to make the server call arbitrary addresses.
        "callback_url": mpesa.daraja_callback_url(),
        "result_code": None if phone.endswith("9999") else code,
        "result_desc": desc,
        "receipt": f"SIM{secrets.token_hex(4).upper()}",
    }
    cache.set(_key(checkout_id), state, STATE_TTL)
    if state["result_code"] is not None:
        timer = threading.Timer(settings.MPESA_SIMULATOR_CALLBACK_DELAY, deliver, args=(checkout_id,))
        timer.daemon = True
        with _lock:
            _timers[checkout_id] = timer
        timer.start()
    return {
        "MerchantRequestID": state["merchant_request_id"],
        "CheckoutRequestID": checkout_id,
        "ResponseCode": "0",
        "ResponseDescription": "Success. Request accepted for processing",
        "CustomerMessage": "Success. Request accepted for processing (M-Pesa SIMULATOR)",
    }


@router.post("/mpesa/stkpushquery/v1/query/", auth=None, summary="SIMULATOR: STK query", include_in_schema=False)
@reads_raw_request
def stk_query(request: HttpRequest):
    _require_enabled()
    _bearer(request)
    payload = _json(request)
    state = cache.get(_key(str(payload.get("CheckoutRequestID", ""))))
    if state is None:
        return {
            "requestId": "sim",
            "errorCode": "400.002.02",
            "errorMessage": "Bad Request - Invalid CheckoutRequestID",
        }
    if state["result_code"] is None:
        return {"requestId": "sim", "errorCode": "500.001.1001", "errorMessage": "The transaction is being processed"}
    return {
        "ResponseCode": "0",
        "ResponseDescription": "The service request has been accepted successsfully",
        "MerchantRequestID": state["merchant_request_id"],
        "CheckoutRequestID": state["checkout_request_id"],
        "ResultCode": str(state["result_code"]),
        "ResultDesc": state["result_desc"],
    }
