"""Load the embedded default's demo data: five accounts (one per main role), two
companies with branches, and published listings in Nairobi and on the coast. Safe to
run again: what exists is left as it is."""

from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from domus.accounts import services as accounts
from domus.core.roles import Role
from domus.organizations import selectors as org_selectors
from domus.organizations import services as organizations
from domus.properties import selectors as listing_selectors
from domus.properties import services as listings

DEMO_PASSWORD = "password123"  # seed 001's example; the embedded default only
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


class Command(BaseCommand):
    help = "Load the demo accounts and companies of the embedded default (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--quiet", action="store_true", help="Do not print the demo accounts.")

    def handle(self, *args, quiet: bool = False, **options) -> None:
        if not settings.EMBEDDED:
            raise CommandError("Demo accounts exist only in the embedded default (DATABASE_URL unset).")
        with transaction.atomic():
            users = {account[2]: self._user(*account) for account in DEMO_ACCOUNTS}
            for spec in DEMO_COMPANIES:
                self._company(spec, admin=users[Role.ADMIN], agent=users[Role.AGENT], owner=users[Role.OWNER])
            self._listings(admin=users[Role.ADMIN], agent=users[Role.AGENT], owner=users[Role.OWNER])
        if not quiet:
            self.stdout.write("  Demo accounts (embedded default only), password: " + DEMO_PASSWORD)
            for email, _, role, *_ in DEMO_ACCOUNTS:
                self.stdout.write(f"    {role:<9} {email}")

    def _user(self, email: str, username: str, role: str, first_name: str, last_name: str):
        existing = get_user_model().objects.filter(email__iexact=email).first()
        if existing is not None:
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

    def _company(self, spec: dict, *, admin, agent, owner) -> None:
        if org_selectors.company_visible_to(admin).filter(name=spec["name"]).exists():
            return
        fields = {k: v for k, v in spec.items() if k != "branches"}
        company = organizations.company_create(actor=admin, **fields)
        for branch in spec["branches"]:
            organizations.branch_create(actor=admin, company=company, **branch)
        organizations.membership_create(actor=admin, company=company, user=agent, role=Role.AGENT)
        organizations.membership_create(actor=admin, company=company, user=owner, role=Role.OWNER)
        if spec is DEMO_COMPANIES[0]:  # the demo agent works for the first company
            accounts.agent_profile_create(actor=admin, user=agent, company_id=company.id)
        for step in ("submit", "verify", "activate"):
            company = organizations.company_onboard(actor=admin, company=company, step=step)

    def _listings(self, *, admin, agent, owner) -> None:
        if listing_selectors.listing_visible_to(owner).filter(owner=owner).exists():
            return
        for name in DEMO_FEATURES:
            if not listing_selectors.features_by_slug([name.lower().replace(" ", "-")]):
                listings.feature_create(actor=admin, name=name)
        demo_companies = org_selectors.company_visible_to(admin).filter(name__in=[c["name"] for c in DEMO_COMPANIES])
        companies = {company.city: company for company in demo_companies}
        for title, ptype, ltype, price, beds, baths, area, city, address, lat, lng, features in DEMO_LISTINGS:
            company = companies["Nairobi"] if city == "Nairobi" else companies["Mombasa"]
            listings.listing_create(
                actor=owner,
                title=title,
                description=f"{title}, {city}. A demo listing of the embedded default.",
                price=Decimal(price),
                company_id=company.id,
                agent_id=agent.id,
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
