"""Create the users the benchmarks log in as, idempotently.

    .venv/bin/python bench/seed_bench.py --users 50

Users are ``bench0001@bench.example.com`` ... with one shared password (see
``--password``). It goes through ``domus.accounts.services.user_create`` when the
accounts app has it (so profiles and audit rows are written as in real use), else
through Django's ``create_user``. Existing users are left as they are, so running it
twice creates nothing the second time. It uses whatever database the environment
selects (bench/run.sh points it at a throwaway SQLite file) and refuses to run on a
database that is not the embedded default unless ``--allow-database-url`` is given.

Each password is hashed with Argon2 (about 0.1 s a user on a 2-core machine), so
thousands of users take minutes; the load runs only need a few.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PASSWORD = "Load-Test-2024!x"  # bench data only; never a real account


def bench_email(prefix: str, number: int) -> str:
    return f"{prefix}{number:04d}@bench.example.com"


def create_user(*, email: str, username: str, password: str):
    """One user through the accounts service when it exists, else ``create_user``."""
    import inspect

    from django.contrib.auth import get_user_model

    try:
        from domus.accounts.services import user_create
    except ImportError:
        return get_user_model().objects.create_user(username=username, email=email, password=password)
    kwargs = {"actor": None, "email": email, "password": password, "username": username}
    if "validate_password" in inspect.signature(user_create).parameters:
        kwargs["validate_password"] = False
    return user_create(**kwargs)


def seed(*, users: int, prefix: str, password: str) -> tuple[int, int]:
    """Make sure ``users`` bench users exist; answer (created, already there)."""
    from django.contrib.auth import get_user_model

    wanted = {bench_email(prefix, n): f"{prefix}{n:04d}" for n in range(1, users + 1)}
    existing = set(
        get_user_model().objects.filter(email__in=list(wanted)).values_list("email", flat=True)  # exact, lower case
    )
    created = 0
    for email, username in wanted.items():
        if email in existing:
            continue
        create_user(email=email, username=username, password=password)
        created += 1
    return created, len(existing)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Create benchmark users (idempotent).")
    parser.add_argument("--users", type=int, default=50, help="How many bench users should exist (default 50).")
    parser.add_argument("--prefix", default="bench", help="E-mail and username prefix (default 'bench').")
    parser.add_argument("--password", default=DEFAULT_PASSWORD, help="Password of every bench user.")
    parser.add_argument(
        "--allow-database-url", action="store_true", help="Also seed when DATABASE_URL points at a server."
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.users < 1:
        parser.error("--users must be at least 1")
    if os.environ.get("DATABASE_URL") and not args.allow_database_url:
        parser.error("DATABASE_URL is set: pass --allow-database-url to seed that database")

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "domus.settings")
    import django

    django.setup()

    started = time.perf_counter()
    created, existing = seed(users=args.users, prefix=args.prefix, password=args.password)
    elapsed = time.perf_counter() - started
    print(f"bench users: {created} created, {existing} already there ({elapsed:.1f} s)")
    print(f"log in as {bench_email(args.prefix, 1)} / {args.password}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
