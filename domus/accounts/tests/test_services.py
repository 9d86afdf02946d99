"""The services other apps and commands call directly."""

import inspect

import pytest

from domus.accounts import services
from domus.accounts.models import AgentProfile, Profile, User
from domus.core.events import subscribe
from domus.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from domus.core.roles import Role

pytestmark = pytest.mark.django_db


def test_user_create_keeps_the_signature_other_apps_use():
    parameters = inspect.signature(services.user_create).parameters
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters.values())
    defaults = {name: p.default for name, p in parameters.items()}
    assert defaults == {
        "actor": inspect.Parameter.empty,
        "email": inspect.Parameter.empty,
        "password": inspect.Parameter.empty,
        "username": None,
        "role": Role.CUSTOMER,
        "first_name": "",
        "last_name": "",
        "phone": "",
        "is_active": True,
        "validate_password": True,
    }


def test_user_create_makes_the_user_and_profile_and_audits(audit_log):
    user = services.user_create(actor=None, email=" Demo@Example.COM ", password="password123", validate_password=False)

    assert (user.email, user.username, user.role, user.is_active) == ("demo@example.com", "demo", Role.CUSTOMER, True)
    assert user.check_password("password123")
    assert Profile.objects.filter(user=user).exists()
    row = audit_log.objects.get(action="create", resource_type="accounts.user")
    assert row.actor_id is None
    assert row.resource_id == str(user.id)


def test_user_create_validates_passwords_by_default():
    with pytest.raises(ValidationFailed) as refused:
        services.user_create(actor=None, email="demo@example.com", password="password123")
    assert "password" in refused.value.errors
    assert not User.all_objects.exists()


def test_user_create_reports_every_problem_at_once(user):
    with pytest.raises(ValidationFailed) as refused:
        services.user_create(
            actor=None, email=user.email.upper(), username=user.username.upper(), password="1", role="king"
        )
    assert set(refused.value.errors) == {"email", "username", "password", "role"}


@pytest.mark.parametrize(
    ("email", "username"),
    [("!!!@example.test", "user"), ("ana+work@example.test", "ana+work"), ("o'brien@example.test", "obrien")],
)
def test_usernames_made_from_emails(email, username):
    assert services.user_create(actor=None, email=email, password="Sturdy-Pass-2024!").username == username


def test_agent_profile_create_for_the_demo_data(admin_user, company, audit_log):
    agent = services.user_create(
        actor=admin_user, email="a@example.test", password="Sturdy-Pass-2024!", role=Role.AGENT
    )

    profile = services.agent_profile_create(actor=admin_user, user=agent, company_id=company.id, agency_name="Acme")

    assert (profile.user, profile.company_id, profile.agency_name) == (agent, company.id, "Acme")
    assert audit_log.objects.get(action="create", resource_type="accounts.agentprofile").company_id == company.id
    with pytest.raises(Conflict):
        services.agent_profile_create(actor=admin_user, user=agent)


def test_agent_profile_create_guards(admin_user, agent):
    with pytest.raises(ValidationFailed) as unknown_field:
        services.agent_profile_create(actor=admin_user, user=agent, favourite_colour="blue")
    assert "favourite_colour" in unknown_field.value.errors
    with pytest.raises(NotFound):
        services.agent_profile_create(actor=admin_user, user=agent, company_id="01900000-0000-7000-8000-000000000000")
    with pytest.raises(PermissionDenied):
        services.agent_profile_create(actor=agent, user=agent, rating=5)
    assert not AgentProfile.objects.exists()


received: list[tuple[str, dict]] = []


@subscribe("user.created")
@subscribe("user.activated")
@subscribe("user.deleted")
def remember(*, event: str, payload: dict) -> None:
    received.append((event, payload))


def test_user_lifecycle_events_are_published_after_commit(api_client, admin_client, sent, registered, mail_token):
    received.clear()
    body = registered(email="ev@example.test")
    token = mail_token("ev@example.test")
    sent(lambda: api_client.post_json(f"/api/v1/accounts/auth/{body['username']}/activate/", {"token": token}))
    sent(lambda: admin_client.delete(f"/api/v1/accounts/users/{body['id']}/"))

    assert received == [
        ("user.created", {"user_id": body["id"], "role": "customer", "is_active": False}),
        ("user.activated", {"user_id": body["id"]}),
        ("user.deleted", {"user_id": body["id"]}),
    ]
