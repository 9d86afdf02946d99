"""Where a request waits: one server under ``wrk`` on one endpoint while a second
connection samples ``pg_stat_activity`` of the benchmark's database every 10 ms.

    DATABASE_URL=postgres://... REDIS_URL=redis://... SECRET_KEY=... \\
        .venv/bin/python bench/peers/waits.py --fixture fixture.json   # the fixture setup.py writes

Prints the load's req/s, p50 and p99, then, per (state, wait event, statement) of the
app's connections, how many of them were in it on average. ``idle in transaction``
after a statement is the app's own time inside a transaction (its Python, its GIL),
``Lock`` a row or advisory lock wait, ``IO/WALSync`` the commit's flush; ``idle`` is
the time between transactions (request parsing, rendering, publishing). Summed over a
row lock holder's states, it says how long each transaction holds that lock.
"""

import argparse
import collections
import json
import os
import sys
import threading
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # bench/peers/run.py: the servers, paths and wrk

SAMPLE = (
    "SELECT state, wait_event_type, wait_event, left(query, 48) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
)


def sample(counts: collections.Counter, stop: threading.Event) -> None:
    url = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    with psycopg.connect(url, autocommit=True) as conn:
        while not stop.is_set():
            for state, kind, event, query in conn.execute(SAMPLE):
                counts[state, kind, event, "" if state == "idle" else query] += 1
            counts["samples"] += 1
            time.sleep(0.01)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fixture", required=True)
    parser.add_argument("--server", default="Domus", help="Domus, 'bare Ninja' or DRF.")
    parser.add_argument("--endpoint", default="create lead", choices=run.ENDPOINTS)
    parser.add_argument("--duration", type=int, default=8)
    args = parser.parse_args(argv)
    fixture = json.loads(Path(args.fixture).read_text())
    spec = run.servers(rate_limits=False)[args.server]
    path = run.paths(fixture)[args.endpoint]
    counts: collections.Counter = collections.Counter()
    stop = threading.Event()
    log = run.ROOT / "var" / "peers-waits.log"
    log.parent.mkdir(exist_ok=True)
    with run.Server(args.server, spec, log) as server:
        run.wrk(server.base, args.endpoint, path, fixture, 2, f"w{time.time_ns()}")  # warm-up
        sampler = threading.Thread(target=sample, args=(counts, stop))
        sampler.start()
        try:
            row = run.wrk(server.base, args.endpoint, path, fixture, args.duration, f"m{time.time_ns()}")
        finally:
            stop.set()
            sampler.join()
    load = f"{row['rps']:.1f} req/s, p50 {row['p50_ms']:.1f} ms, p99 {row['p99_ms']:.1f} ms"
    print(f"{args.server} {args.endpoint}: {load}")
    samples = counts.pop("samples") or 1
    print("connections  state, wait event, statement")
    for key, count in counts.most_common(12):
        print(f"{count / samples:11.2f}  {key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
