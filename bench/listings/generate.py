"""Bulk-load realistic listings into PostgreSQL with COPY, for the listing benchmarks.

    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/domus_bench \
        .venv/bin/python bench/listings/generate.py --count 100000

Listings are spread over 20 real East African cities (bench/listings/cities.py), with
a normal scatter around each centre, prices that depend on the city, type and bedrooms,
statuses and publication flags in realistic proportions, and creation times over the
last three years. Every row goes through one ``COPY ... FROM STDIN`` (psycopg 3), then
the table is VACUUM ANALYZEd and the map roll-up rebuilt. One bench owner (``bench-owner@bench.example.com``) owns them.

``--replace`` first deletes the listings of that owner (and their units, price history,
feature links). The script refuses SQLite (COPY is PostgreSQL) and any database whose
name does not contain ``--require-db-substring`` (default "domus"), so it cannot fill a
database by accident. Deterministic for a given ``--seed``.
"""

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cities import CITIES, City  # noqa: E402

OWNER_EMAIL = "bench-owner@bench.example.com"
OWNER_PASSWORD = "Load-Test-2024!x"  # bench data only
# property type -> (weight, bedroom range, sale price in KES per bedroom-ish unit)
TYPES: dict[str, tuple[int, tuple[int, int], int]] = {
    "apartment": (45, (1, 4), 4_500_000),
    "house": (18, (2, 6), 7_000_000),
    "villa": (5, (3, 7), 15_000_000),
    "townhouse": (10, (2, 5), 8_000_000),
    "land": (8, (0, 0), 6_000_000),
    "commercial": (5, (0, 0), 25_000_000),
    "office": (6, (0, 0), 12_000_000),
    "other": (3, (0, 2), 3_000_000),
}
STATUSES = (("available", 80), ("under_offer", 5), ("sold", 5), ("rented", 5), ("draft", 3), ("archived", 2))
ADJECTIVES = ("Spacious", "Modern", "Cozy", "Elegant", "Bright", "Charming", "Luxury", "Affordable", "Serene", "New")
EXTRAS = (
    "garden",
    "swimming pool",
    "balcony",
    "sea view",
    "parking",
    "gym",
    "backup generator",
    "borehole",
    "servant quarter",
    "rooftop terrace",
    "fibre internet",
    "24h security",
    "lift",
    "fireplace",
)
STREETS = ("Road", "Avenue", "Drive", "Lane", "Close", "Crescent", "Way")
STREET_NAMES = ("Ngong", "Riverside", "Kenyatta", "Moi", "Jomo", "Oloitoktok", "Mombasa", "Argwings", "Lenana", "Kibo")


def weighted(rng: random.Random, pairs: list[tuple[Any, int]] | tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def listing_row(rng: random.Random, now: datetime) -> dict[str, Any]:
    city: City = rng.choices(CITIES, weights=[c.weight for c in CITIES])[0]
    property_type = weighted(rng, [(name, spec[0]) for name, spec in TYPES.items()])
    _, (low, high), unit_price = TYPES[property_type]
    bedrooms = rng.randint(low, high) if high else None
    listing_type = "rent" if property_type not in ("land",) and rng.random() < 0.4 else "sale"
    size = bedrooms or rng.randint(1, 5)
    area = Decimal(f"{max(18.0, rng.gauss(size * 38 + 20, 15)):.2f}")
    if property_type == "land":
        area = Decimal(rng.choice((450, 500, 1000, 2023, 4047, 8094)))
    sale = unit_price * city.price_factor * (0.6 + size * 0.35) * rng.lognormvariate(0, 0.35)
    price = sale * 0.0045 if listing_type == "rent" else sale  # a monthly rent ~ 0.45 % of value
    price = Decimal(f"{round(price, -2 if price > 10_000 else 0):.2f}")
    status = weighted(rng, STATUSES)
    if listing_type == "sale" and status == "rented":
        status = "sold"
    if listing_type == "rent" and status == "sold":
        status = "rented"
    published = status != "draft" and rng.random() < 0.97
    created = now - timedelta(seconds=rng.randint(0, 3 * 365 * 86400))
    neighbourhood = rng.choice(city.neighbourhoods)
    extras = rng.sample(EXTRAS, rng.randint(1, 4))
    beds = f"{bedrooms}-bedroom " if bedrooms else ""
    kind = property_type.replace("other", "property")
    title = f"{rng.choice(ADJECTIVES)} {beds}{kind} in {neighbourhood}"
    description = (
        f"{title}, {city.name}. Features: {', '.join(extras)}. "
        f"{'Available for rent' if listing_type == 'rent' else 'For sale'} by the owner; viewing by appointment."
    )
    return {
        "title": title[:200],
        "description": description,
        "property_type": property_type,
        "listing_type": listing_type,
        "status": status,
        "price": price,
        "currency": city.currency,
        "bedrooms": bedrooms,
        "bathrooms": max(1, (bedrooms or 1) - rng.randint(0, 1)) if property_type not in ("land",) else None,
        "area_m2": area,
        "year_built": rng.randint(1975, now.year) if property_type != "land" else None,
        "address": f"{rng.randint(1, 400)} {rng.choice(STREET_NAMES)} {rng.choice(STREETS)}, {neighbourhood}",
        "city": city.name,
        "state": city.state,
        "zip_code": f"{rng.randint(100, 999)}00",
        "country": city.country,
        "latitude": Decimal(f"{min(90.0, max(-90.0, rng.gauss(city.latitude, city.spread))):.6f}"),
        "longitude": Decimal(f"{min(180.0, max(-180.0, rng.gauss(city.longitude, city.spread))):.6f}"),
        "total_units": 1 if rng.random() < 0.95 else rng.randint(2, 120),
        "is_published": published,
        "published_at": created if published else None,
        "listed_at": created if published and status == "available" else None,
        "created_at": created,
        "updated_at": created,
        "deleted_at": None,
    }


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "domus.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-that-is-long-enough-for-hs256")
    import django

    django.setup()


def bench_owner() -> Any:
    from django.contrib.auth import get_user_model

    from domus.accounts.services import user_create
    from domus.core.roles import Role

    existing = get_user_model().objects.filter(email=OWNER_EMAIL).first()
    if existing is not None:
        return existing
    return user_create(actor=None, email=OWNER_EMAIL, password=OWNER_PASSWORD, role=Role.OWNER)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="Listings to load (default 1,000,000).")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--replace", action="store_true", help="Delete the bench owner's listings first.")
    parser.add_argument("--require-db-substring", default="domus")
    args = parser.parse_args(argv)
    if not 1 <= args.count <= 5_000_000:
        parser.error("--count must be between 1 and 5,000,000")

    django_setup()
    from django.db import connection, transaction

    from domus.core.ids import uuid7
    from domus.properties.models import Listing

    if connection.vendor != "postgresql":
        parser.error("COPY needs PostgreSQL: set DATABASE_URL=postgres://...")
    if args.require_db_substring not in connection.settings_dict["NAME"]:
        parser.error(f"database {connection.settings_dict['NAME']!r} does not contain {args.require_db_substring!r}")

    owner = bench_owner()
    table = Listing._meta.db_table
    fields = list(Listing._meta.concrete_fields)
    columns = [f.column for f in fields]
    started = time.perf_counter()
    with transaction.atomic():
        if args.replace:
            ids = Listing.all_objects.filter(owner_id=owner.pk).values("pk")
            for relation in Listing._meta.related_objects:
                if relation.many_to_many:
                    continue
                relation.related_model._default_manager.filter(**{f"{relation.field.name}__in": ids}).delete()
            Listing.features.through.objects.filter(listing_id__in=ids).delete()
            Listing.all_objects.filter(owner_id=owner.pk).delete()
        rng = random.Random(args.seed)
        now = datetime.now(UTC)
        defaults = {f.name: f.get_default() for f in fields}
        with connection.cursor() as cursor:
            sql = f"COPY {connection.ops.quote_name(table)} ({', '.join(columns)}) FROM STDIN"
            with cursor.cursor.copy(sql) as copy:
                for n in range(args.count):
                    row = listing_row(rng, now)
                    row.update(id=uuid7(), owner=owner.pk, company=None, agent=None)
                    copy.write_row([row[f.name] if f.name in row else defaults[f.name] for f in fields])
                    if n and n % 100_000 == 0:
                        print(f"  {n:,} rows, {time.perf_counter() - started:.0f} s", flush=True)
    copied = time.perf_counter() - started
    with connection.cursor() as cursor:
        # VACUUM sets hint bits and the visibility map now, not during the first reads.
        cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")
    total = time.perf_counter() - started
    print(f"loaded {args.count:,} listings in {copied:.1f} s (+ VACUUM ANALYZE: {total:.1f} s total)")
    from domus.properties.services.facet_groups import facet_groups_rebuild
    from domus.properties.services.map_grid import map_grid_rebuild

    # What the beat jobs do every minute in production.
    for name, rebuild, unit in (("map", map_grid_rebuild, "cells"), ("facet", facet_groups_rebuild, "groups")):
        rebuild_started = time.perf_counter()
        with transaction.atomic():
            rows = rebuild()
        print(f"{name} roll-up: {rows:,} {unit} in {time.perf_counter() - rebuild_started:.1f} s")
    from domus.properties.caching import listing_cache_bump

    listing_cache_bump()  # rows written behind the services' back: cached counts and aggregates are stale
    return 0


if __name__ == "__main__":
    sys.exit(main())
