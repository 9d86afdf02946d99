"""Write a CSV of N listings for the import benchmark (streamed: any size in constant
memory). Every ``--bad-every``-th row is broken in one field (cycling through a bad
price, a bad bedroom count, an unknown country code and a first status that is not
allowed), so the import reports them and takes the rest.

    python bench/import/generate.py --rows 100000 --out var/import-100000.csv
"""

import argparse
import csv
import random
from pathlib import Path

CITIES = ("Nairobi", "Mombasa", "Kisumu", "Nakuru", "Eldoret", "Thika")
TYPES = ("apartment", "house", "villa", "office", "land")
BROKEN = (("price", "abc"), ("bedrooms", "-3"), ("country", "KEN"), ("status", "sold"))
COLUMNS = ("title", "description", "property_type", "listing_type", "price", "bedrooms", "bathrooms", "area_m2")
COLUMNS += ("address", "city", "country", "latitude", "longitude", "status")


def generate(rows: int, out: Path, bad_every: int, seed: int = 7) -> int:
    """Write the file; returns how many rows are broken."""
    rng = random.Random(seed)
    broken = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for index in range(rows):
            city = rng.choice(CITIES)
            row = {
                "title": f"{rng.choice(TYPES).title()} {index} in {city}",
                "description": "Bright, close to shops and transport. " * rng.randint(1, 4),
                "property_type": rng.choice(TYPES),
                "listing_type": rng.choice(("sale", "rent")),
                "price": f"{rng.randint(20, 5000) * 1000}.00",
                "bedrooms": str(rng.randint(0, 6)),
                "bathrooms": str(rng.randint(1, 4)),
                "area_m2": f"{rng.randint(30, 600)}.00",
                "address": f"{rng.randint(1, 400)} {rng.choice(('Moi', 'Kenyatta', 'Ngong'))} Road",
                "city": city,
                "country": "KE",
                "latitude": f"{rng.uniform(-4.5, 0.5):.6f}",
                "longitude": f"{rng.uniform(34.0, 40.0):.6f}",
                "status": rng.choice(("draft", "available")),
            }
            if bad_every and index % bad_every == bad_every - 1:
                name, value = BROKEN[broken % len(BROKEN)]
                row[name] = value
                broken += 1
            writer.writerow([row[column] for column in COLUMNS])
    return broken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--bad-every", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    broken = generate(args.rows, args.out, args.bad_every)
    print(f"{args.rows:,} rows ({broken} broken) -> {args.out}")


if __name__ == "__main__":
    main()
