"""What the health floor is made of: Domus as it runs, Domus without its middleware, bare
Ninja and DRF answering ``/api/v1/health/`` (no database, cache or broker touched).

    DATABASE_URL=postgres://... REDIS_URL=redis://... SECRET_KEY=... \
        .venv/bin/python bench/peers/floor.py --rounds 3

"Domus without its middleware" keeps only the two layers that route an API request
(``ApiPathMiddleware``, which maps ``/api/v1/health/`` to its canonical path, and
``WebPagesMiddleware``, which the start-up checks require): everything else Domus does on
every request (request ids and their context, CORS, Django's security headers, host
validation and ``Content-Length``, ``X-Frame-Options``, the response envelope, metrics)
is left out. It is not a configuration anyone should run; it shows how much of the
floor that work is, against the peers' default stack (``bench/README.md``, "Issue 21,
tenth pass: what the health floor is made of").

Each server is started as ``run.py`` starts them (Granian WSGI, 2 workers x 2 threads)
and loaded with ``wrk -t2 -c32`` for ``--duration`` seconds after a warm-up, server
after server, for ``--rounds`` interleaved rounds; the table gives the median of the
rounds. Then each app's CPU per request in one process (thread CPU clock, median of
``--requests``), as ``cpu.py`` measures it but without its per-layer timers.

``--marginals`` measures instead, in process, what each of Domus' middlewares adds to
the floor: Domus with all of them, then without each in turn (``FLOOR_WITHOUT``), the
median of ``--requests`` requests, each configuration ``--rounds`` times interleaved;
the best round of each counts (a neighbour's load slows whole rounds, never speeds one).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

from cpu import environ, wsgi_call  # noqa: E402
from run import Server, servers, wrk  # noqa: E402

PATH = "/api/v1/health/"
BARE = "Domus without its middleware"


def floor_servers() -> dict[str, dict[str, Any]]:
    """name -> how to start it (``run.servers``, plus Domus on ``floor_settings``)."""
    specs = servers(rate_limits=False)
    bare = {"DJANGO_SETTINGS_MODULE": "floor_settings", "PYTHONPATH": f"{HERE}{os.pathsep}{ROOT}"}
    specs[BARE] = {"app": "domus.wsgi:application", "env": {"RATE_LIMITS_ENABLED": "false", **bare}}
    return specs


def cpu_per_request(requests: int) -> float:
    """This process' app (``DJANGO_SETTINGS_MODULE``): the median thread CPU µs of a health
    request, through its WSGI entry point."""
    if os.environ.get("PEER"):
        from peerapp.wsgi import application
    else:
        from domus.wsgi import application

    def call() -> None:
        status = wsgi_call(application, environ("GET", PATH, "", {}, b""))
        if status != 200:
            raise SystemExit(f"health answered {status}")

    for _ in range(500):
        call()
    spent = []
    for _ in range(requests):
        started = time.thread_time_ns()
        call()
        spent.append(time.thread_time_ns() - started)
    return statistics.median(spent) / 1000


def cpu_of(spec_env: dict[str, str], requests: int) -> float:
    """The CPU µs of a health request of the app ``spec_env`` starts, in a child process."""
    env = dict(os.environ, DATABASE_CONN_MAX_AGE="60", **spec_env)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [env.get("PYTHONPATH"), str(HERE), str(ROOT)]))
    command = [sys.executable, __file__, "--cpu", "--requests", str(requests)]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    line = next((x for x in done.stdout.splitlines() if x.startswith("CPU_US ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"{spec_env} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return float(line.split()[1])


def marginals(rounds: int, requests: int) -> None:
    """What each middleware of ``MIDDLEWARE`` but the two that route (``floor_settings``)
    adds to a health request's CPU."""
    from floor_settings import ROUTING

    from domus.settings import MIDDLEWARE

    names = ["", *(path.rpartition(".")[2] for path in MIDDLEWARE if path not in ROUTING)]
    spent: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(rounds):
        for name in names:
            env = {"RATE_LIMITS_ENABLED": "false", "DJANGO_SETTINGS_MODULE": "domus.settings"}
            if name:
                env.update(DJANGO_SETTINGS_MODULE="floor_settings", FLOOR_WITHOUT=name)
            spent[name].append(cpu_of(env, requests))
    whole = min(spent[""])
    print(f"\nDomus' health request, all middleware: {whole:.1f} µs of CPU (rounds {spent['']})")
    print("\n| middleware | µs it adds | without it, µs (rounds) |")
    print("| --- | ---: | --- |")
    for name in names[1:]:
        rounds_text = " / ".join(f"{x:.0f}" for x in spent[name])
        print(f"| `{name}` | {whole - min(spent[name]):.1f} | {rounds_text} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--requests", type=int, default=5000, help="In-process requests per app.")
    parser.add_argument("--marginals", action="store_true", help="What each Domus middleware adds, in process.")
    parser.add_argument("--cpu", action="store_true", help=argparse.SUPPRESS)  # the child: measure its app
    args = parser.parse_args(argv)
    if args.cpu:
        print(f"CPU_US {cpu_per_request(args.requests):.1f}")
        return 0
    if args.marginals:
        marginals(args.rounds, args.requests)
        return 0
    specs = floor_servers()
    logs = ROOT / "var"
    logs.mkdir(exist_ok=True)
    rps: dict[str, list[float]] = {name: [] for name in specs}
    p99: dict[str, list[float]] = {name: [] for name in specs}
    for number in range(1, args.rounds + 1):
        for index, (name, spec) in enumerate(specs.items()):
            with Server(name, spec, logs / f"floor-{index}.log") as server:
                wrk(server.base, "health", PATH, {}, args.warmup, "warm")
                row = wrk(server.base, "health", PATH, {}, args.duration, "floor")
            rps[name].append(row["rps"])
            p99[name].append(row["p99_ms"])
            print(f"round {number} {name:30} {row['rps']:8.0f} req/s  p99 {row['p99_ms']:6.2f} ms", flush=True)
    cpu = {name: cpu_of(spec["env"], args.requests) for name, spec in specs.items()}
    drf, ninja = statistics.median(rps["DRF"]), statistics.median(rps["bare Ninja"])
    print("\n| server | req/s | ÷ bare Ninja | ÷ DRF | p99 ms | rounds req/s | CPU µs a request, in process |")
    print("| --- | ---: | ---: | ---: | ---: | --- | ---: |")
    for name in specs:
        median = statistics.median(rps[name])
        rounds = " / ".join(f"{x:,.0f}" for x in rps[name])
        print(
            f"| {name} | {median:,.0f} | {median / ninja:.2f} | {median / drf:.2f} | "
            f"{statistics.median(p99[name]):.1f} | {rounds} | {cpu[name]:.0f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
