"""No log line and no job message carries a secret: every log of a whole account's life
(sign-up, activation, login, password reset, e-mail change, a WebSocket session) is
captured at DEBUG, as the configured console handler writes it, and searched for every
token handed out on the way."""

import io
import logging
import re
from collections.abc import Iterator

import pytest
from asgiref.sync import async_to_sync
from celery.signals import task_prerun
from channels.routing import URLRouter
from channels.testing.websocket import WebsocketCommunicator
from django.core import mail

from domus.core.logging import redact_tokens
from domus.routing import websocket_urlpatterns

API = "/api/v1/accounts"
PASSWORD = "Sturdy-Pass-2024!"
NEW_PASSWORD = "Sturdier-Pass-2025!"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch) -> None:
    # As in the WebSocket tests: the consumer runs on this test's connection.
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


@pytest.fixture
def everything_logged(settings) -> Iterator[io.StringIO]:
    """What the console handler writes while every logger is at DEBUG (SQL included)."""
    settings.DEBUG = True  # Django logs every SQL statement at DEBUG then
    console = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    stream = io.StringIO()
    previous_stream = console.setStream(stream)
    loggers = [logging.getLogger()] + [
        logger for logger in logging.root.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    levels = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        for logger, level in levels:
            logger.setLevel(level)
        console.setStream(previous_stream)


@pytest.fixture
def job_arguments() -> Iterator[list[str]]:
    """The arguments of every background job run (what a broker message carries)."""
    seen: list[str] = []

    def remember(sender=None, args=None, kwargs=None, **extra) -> None:
        seen.append(f"{sender.name} {args!r} {kwargs!r}")

    task_prerun.connect(remember, weak=False)
    yield seen
    task_prerun.disconnect(remember)


def last_token(to: str) -> str:
    message = next(m for m in reversed(mail.outbox) if to in m.to)
    return re.search(r"^Token: (\S+)$", message.body, re.MULTILINE).group(1)


def websocket_session(access: str) -> None:
    app = URLRouter(websocket_urlpatterns)

    async def scenario() -> None:
        for socket in (
            WebsocketCommunicator(app, "/ws/", subprotocols=["bearer", access]),  # the documented way
            WebsocketCommunicator(app, f"/ws/?token={access}"),  # older clients
        ):
            connected, _ = await socket.connect(timeout=3)
            assert connected
            assert (await socket.receive_json_from(timeout=3))["type"] == "welcome"
            await socket.disconnect()

    async_to_sync(scenario)()
    # The line the ASGI server (uvicorn) writes for the query-string handshake.
    logging.getLogger("uvicorn.error").info(
        '%s - "WebSocket %s" [accepted]', "203.0.113.9:50212", f"/ws/?token={access}"
    )
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "203.0.113.9:50212", "GET", f"/ws/?a=1&access_token={access}", "1.1", 404
    )


def test_no_log_line_or_job_carries_a_token(api_client, sent, everything_logged, job_arguments):
    secrets: list[str] = []
    post = api_client.post_json

    assert (
        sent(lambda: post(f"{API}/auth/register/", {"email": "ana@example.test", "password": PASSWORD})).status_code
        == 202
    )
    secrets.append(last_token("ana@example.test"))
    assert post(f"{API}/auth/ana/activate/", {"token": secrets[-1]}).status_code == 200
    assert post(f"{API}/auth/ana/activate/", {"token": secrets[-1]}).status_code == 400  # logged as a 400

    login = post(f"{API}/auth/token/", {"email": "ana@example.test", "password": PASSWORD}).json()
    secrets += [login["access"], login["refresh"]]
    sent(lambda: post(f"{API}/auth/forgot-password/", {"email": "ana@example.test"}))
    secrets.append(last_token("ana@example.test"))
    assert post(f"{API}/auth/reset-password/", {"token": secrets[-1], "new_password": NEW_PASSWORD}).status_code == 200

    login = post(f"{API}/auth/token/", {"username": "ana", "password": NEW_PASSWORD}).json()
    secrets += [login["access"], login["refresh"]]
    bearer = {"Authorization": f"Bearer {login['access']}"}
    change = {"new_email": "ana.new@example.test", "password": NEW_PASSWORD}
    assert sent(lambda: post(f"{API}/me/email/", change, headers=bearer)).status_code == 202
    secrets.append(last_token("ana.new@example.test"))
    assert sent(lambda: post(f"{API}/me/email/confirm/", {"token": secrets[-1]})).status_code == 200
    # A token in a query string of a refused request (Django logs the request then): the
    # API takes no ``token`` parameter there, so it is an unknown query parameter.
    assert api_client.get(f"{API}/me/?token={login['access']}").status_code == 400

    websocket_session(login["access"])

    logged = everything_logged.getvalue()
    for secret in secrets:
        assert secret not in logged
        assert not any(secret in arguments for arguments in job_arguments)
    assert "WebSocket /ws/?token=[redacted]" in logged  # the lines were written, redacted
    assert "Bad Request: /api/v1/accounts/me/" in logged
    mails = [
        arguments for arguments in job_arguments if arguments.startswith("domus.accounts.tasks.send_account_mail ")
    ]
    kinds = [re.search(r"'kind': '(\w+)'", arguments).group(1) for arguments in mails]
    assert kinds == ["activation", "password_reset", "email_change_confirm", "email_change_requested", "email_changed"]


def test_redaction_keeps_everything_but_token_values():
    assert redact_tokens("GET /ws/?token=a.b.c HTTP/1.1") == "GET /ws/?token=[redacted] HTTP/1.1"
    assert redact_tokens("/cb/?x=1&Access_Token=abc&page=2") == "/cb/?x=1&Access_Token=[redacted]&page=2"
    assert redact_tokens("/listings/?page=2&tokens_left=3") == "/listings/?page=2&tokens_left=3"
