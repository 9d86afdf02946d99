"""Where a request's CPU goes under load: the server's processes, PostgreSQL and Redis,
and ``wrk``, per request, for each app and endpoint.

    DATABASE_URL=postgres://... REDIS_URL=redis://... SECRET_KEY=... \
        .venv/bin/python bench/peers/load_cpu.py --fixture fixture.json   # the fixture setup.py writes

On a 2-core machine that serves the app, the database and the load generator at once,
requests/s is set by the CPU each request takes from all of them, not by the app's own
Python alone (what ``cpu.py`` measures). Each server is started as ``run.py`` starts it
(Granian WSGI, 2 workers x 2 threads); each endpoint is loaded with ``wrk`` for
``--seconds`` after one second of warm-up (``--rate-limits`` adds Domus with its
production rate limits on), and the CPU seconds (user + system, from
``/proc``) of the server's process tree, of PostgreSQL's and Redis' processes and of
``wrk`` itself are divided by the requests answered. ``idle`` is what is left of the
machine's cores over the run (waits: locks, ``fsync``). The ratios of the ``total``
column are what the wall-clock table's ratios come from.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import run  # bench/peers/run.py: the servers, the paths and wrk, as the side-by-side run uses them

POSTGRES_PID_FILES = sorted(Path("/var/run/postgresql").glob("*.pid"))


def _database_roots() -> list[int]:
    """The postmaster's and the Redis server's pids (their trees hold every backend)."""
    roots = [int(path.read_text().split()[0]) for path in POSTGRES_PID_FILES]
    redis = subprocess.run(["pgrep", "-x", "redis-server"], capture_output=True, text=True, check=False)  # noqa: S607
    return roots + [int(pid) for pid in redis.stdout.split()]


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, once it has ended
    return usage.ru_utime + usage.ru_stime


def measure(server: run.Server, endpoint: str, path: str, fixture: dict[str, Any], seconds: float) -> dict[str, Any]:
    """One endpoint's load and the CPU µs per request of each side."""
    databases = _database_roots()
    tag = f"cpu{int(time.time() * 1000)}"
    run.wrk(server.base, endpoint, path, fixture, 1, tag + "w")
    app, db, load = (
        run._tree_cpu_seconds(server.process.pid),
        sum(map(run._tree_cpu_seconds, databases)),
        _children_cpu_seconds(),
    )
    started = time.monotonic()
    row = run.wrk(server.base, endpoint, path, fixture, seconds, tag)
    elapsed = time.monotonic() - started
    app = run._tree_cpu_seconds(server.process.pid) - app
    db = sum(map(run._tree_cpu_seconds, databases)) - db
    load = _children_cpu_seconds() - load
    answered = row["rps"] * elapsed
    per_request = {name: 1e6 * value / answered for name, value in (("app", app), ("db", db), ("wrk", load))}
    per_request["total"] = sum(per_request.values())
    per_request["idle"] = 1e6 * ((os.cpu_count() or 1) * elapsed) / answered - per_request["total"]
    return {"endpoint": endpoint, "rps": row["rps"], **per_request}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fixture", required=True, help="The fixture setup.py --json wrote.")
    parser.add_argument("--apps", default="Domus,bare Ninja,DRF", help="Comma-separated server names.")
    parser.add_argument("--endpoints", default=",".join(run.ENDPOINTS), help="Comma-separated endpoints.")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=1, help="Interleaved rounds: every server once a round.")
    parser.add_argument("--rate-limits", action="store_true", help="Also Domus with its Redis rate limits on.")
    args = parser.parse_args(argv)
    fixture = json.loads(Path(args.fixture).read_text())
    apps, endpoints = args.apps.split(","), args.endpoints.split(",")
    if args.rate_limits:
        apps.append("Domus, rate limits on")
    unknown = sorted({*endpoints} - {*run.ENDPOINTS})
    if unknown:
        parser.error(f"unknown endpoints: {', '.join(unknown)}")
    specs = {name: spec for name, spec in run.servers(rate_limits=args.rate_limits).items() if name in apps}
    print("| round | server | endpoint | req/s | app µs | PostgreSQL + Redis µs | wrk µs | total µs | idle µs |")
    print("| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as logs:
        for number in range(1, args.rounds + 1):
            for index, (name, spec) in enumerate(specs.items()):
                with run.Server(name, spec, Path(logs) / f"load-cpu-{index}.log") as server:
                    for endpoint, path in run.paths(fixture).items():
                        if endpoint not in endpoints:
                            continue
                        row = measure(server, endpoint, path, fixture, args.seconds)
                        cells = [f"{row[key]:,.0f}" for key in ("rps", "app", "db", "wrk", "total", "idle")]
                        print(f"| {number} | {name} | `{endpoint}` | {' | '.join(cells)} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
