"""Prepare a Domus database for the side-by-side benchmark and print what the load needs.

    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/domus_bench_peers_100000 \
        .venv/bin/python bench/peers/setup.py --listings 100000 --json fixture.json

Loads the listings with the listing benchmark's generator (``bench/listings/generate.py``)
when the database does not hold that many, makes (once) one company with one staff
member, the caller of ``me`` and of the lead creation, and writes: an access token of
that staff member, the company's id, one published listing's id (the detail) and the
search path (city + price range, newest first).
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

STAFF_EMAIL = "bench-peers-staff@bench.example.com"
STAFF_PASSWORD = "Load-Test-2024!x"  # bench data only
COMPANY_NAME = "Bench Peers Realty"
# The search every server answers: one city, a price range, newest first (the first page).
SEARCH = "city=nairobi&listing_type=sale&min_price=7000000&max_price=7500000&ordering=-created_at"


def listing_count() -> int:
    from domus.properties.models import Listing

    return Listing.all_objects.filter(owner__email="bench-owner@bench.example.com").count()


def staff_and_company():
    from django.contrib.auth import get_user_model

    from domus.accounts.models import Profile
    from domus.accounts.services import user_create
    from domus.core.roles import Role
    from domus.organizations.selectors import company_visible_to
    from domus.organizations.services import company_create

    staff = get_user_model().objects.filter(email=STAFF_EMAIL).first() or user_create(
        actor=None, email=STAFF_EMAIL, password=STAFF_PASSWORD, role=Role.STAFF
    )
    Profile.objects.filter(user=staff).update(bio="Answers the side-by-side benchmark.", city="Nairobi")
    company = company_visible_to(staff).filter(name=COMPANY_NAME).first() or company_create(
        actor=staff, name=COMPANY_NAME
    )
    return staff, company


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, required=True)
    parser.add_argument("--json", required=True, help="Write the fixture (token, ids, paths) here.")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "domus.settings")
    import django

    django.setup()
    if listing_count() != args.listings:
        generate = [sys.executable, str(ROOT / "bench/listings/generate.py"), "--count", str(args.listings)]
        subprocess.run([*generate, "--replace"], check=True)  # noqa: S603
    from domus.accounts.tokens import issue_pair
    from domus.properties.models import Listing
    from domus.properties.selectors import COUNT_EXACT_UP_TO, public_listing_q

    staff, company = staff_and_company()
    ids = Listing.objects.filter(public_listing_q()).order_by("-created_at").values_list("pk", flat=True)
    detail = ids[min(1000, ids.count() - 1)]
    fixture = {
        "token": issue_pair(staff).access,
        "company_id": str(company.pk),
        "listing_id": str(detail),
        "search": SEARCH,
        "listings": args.listings,
        "exact_count_up_to": COUNT_EXACT_UP_TO,
    }
    Path(args.json).write_text(json.dumps(fixture, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
