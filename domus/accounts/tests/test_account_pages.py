"""The account e-mails (text and HTML, from templates, in the user's language) link to
pages of this server that answer 200 on GET, change nothing until their form is posted,
and then complete the action."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.urls import resolve

from domus.accounts.models import User
from domus.accounts.services import email_change_request, password_forgot
from domus.accounts.services.profiles import profile_write_for
from domus.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
FRONTEND = "http://127.0.0.1:8123"


@pytest.fixture(autouse=True)
def _frontend(settings):
    settings.FRONTEND_URL = FRONTEND


def _links(message) -> tuple[str, str]:
    """The page link of the text body, and the same link in the HTML alternative."""
    text_link = re.search(rf"^({re.escape(FRONTEND)}/\S+)$", message.body, re.MULTILINE).group(1)
    html = message.alternatives[0][0]
    html_link = re.search(rf'href="({re.escape(FRONTEND)}/[^"]+)"', html).group(1).replace("&amp;", "&")
    return text_link, html_link


def _page(link: str) -> tuple[Client, str, str]:
    """Open the page of ``link`` like a browser; answer the client, path and query."""
    parts = urlsplit(link)
    resolve(parts.path)  # a page of this server
    browser = Client(enforce_csrf_checks=True)
    response = browser.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200
    return browser, parts.path, response


def _post_form(browser: Client, path: str, page, **fields: str):
    """Submit the page's form: its hidden fields and CSRF token, plus ``fields``."""
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.content.decode()))
    return browser.post(path, {**hidden, **fields})


def test_the_activation_mail_links_to_a_page_whose_button_activates(api_client, sent):
    body = {"email": "jane@example.test", "password": "Sturdy-Pass-2024!"}
    assert sent(lambda: api_client.post_json("/api/v1/accounts/auth/register/", body)).status_code == 202
    message = mail.outbox[-1]
    text_link, html_link = _links(message)
    assert text_link == html_link
    assert urlsplit(text_link).path == "/account/activate/"

    browser, path, page = _page(text_link)
    assert not User.objects.get(email="jane@example.test").is_active  # opening the link does nothing

    done = _post_form(browser, path, page)

    assert done.status_code == 200
    assert "Your account is active" in done.content.decode()
    assert User.objects.get(email="jane@example.test").is_active
    again = _post_form(browser, path, page)
    assert again.status_code == 400  # the token is spent


def test_the_reset_mail_links_to_a_page_that_sets_the_new_password(api_client, sent):
    user = UserFactory(email="reset@example.test")
    sent(lambda: password_forgot(email="reset@example.test"))
    text_link, html_link = _links(mail.outbox[-1])
    assert text_link == html_link
    browser, path, page = _page(text_link)

    mismatch = _post_form(browser, path, page, new_password="Another-Pass-2025!", new_password_again="nope")
    assert mismatch.status_code == 400
    done = _post_form(browser, path, page, new_password="Another-Pass-2025!", new_password_again="Another-Pass-2025!")

    assert done.status_code == 200
    user.refresh_from_db()
    assert user.check_password("Another-Pass-2025!")
    login = api_client.post_json(
        "/api/v1/auth/login/", {"email": "reset@example.test", "password": "Another-Pass-2025!"}
    )
    assert login.status_code == 200


def test_the_confirmation_mail_links_to_a_page_whose_button_moves_the_address(sent):
    user = UserFactory(email="old@example.test")
    sent(lambda: email_change_request(user=user, password=DEFAULT_PASSWORD, new_email="new@example.test"))
    message = next(m for m in mail.outbox if "new@example.test" in m.to)
    text_link, html_link = _links(message)
    assert text_link == html_link
    browser, path, page = _page(text_link)
    user.refresh_from_db()
    assert user.email == "old@example.test"

    done = sent(lambda: _post_form(browser, path, page))

    assert done.status_code == 200
    assert "new@example.test" in done.content.decode()
    user.refresh_from_db()
    assert user.email == "new@example.test"


def test_the_forgot_password_page_of_the_sign_up_attempt_mail_sends_a_reset_link(api_client, sent):
    UserFactory(email="taken@example.test")
    body = {"email": "taken@example.test", "password": "Sturdy-Pass-2024!"}
    sent(lambda: api_client.post_json("/api/v1/accounts/auth/register/", body))
    text_link, html_link = _links(mail.outbox[-1])
    assert text_link == html_link
    browser, path, _ = _page(text_link)
    page = browser.get(path)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    mail.outbox.clear()

    done = sent(lambda: browser.post(path, {"csrfmiddlewaretoken": token, "email": "taken@example.test"}))

    assert done.status_code == 200
    assert [m.subject for m in mail.outbox] == ["Reset your Domus password"]


def test_mails_are_rendered_in_the_users_language(sent):
    user = UserFactory(email="fr@example.test")
    profile_write_for(actor=user, user=user, fields={"language": "fr"})

    sent(lambda: password_forgot(email="fr@example.test"))

    html = mail.outbox[-1].alternatives[0][0]
    assert '<html lang="fr">' in html


def test_an_unknown_language_falls_back_to_the_sites(sent):
    user = UserFactory(email="xx@example.test")
    profile_write_for(actor=user, user=user, fields={"language": "xx"})

    sent(lambda: password_forgot(email="xx@example.test"))

    assert '<html lang="en-us">' in mail.outbox[-1].alternatives[0][0]
