"""Every path of the original systems (docs/compatibility.md) that the platform foundation
serves answers at that path, with and
without the trailing slash and without /v1: never a routing 404, a 405 or a 500."""

import pytest

from domus.accounts.tests.factories import UserFactory
from domus.audit.services import audit_record
from domus.communications.tests.factories import (
    ConversationFactory,
    MessageFactory,
    NotificationFactory,
    TicketFactory,
)
from domus.core.roles import Role
from domus.crm.tests.factories import LeadFactory
from domus.organizations import services as org_services
from tests.compat_routing import FORMS, assert_routed, call

# (method, path relative to /api/v1/ or /api/) as the original systems write them
ORIGINAL_ROUTES = [
    # the real-estate backend with M-Pesa payments (realty-mpesa)
    ("POST", "accounts/auth/token"),
    ("POST", "accounts/auth/token/refresh"),
    ("POST", "accounts/auth/register"),
    ("POST", "accounts/auth/signup"),
    ("POST", "accounts/auth/logout"),
    ("GET", "accounts/auth/routes"),
    ("POST", "accounts/auth/{username}/activate"),
    ("GET", "accounts/me"),
    ("GET", "accounts/profile"),
    ("PUT", "accounts/profile/update"),
    ("PATCH", "accounts/profile/update"),
    ("GET", "accounts/users"),
    ("POST", "accounts/users"),
    ("GET", "accounts/users/{user_id}"),
    ("PATCH", "accounts/users/{user_id}"),
    ("GET", "accounts/profiles"),
    ("POST", "accounts/profiles"),
    ("GET", "accounts/profiles/{profile_id}"),
    ("PATCH", "accounts/profiles/{profile_id}"),
    ("GET", "accounts/agent-profiles"),
    ("POST", "accounts/agent-profiles"),
    ("GET", "accounts/agent-profiles/{agent_profile_id}"),
    ("PATCH", "accounts/agent-profiles/{agent_profile_id}"),
    # the real-estate management system (rems)
    ("POST", "auth/login"),
    ("POST", "auth/refresh"),
    ("POST", "auth/logout"),
    ("POST", "auth/verify"),
    ("POST", "auth/change-password"),
    ("POST", "auth/forgot-password"),
    ("POST", "auth/reset-password"),
    ("PUT", "accounts/users/{user_id}"),
    ("PUT", "accounts/profile"),
    ("GET", "companies"),
    ("POST", "companies"),
    ("GET", "companies/{company_id}"),
    ("PUT", "companies/{company_id}"),
    ("POST", "companies/{company_id}/onboard"),
    # the real-estate backend with M-Pesa payments (realty-mpesa): communications and support tickets
    ("GET", "properties/support/tickets"),
    ("POST", "properties/support/tickets"),
    ("GET", "properties/support/tickets/stats"),
    ("GET", "properties/support/tickets/{ticket_id}"),
    ("PUT", "properties/support/tickets/{ticket_id}"),
    ("POST", "properties/support/tickets/{ticket_id}/reply"),
    ("POST", "properties/support/tickets/{ticket_id}/assign"),
    ("POST", "properties/support/tickets/{ticket_id}/close"),
    ("GET", "communications/conversations"),
    ("POST", "communications/conversations/start_conversation"),
    ("GET", "communications/conversations/{conversation_id}/messages"),
    ("POST", "communications/conversations/{conversation_id}/send_message"),
    ("GET", "communications/conversations/unread_count"),
    ("GET", "communications/messages"),
    ("POST", "communications/messages/{message_id}/mark_read"),
    ("GET", "communications/notifications"),
    ("POST", "communications/notifications"),
    ("GET", "communications/notifications/{notification_id}"),
    ("PUT", "communications/notifications/{notification_id}"),
    # the statistics, communication and audit API (stats-comms): communication preferences and outreach
    ("GET", "communication/preferences"),
    ("POST", "communication/preferences"),
    ("PUT", "communication/preferences"),
    ("POST", "communication/send/{lead_id}"),
    ("POST", "communication/send-bulk"),
    # the real-estate CRM (crm)
    ("GET", "health"),
    ("GET", "health/details"),
    # the statistics, communication and audit API (stats-comms)
    ("GET", "audit/logs"),
    # the back office (backoffice)
    ("POST", "auth/register"),
    ("GET", "auth/me"),
    ("POST", "token/refresh"),
    ("POST", "token/verify"),
    ("GET", "users"),
    ("POST", "users"),
    ("GET", "users/{user_id}"),
    ("PATCH", "users/{user_id}"),
    ("GET", "stores"),
    ("POST", "stores"),
    ("GET", "stores/{branch_id}"),
    ("PATCH", "stores/{branch_id}"),
    ("GET", "logs"),
    ("GET", "logs/{log_id}"),
    ("GET", "logs/export"),
]
DELETE_ROUTES = [
    "accounts/users/{user_id}",
    "users/{user_id}",
    "accounts/profiles/{profile_id}",
    "accounts/agent-profiles/{agent_profile_id}",
    "companies/{company_id}",
    "stores/{branch_id}",
    "properties/support/tickets/{ticket_id}",
    "communications/notifications/{notification_id}",
]


@pytest.fixture
def ids(db, admin_user):
    from domus.accounts import services as account_services

    agent = account_services.user_create(
        actor=admin_user, email="compat-agent@example.test", password="Sturdy-Pass-2024!", role=Role.AGENT
    )
    company = org_services.company_create(actor=admin_user, name="Compat Realty")
    branch = org_services.branch_create(actor=admin_user, company=company, name="Compat HQ", code="HQ")
    agent_profile = account_services.agent_profile_create(actor=admin_user, user=agent, company_id=company.id)
    log = audit_record(actor=admin_user, action="test", resource_type="test", resource_id="1")
    conversation = ConversationFactory(members=[admin_user, agent])
    return {
        "conversation_id": conversation.id,
        "message_id": MessageFactory(conversation=conversation, sender=agent).id,
        "notification_id": NotificationFactory(recipient=admin_user).id,
        "ticket_id": TicketFactory(customer=agent, company=company).id,
        "lead_id": LeadFactory(company=company).id,
        "username": agent.username,
        "user_id": agent.id,
        "profile_id": agent.profile.id,
        "agent_profile_id": agent_profile.id,
        "company_id": company.id,
        "branch_id": branch.id,
        "log_id": log.id,
    }


@pytest.mark.parametrize(("method", "path"), ORIGINAL_ROUTES)
def test_original_route_answers_in_every_form(admin_client, ids, settings, method, path):
    settings.RATE_LIMITS_ENABLED = False
    for form in FORMS:
        url = form.format(path.format(**ids))
        assert_routed(call(admin_client, method, url), method, url)


@pytest.mark.parametrize("path", DELETE_ROUTES)
def test_original_delete_routes_answer(admin_client, ids, settings, path):
    settings.RATE_LIMITS_ENABLED = False
    url = FORMS[0].format(path.format(**ids))
    response = admin_client.delete(url)
    assert response.status_code == 204, (url, response.content[:200])


def test_a_customer_gets_refusals_not_routing_errors(client_for, ids, settings):
    settings.RATE_LIMITS_ENABLED = False
    customer = client_for(UserFactory(role=Role.CUSTOMER))
    for method, path in ORIGINAL_ROUTES:
        url = FORMS[3].format(path.format(**ids))
        assert_routed(call(customer, method, url), method, url)
