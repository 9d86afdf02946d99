from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.crm.selectors import LeadContact, lead_contacts
from domus.crm.tests.factories import LeadFactory
from domus.organizations.tests.factories import MembershipFactory


def test_lead_contacts_returns_only_leads_the_actor_may_see(db):
    staff = MembershipFactory(role=Role.STAFF)
    customer = UserFactory()
    mine = LeadFactory(company=staff.company, user=customer)
    other_company = LeadFactory()
    agent = UserFactory(role=Role.AGENT)
    assigned = LeadFactory(assigned_agent=agent)

    contacts = lead_contacts(actor=staff.user, lead_ids=[mine.id, other_company.id, assigned.id])

    assert contacts == {
        mine.id: LeadContact(
            id=mine.id,
            name=mine.name,
            email=mine.email,
            phone=mine.phone,
            company_id=staff.company_id,
            user_id=customer.id,
        )
    }
    assert set(lead_contacts(actor=agent, lead_ids=[mine.id, assigned.id])) == {assigned.id}
    assert lead_contacts(actor=UserFactory(), lead_ids=[mine.id]) == {}


def test_lead_contacts_gives_admins_every_lead_and_none_user_for_anonymous_leads(admin_user):
    lead = LeadFactory()

    assert lead_contacts(actor=admin_user, lead_ids=[lead.id])[lead.id].user_id is None
