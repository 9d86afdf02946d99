"""Load the embedded default's demo data: five accounts (one per main role), two
companies with branches, published listings in Nairobi and on the coast, CRM leads and a
client, a running lease with its rent invoices (one paid, one open) and a viewing request.

Safe to run again whatever happened to the demo rows since: what exists is left as it
is, soft-deleted demo accounts and companies are restored, and each part is made in its
own savepoint, so one part that cannot be made is skipped with a warning instead of
failing the whole command."""

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from domus.accounts import selectors as account_selectors
from domus.accounts import services as accounts
from domus.core.exceptions import Conflict
from domus.core.roles import Role
from domus.crm import selectors as crm_selectors
from domus.crm import services as crm
from domus.finance.services.invoices import invoice_issue_for_period
from domus.finance.services.payments import payment_record_manual
from domus.leasing import selectors as lease_selectors
from domus.leasing import services as leasing
from domus.organizations import selectors as org_selectors
from domus.organizations import services as organizations
from domus.properties import selectors as listing_selectors
from domus.properties import services as listings
from domus.properties.selectors.visits import visit_visible_to
from domus.properties.services.visits import visit_create

DEMO_PASSWORD = "password123"  # documented in the README; the embedded default only
DEMO_ACCOUNTS = [
    ("admin@example.com", "admin", Role.ADMIN, "Ada", "Admin"),
    ("agent@example.com", "agent", Role.AGENT, "Amani", "Agent"),
    ("owner@example.com", "owner", Role.OWNER, "Olive", "Owner"),
    ("tenant@example.com", "tenant", Role.TENANT, "Tito", "Tenant"),
    ("customer@example.com", "customer", Role.CUSTOMER, "Cleo", "Customer"),
]
DEMO_COMPANIES = [
    {
        "name": "Acme Realty",
        "legal_name": "Acme Realty Ltd",
        "registration_number": "PVT-2019-0042",
        "email": "hello@acme-realty.example.com",
        "phone": "+254700000001",
        "address": "Kenyatta Avenue 12",
        "city": "Nairobi",
        "country": "KE",
        "branches": [
            {
                "name": "Nairobi CBD",
                "code": "NBO-HQ",
                "city": "Nairobi",
                "is_headquarters": True,
                "address": "Kenyatta Avenue 12",
                "latitude": "-1.283300",
                "longitude": "36.816700",
            },
            {
                "name": "Westlands",
                "code": "NBO-WL",
                "city": "Nairobi",
                "address": "Waiyaki Way 88",
                "latitude": "-1.267900",
                "longitude": "36.811000",
            },
        ],
    },
    {
        "name": "Coastline Homes",
        "legal_name": "Coastline Homes Ltd",
        "registration_number": "PVT-2021-0117",
        "email": "karibu@coastline.example.com",
        "phone": "+254700000002",
        "address": "Moi Avenue 3",
        "city": "Mombasa",
        "country": "KE",
        "branches": [
            {
                "name": "Mombasa",
                "code": "MBA-HQ",
                "city": "Mombasa",
                "is_headquarters": True,
                "address": "Moi Avenue 3",
                "latitude": "-4.043500",
                "longitude": "39.668200",
            },
            {
                "name": "Diani",
                "code": "MBA-DN",
                "city": "Diani",
                "address": "Diani Beach Road",
                "latitude": "-4.279700",
                "longitude": "39.594800",
            },
        ],
    },
]

DEMO_FEATURES = ["Parking", "Swimming pool", "Garden", "Gym", "Security", "Balcony", "Borehole"]
# (title, property type, listing type, price, bedrooms, bathrooms, area m², city, address, lat, lng, features)
DEMO_LISTINGS = [
    (
        "Kilimani 2-bedroom apartment",
        "apartment",
        "rent",
        "85000",
        2,
        2,
        95,
        "Nairobi",
        "Argwings Kodhek Road",
        "-1.292100",
        "36.785600",
        ["parking", "gym", "security"],
    ),
    (
        "Westlands penthouse with city views",
        "apartment",
        "sale",
        "28500000",
        3,
        3,
        210,
        "Nairobi",
        "Rhapta Road",
        "-1.265000",
        "36.803900",
        ["parking", "swimming-pool", "balcony"],
    ),
    (
        "Karen family house on half an acre",
        "house",
        "sale",
        "65000000",
        5,
        4,
        420,
        "Nairobi",
        "Karen Road",
        "-1.319400",
        "36.707600",
        ["garden", "borehole", "security", "parking"],
    ),
    (
        "Lavington townhouse",
        "townhouse",
        "rent",
        "250000",
        4,
        4,
        280,
        "Nairobi",
        "James Gichuru Road",
        "-1.279800",
        "36.771200",
        ["garden", "parking", "security"],
    ),
    (
        "Upper Hill office floor",
        "office",
        "rent",
        "900000",
        0,
        2,
        600,
        "Nairobi",
        "Matumbato Road",
        "-1.298900",
        "36.815100",
        ["parking", "security"],
    ),
    (
        "Kileleshwa studio",
        "apartment",
        "rent",
        "35000",
        0,
        1,
        38,
        "Nairobi",
        "Othaya Road",
        "-1.283400",
        "36.785100",
        ["security"],
    ),
    (
        "Nyali beachfront villa",
        "villa",
        "sale",
        "95000000",
        6,
        6,
        650,
        "Mombasa",
        "Links Road",
        "-4.022300",
        "39.719800",
        ["swimming-pool", "garden", "security", "parking"],
    ),
    (
        "Diani cottage near the beach",
        "house",
        "rent",
        "120000",
        3,
        2,
        160,
        "Diani",
        "Diani Beach Road",
        "-4.295800",
        "39.582900",
        ["garden", "swimming-pool"],
    ),
    (
        "Bamburi plot, 1/4 acre",
        "land",
        "sale",
        "4500000",
        0,
        0,
        1012,
        "Mombasa",
        "Bamburi Road",
        "-3.990000",
        "39.726000",
        [],
    ),
    (
        "Mombasa CBD shop front",
        "commercial",
        "rent",
        "150000",
        0,
        1,
        120,
        "Mombasa",
        "Moi Avenue",
        "-4.060900",
        "39.669500",
        ["security"],
    ),
]


# (name, e-mail, phone, source, status, lost reason, listing title, budget min, budget max, message)
DEMO_LEADS = [
    (
        "Wanjiru Kamau",
        "wanjiru.kamau@example.com",
        "0711 000 111",
        "contact_form",
        "new",
        "",
        "Kileleshwa studio",
        "30000",
        "40000",
        "Is the studio still available from next month?",
    ),
    (
        "Brian Otieno",
        "brian.otieno@example.com",
        "0722 000 222",
        "listing_inquiry",
        "contacted",
        "",
        "Westlands penthouse with city views",
        "25000000",
        "30000000",
        "Can I see the penthouse this week? Cash buyer.",
    ),
    (
        "Fatma Said",
        "fatma.said@example.com",
        "0733 000 333",
        "schedule_call",
        "qualified",
        "",
        "Lavington townhouse",
        "200000",
        "260000",
        "Please call me about the townhouse after 5 pm.",
    ),
    (
        "Peter Mwangi",
        "peter.mwangi@example.com",
        "",
        "campaign",
        "lost",
        "Bought a house elsewhere.",
        None,
        None,
        None,
        "",
    ),
]
DEMO_LEASED_LISTING = "Kilimani 2-bedroom apartment"
DEMO_VIEWING_LISTING = "Westlands penthouse with city views"


def _first_of_previous_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


class Command(BaseCommand):
    help = "Load the demo data of the embedded default (safe to repeat)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--quiet", action="store_true", help="Do not print the demo accounts.")

    def handle(self, *args, quiet: bool = False, **options) -> None:
        if not settings.EMBEDDED:
            raise CommandError("Demo accounts exist only in the embedded default (DATABASE_URL unset).")
        self.skipped = 0
        users = {}
        for account in DEMO_ACCOUNTS:
            users[account[2]] = self._part(f"the demo account {account[0]}", self._user, *account)
        admin = users[Role.ADMIN]
        if admin is None:
            raise CommandError("The demo admin account cannot be made; nothing else can be loaded.")
        companies = {}
        for spec in DEMO_COMPANIES:
            companies[spec["name"]] = self._part(f"the demo company {spec['name']}", self._company, spec, users)
        self._listings(admin=admin, owner=users[Role.OWNER], agent=users[Role.AGENT], companies=companies)
        acme = companies[DEMO_COMPANIES[0]["name"]]
        if acme is not None:
            self._part("the demo leads and client", self._crm, admin=admin, company=acme, users=users)
            self._part("the demo lease and its invoices", self._lease, admin=admin, company=acme, users=users)
            self._part("the demo viewing request", self._viewing, company=acme, users=users)
        if not quiet:
            self.stdout.write("  Demo accounts (embedded default only), password: " + DEMO_PASSWORD)
            for email, _, role, *_ in DEMO_ACCOUNTS:
                self.stdout.write(f"    {role:<9} {email}")
        if self.skipped:
            self.stderr.write(self.style.WARNING(f"  {self.skipped} demo part(s) skipped: see the warnings above."))

    def _part(self, label: str, make: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Make one demo part in its own savepoint; a failure is a warning, not the end."""
        try:
            with transaction.atomic():
                return make(*args, **kwargs)
        except Exception as error:  # any failure of one part must leave the others alone
            self.skipped += 1
            errors = getattr(error, "errors", None)
            self.stderr.write(self.style.WARNING(f"  Skipped {label}: {error}" + (f" {errors}" if errors else "")))
            return None

    def _user(self, email: str, username: str, role: str, first_name: str, last_name: str):
        existing = account_selectors.user_by_email_any(email)
        if existing is not None:
            if existing.deleted_at is not None or not existing.is_active:
                existing = accounts.user_restore(actor=None, user=existing, password=DEMO_PASSWORD)
                self.stdout.write(f"  Restored the demo account {email} (password reset to the demo one).")
            return existing
        return accounts.user_create(
            actor=None,
            email=email,
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            first_name=first_name,
            last_name=last_name,
            validate_password=False,
        )

    def _company(self, spec: dict, users: dict[str, Any]):
        """The demo company, created or restored, with its branches, its members (the demo
        agent and owner) and onboarded to ``active``."""
        admin = users[Role.ADMIN]
        company = org_selectors.company_visible_to(admin).filter(name=spec["name"]).first()
        if company is None:
            deleted = org_selectors.company_deleted_named(spec["name"])
            if deleted is not None:
                company = organizations.company_restore(actor=admin, company=deleted)
                self.stdout.write(f"  Restored the demo company {spec['name']}.")
            else:
                fields = {k: v for k, v in spec.items() if k != "branches"}
                company = organizations.company_create(actor=admin, **fields)
        codes = set(org_selectors.branch_visible_to(admin).filter(company=company).values_list("code", flat=True))
        for branch in spec["branches"]:
            if branch["code"] not in codes:
                organizations.branch_create(actor=admin, company=company, **branch)
        for role in (Role.AGENT, Role.OWNER):
            user = users[role]
            if user is not None and org_selectors.user_company_role(user, company.id) is None:
                self._part(
                    f"the {role} membership of {company.name}",
                    organizations.membership_create,
                    actor=admin,
                    company=company,
                    user=user,
                    role=role,
                )
        agent = users[Role.AGENT]
        has_profile = agent is None or account_selectors.agent_profile_visible_to(admin).filter(user=agent).exists()
        if spec is DEMO_COMPANIES[0] and not has_profile:  # the demo agent works for the first company
            accounts.agent_profile_create(actor=admin, user=agent, company_id=company.id)
        while company.status != "active":
            step = company.default_onboarding_step()
            if step is None:
                raise Conflict(f"The company is {company.status}: a platform admin must reactivate it.")
            company = organizations.company_onboard(actor=admin, company=company, step=step)
        return company

    def _listings(self, *, admin, owner, agent, companies: dict[str, Any]) -> None:
        for name in DEMO_FEATURES:
            if not listing_selectors.features_by_slug([name.lower().replace(" ", "-")]):
                self._part(f"the feature {name}", listings.feature_create, actor=admin, name=name)
        if owner is None:
            return
        by_city = {c.city: c for c in companies.values() if c is not None}
        titles = set(listing_selectors.listing_visible_to(admin).filter(owner=owner).values_list("title", flat=True))
        for title, ptype, ltype, price, beds, baths, area, city, address, lat, lng, features in DEMO_LISTINGS:
            company = by_city.get("Nairobi" if city == "Nairobi" else "Mombasa")
            if title in titles or company is None:
                continue
            self._part(
                f"the listing {title}",
                listings.listing_create,
                actor=owner,
                title=title,
                description=f"{title}, {city}. A demo listing of the embedded default.",
                price=Decimal(price),
                company_id=company.id,
                agent_id=agent.id if agent is not None else None,
                status="available",
                is_published=True,
                property_type=ptype,
                listing_type=ltype,
                bedrooms=beds,
                bathrooms=baths,
                area_m2=Decimal(area),
                address=address,
                city=city,
                country="KE",
                latitude=Decimal(lat),
                longitude=Decimal(lng),
                features=features,
            )

    def _listing(self, admin, company, title: str):
        return listing_selectors.listing_visible_to(admin).filter(company=company, title=title).first()

    def _crm(self, *, admin, company, users: dict[str, Any]) -> None:
        """Leads in several statuses and from several sources, and the demo customer as a client."""
        for name, email, phone, source, status, lost_reason, title, low, high, message in DEMO_LEADS:
            if crm_selectors.lead_visible_to(admin).filter(company=company, email=email).exists():
                continue
            listing = self._listing(admin, company, title) if title else None
            lead, _ = crm.lead_create(
                actor=admin,
                company_id=company.id,
                name=name,
                email=email,
                phone=phone,
                message=message,
                source=source,
                listing=listing,
                budget_min=Decimal(low) if low else None,
                budget_max=Decimal(high) if high else None,
            )
            if status != "new":
                reason = {"lost_reason": lost_reason} if lost_reason else {}
                crm.lead_update(actor=admin, lead=lead, status=status, **reason)
        customer = users[Role.CUSTOMER]
        if (
            customer is not None
            and not crm_selectors.client_visible_to(admin).filter(company=company, user=customer).exists()
        ):
            crm.client_create(
                actor=admin,
                company_id=company.id,
                name=customer.get_full_name() or customer.email,
                email=customer.email,
                phone="0700 123 456",
                user_id=customer.id,
                assigned_agent_id=users[Role.AGENT].id if users[Role.AGENT] is not None else None,
                budget_min=Decimal("20000000"),
                budget_max=Decimal("32000000"),
                locations=["Westlands", "Kilimani"],
                property_types=["apartment"],
                bedrooms_min=3,
                notes="Looking to buy an apartment in Nairobi; asked for a viewing.",
            )

    def _lease(self, *, admin, company, users: dict[str, Any]) -> None:
        """A year's lease of a rent listing to the demo tenant, started on the first of last
        month: last month's rent invoice paid in cash, this month's open for the M-Pesa simulator."""
        tenant = users[Role.TENANT]
        listing = self._listing(admin, company, DEMO_LEASED_LISTING)
        if tenant is None or listing is None:
            raise Conflict("The demo tenant or the listing to lease is missing.")
        if lease_selectors.lease_visible_to(admin).filter(listing=listing, tenant=tenant).exists():
            return
        start = _first_of_previous_month(timezone.localdate())
        lease = leasing.lease_create(
            actor=admin,
            listing_id=listing.id,
            tenant=tenant,
            start_date=start,
            end_date=date(start.year + 1, start.month, 1) - timedelta(days=1),
            rent_amount=listing.price,
            deposit=listing.price,
            billing_day=1,
        )
        lease = leasing.lease_activate(actor=admin, lease=lease)
        today = timezone.localdate()
        due = [p for p in lease_selectors.rent_periods_of(lease=lease) if p.due_date <= today][:2]
        invoices = [invoice_issue_for_period(period=period) for period in due]
        payment_record_manual(
            actor=admin,
            method="cash",
            amount=invoices[0].total,
            reference="DEMO-CASH-0001",
            invoice_id=invoices[0].id,
            notes="Paid at the Nairobi CBD office (demo data).",
        )

    def _viewing(self, *, company, users: dict[str, Any]) -> None:
        """The demo customer asks to view the penthouse tomorrow at 10:00."""
        customer, admin = users[Role.CUSTOMER], users[Role.ADMIN]
        if customer is None:
            raise Conflict("The demo customer is missing.")
        if visit_visible_to(customer).filter(customer=customer).exists():
            return
        listing = self._listing(admin, company, DEMO_VIEWING_LISTING)
        if listing is None:
            raise Conflict(f"The listing {DEMO_VIEWING_LISTING} is missing.")
        tomorrow = timezone.localdate() + timedelta(days=1)
        starts_at = timezone.make_aware(datetime.combine(tomorrow, time(10, 0)))
        visit_create(
            actor=customer,
            listing_id=listing.id,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=1),
            note="I would like to see the view from the terrace.",
        )
