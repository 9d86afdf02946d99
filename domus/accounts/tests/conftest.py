"""Fixtures of the accounts tests: agents, a company, the audit trail and e-mails."""

import re
from collections.abc import Callable

import pytest
from django.core import mail

from domus.accounts.models import User
from domus.accounts.schemas import UserOut
from domus.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from domus.core.roles import Role
from domus.organizations import services as org_services


@pytest.fixture(autouse=True)
def _no_rate_limits(settings) -> None:
    # Many tests log in or write repeatedly; the limits have their own tests, which
    # switch them back on.
    settings.RATE_LIMITS_ENABLED = False


@pytest.fixture
def agent(db):
    return UserFactory(role=Role.AGENT)


@pytest.fixture
def agent_client(client_for, agent):
    return client_for(agent)


@pytest.fixture
def company(admin_user):
    return org_services.company_create(actor=admin_user, name="Acme Realty")


@pytest.fixture
def member_company(admin_user, company, agent):
    """``company`` with ``agent`` as its agent member."""
    org_services.membership_create(actor=admin_user, company=company, user=agent, role=Role.AGENT)
    return company


@pytest.fixture
def login(api_client) -> Callable[..., dict]:
    """``login(user)``: log ``user`` in (default test password), answer the body."""

    def run(user, password: str = DEFAULT_PASSWORD) -> dict:
        response = api_client.post_json(
            "/api/v1/accounts/auth/token/", {"username": user.username, "password": password}
        )
        assert response.status_code == 200, response.content
        return response.json()

    return run


@pytest.fixture
def sent(django_capture_on_commit_callbacks) -> Callable:
    """``sent(call)``: run ``call`` and then its after-commit work (the e-mails);
    answer ``call``'s result."""

    def run(call: Callable):
        with django_capture_on_commit_callbacks(execute=True):
            return call()

    return run


@pytest.fixture
def mail_token() -> Callable[..., str]:
    """``mail_token(to)``: the token of the last e-mail sent to ``to``."""

    def find(to: str) -> str:
        message = next(m for m in reversed(mail.outbox) if to in m.to)
        return re.search(r"^Token: (\S+)$", message.body, re.MULTILINE).group(1)

    return find


@pytest.fixture
def registered(api_client, sent) -> Callable[..., dict]:
    """``registered(email=...)``: sign up through the API (e-mail sent), answer the new
    user as the API shows users (the sign-up answer itself names no account)."""

    def run(**fields) -> dict:
        body = {"email": "jane@example.test", "password": "Sturdy-Pass-2024!", **fields}
        response = sent(lambda: api_client.post_json("/api/v1/accounts/auth/register/", body))
        assert response.status_code == 202, response.content
        user = User.objects.get(email=body["email"].strip().lower())
        return UserOut.from_orm(user).model_dump(mode="json")

    return run
