"""Captcha: one interface, ``captcha_verify(token, remote_ip)``, which raises
``ValidationFailed`` (400, ``{"captcha_token": [...]}``) unless the token proves a human.

When ``settings.CAPTCHA_SECRET`` is set, the token is a provider's (Cloudflare Turnstile,
hCaptcha, reCAPTCHA: any ``siteverify`` endpoint at ``settings.CAPTCHA_VERIFY_URL``) and is
checked with one POST there; a provider that does not answer is a 503. Otherwise the
embedded challenge is used and the internet is never called: ``captcha_challenge()``
answers a question ("What is 3 + 4?") and a signed challenge valid for ten minutes, and
the token is ``"<challenge>:<answer>"``. Each embedded token is accepted once.
"""

import hashlib
import secrets
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.core import signing

from domus.core.exceptions import ServiceUnavailable, ValidationFailed
from domus.core.throttling import security_cache

SALT = "domus.captcha"
MAX_AGE = 600


@dataclass(frozen=True)
class Challenge:
    question: str
    challenge: str


def _fail(message: str) -> ValidationFailed:
    return ValidationFailed("The captcha was not solved.", errors={"captcha_token": [message]})


def captcha_challenge() -> Challenge:
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    signed = signing.TimestampSigner(salt=SALT).sign_object({"s": a + b, "n": secrets.token_hex(8)})
    return Challenge(question=f"What is {a} + {b}?", challenge=signed)


def _verify_embedded(token: str) -> None:
    signed, _, answer = token.rpartition(":")
    try:
        data = signing.TimestampSigner(salt=SALT).unsign_object(signed, max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise _fail("The challenge has expired; ask for a new one.") from None
    except signing.BadSignature:
        raise _fail("Not a valid challenge.") from None
    if answer.strip() != str(data["s"]):
        raise _fail("Wrong answer.")
    used = "captcha-used:" + hashlib.sha256(signed.encode()).hexdigest()
    if not security_cache.add(used, 1, MAX_AGE):
        raise _fail("This challenge was already used.")


def _verify_provider(token: str, remote_ip: str | None) -> None:
    data = {"secret": settings.CAPTCHA_SECRET, "response": token}
    if remote_ip:
        data["remoteip"] = remote_ip
    try:
        answer = httpx.post(settings.CAPTCHA_VERIFY_URL, data=data, timeout=5.0)
        answer.raise_for_status()
        body = answer.json()
    except (httpx.HTTPError, ValueError):
        raise ServiceUnavailable("The captcha provider did not answer; try again.") from None
    if not body.get("success"):
        raise _fail("The captcha provider rejected the token.")


def captcha_verify(token: str | None, remote_ip: str | None = None) -> None:
    if not token:
        raise _fail("This field is required.")
    if settings.CAPTCHA_SECRET:
        _verify_provider(token, remote_ip)
    else:
        _verify_embedded(token)
