"""CPU time per request, in-process, for Domus and the two peer apps: per endpoint, per
middleware, and the statements each request sends.

    DATABASE_URL=postgres://... REDIS_URL=redis://... SECRET_KEY=... \
        .venv/bin/python bench/peers/cpu.py --fixture fixture.json   # the fixture setup.py writes

Each app is loaded in its own process through its WSGI entry point (Domus' ``domus.wsgi``
with its start-up checks and ``gc.freeze()``, the peers' ``peerapp.wsgi``), with
persistent connections as under Granian. Every request is a WSGI call on one thread:
the environ, ``application(environ, start_response)``, the body read and ``close()``
(which sends ``request_finished``). Measured with the thread's CPU clock
(``time.thread_time_ns``), which counts only what this process' thread computes: the
database server's work and the waits are not in it, so the numbers hold on a loaded
machine where wall-clock ratios do not. The median of ``--requests`` requests after
``--warmup`` unmeasured ones.

The servers' side is measured too, from ``/proc`` (PostgreSQL and Redis on this
machine): the CPU time the connection's PostgreSQL backend and the Redis server used
over the measured requests, divided by their number (``/proc`` counts in clock ticks,
so only the mean over many requests means anything). The sum is what a request costs a
2-core machine that runs everything.

The middleware rows split the request: each middleware's own time (its time minus the
time of what it calls), ``view`` (URL resolution, the view middleware hooks, the
operation, rendering) and ``wsgi`` (building the request, the response's headers,
``close()`` and its signals). ``--profile ENDPOINT`` prints a ``cProfile`` of that
endpoint's requests for the first app instead.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
APPS = ("Domus", "bare Ninja", "DRF")
ENDPOINTS = ("health", "detail", "search", "me", "create lead")


def app_env(app: str, rate_limits: bool) -> dict[str, str]:
    env = dict(os.environ, DATABASE_CONN_MAX_AGE="60")
    if app == "Domus":
        env.update(DJANGO_SETTINGS_MODULE="domus.settings", RATE_LIMITS_ENABLED="true" if rate_limits else "false")
        if rate_limits:
            env.update({f"RATE_LIMIT_{scope}": "100000000/h" for scope in ("READ", "WRITE")})
    else:
        peer = "ninja" if app == "bare Ninja" else "drf"
        env.update(PEER=peer, DJANGO_SETTINGS_MODULE="peerapp.settings", PYTHONPATH=f"{HERE}{os.pathsep}{ROOT}")
    return env


def server_cpu_ns(connection: Any) -> Any:
    """A reader of the CPU time (ns) the connection's PostgreSQL backend and the Redis
    server (``REDIS_URL``, when set) have used so far, from ``/proc``; None when either
    runs elsewhere."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pids = [cursor.fetchone()[0]]
    if os.environ.get("REDIS_URL"):
        import redis

        pids.append(redis.Redis.from_url(os.environ["REDIS_URL"]).info("server")["process_id"])
    stats = [Path(f"/proc/{pid}/stat") for pid in pids]
    if not all(stat.exists() for stat in stats):
        return None
    tick_ns = 1e9 / os.sysconf("SC_CLK_TCK")

    def read() -> list[int]:
        used = []
        for stat in stats:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # from the state on: utime, stime are 12th, 13th
            used.append(int((int(fields[11]) + int(fields[12])) * tick_ns))
        return used

    return read


def requests(fixture: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, str], Any]]:
    """endpoint -> (method, path, query string, extra environ, body maker)."""
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {fixture['token']}"}
    tag = f"cpu{int(time.time() * 1000)}"

    def lead(number: int) -> bytes:
        body = {
            "name": "Bench Lead",
            "email": f"{tag}-{number}@bench.example.com",
            "message": "Call me.",
            "company_id": fixture["company_id"],
        }
        return json.dumps(body).encode()

    return {
        "health": ("GET", "/api/v1/health/", "", {}, None),
        "detail": ("GET", f"/api/v1/properties/{fixture['listing_id']}/", "", {}, None),
        "search": ("GET", "/api/v1/properties/", fixture["search"], {}, None),
        "me": ("GET", "/api/v1/accounts/me/", "", bearer, None),
        "create lead": ("POST", "/api/v1/crm/leads/", "", bearer, lead),
    }


def environ(method: str, path: str, query: str, extra: dict[str, str], body: bytes) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_USER_AGENT": "wrk",
        "CONTENT_TYPE": "application/json" if body else "",
        "CONTENT_LENGTH": str(len(body)) if body else "",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        **extra,
    }


def wsgi_call(application: Any, request: dict[str, Any]) -> int:
    """One request through a WSGI ``application`` as a server makes it (the body read,
    then ``close()``, which sends ``request_finished``); answers the status code."""
    status: list[str] = []
    response = application(request, lambda s, h, e=None: status.append(s))
    try:
        for _chunk in response:
            pass
    finally:
        response.close()
    return int(status[0].split()[0])


class Layers:
    """Each middleware's inclusive CPU time, by wrapping what it calls (``get_response``)."""

    def __init__(self, handler: Any) -> None:
        self.names: list[str] = []
        self.inner: list[int] = []
        instance = getattr(handler._middleware_chain, "__wrapped__", None)
        while instance is not None and hasattr(instance, "get_response"):
            self.names.append(type(instance).__name__)
            self.inner.append(0)
            instance.get_response = self._timed(instance.get_response, len(self.inner) - 1)
            instance = getattr(instance.get_response.__wrapped__, "__wrapped__", None)
        self.chain = 0
        original = handler._middleware_chain

        def chain(request: Any) -> Any:
            started = time.thread_time_ns()
            try:
                return original(request)
            finally:
                self.chain += time.thread_time_ns() - started

        handler._middleware_chain = chain

    def _timed(self, call: Any, index: int) -> Any:
        def timed(request: Any) -> Any:
            started = time.thread_time_ns()
            try:
                return call(request)
            finally:
                self.inner[index] += time.thread_time_ns() - started

        timed.__wrapped__ = call
        return timed

    def snapshot(self) -> list[int]:
        return [self.chain, *self.inner]

    @staticmethod
    def split(before: list[int], after: list[int], total: int, names: list[str]) -> dict[str, int]:
        """Own time of each middleware, of the view layer and of the WSGI handler."""
        spent = [b - a for a, b in zip(before, after, strict=True)]
        own = {"wsgi": total - spent[0]}
        for index, name in enumerate(names):
            own[name] = spent[index] - spent[index + 1]
        own["view"] = spent[-1]
        return own


def measure_app(
    app: str, fixture: dict[str, Any], count: int, warmup: int, profile: str | None, endpoints: list[str]
) -> dict[str, Any]:
    if app == "Domus":
        from domus.wsgi import application
    else:
        from peerapp.wsgi import application
    from django.db import connection

    layers = Layers(application)
    statements = [0]

    def counter(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements[0] += 1
        return execute(sql, params, many, context)

    result: dict[str, Any] = {}
    number = 0
    servers = server_cpu_ns(connection)
    with connection.execute_wrapper(counter):
        for endpoint, (method, path, query, extra, make_body) in requests(fixture).items():
            if endpoint not in endpoints or (profile and endpoint != profile):
                continue
            cpu, own_rows, counts = [], [], []
            profiler = cProfile.Profile(time.thread_time_ns, 1e-9) if profile else None
            for index in range(warmup + count):
                number += 1
                body = make_body(number) if make_body else b""
                before, statements[0] = layers.snapshot(), 0
                if index == warmup and servers:
                    servers_before = servers()
                if profiler and index >= warmup:
                    profiler.enable()
                started = time.thread_time_ns()
                status = wsgi_call(application, environ(method, path, query, extra, body))
                spent = time.thread_time_ns() - started
                if profiler and index >= warmup:
                    profiler.disable()
                if status >= 400:
                    raise SystemExit(f"{app} {endpoint}: {status}")
                if index >= warmup:
                    cpu.append(spent)
                    counts.append(statements[0])
                    own_rows.append(Layers.split(before, layers.snapshot(), spent, layers.names))
            if profiler:
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(60)
                print(out.getvalue())
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(40)
                print(out.getvalue())
            used = [(a - b) / count / 1000 for a, b in zip(servers(), servers_before, strict=True)] if servers else []
            result[endpoint] = {
                "postgresql_us": used[0] if used else None,
                "redis_us": used[1] if len(used) > 1 else None,
                "cpu_us": statistics.median(cpu) / 1000,
                "statements": statistics.median(counts),
                "layers_us": {k: statistics.median(r[k] for r in own_rows) / 1000 for k in own_rows[0]},
            }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fixture", required=True)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--apps", default=",".join(APPS), help="Comma-separated: Domus, bare Ninja, DRF.")
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS), help="Comma-separated, of: " + ", ".join(ENDPOINTS))
    parser.add_argument("--rate-limits", action="store_true", help="Domus with its Redis rate limits on.")
    parser.add_argument("--profile", choices=ENDPOINTS, help="cProfile this endpoint (first app only).")
    parser.add_argument("--json", help="Write every figure here.")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the child process: measure this app
    args = parser.parse_args(argv)
    fixture = json.loads(Path(args.fixture).read_text())
    if args.one:
        endpoints = [e.strip() for e in args.endpoints.split(",")]
        found = measure_app(args.one, fixture, args.requests, args.warmup, args.profile, endpoints)
        print("CPU_JSON " + json.dumps(found))
        return 0
    apps = [a.strip() for a in args.apps.split(",")]
    if args.profile:
        apps = apps[:1]
    results = {}
    for app in apps:
        command = [sys.executable, __file__, "--fixture", args.fixture, "--one", app]
        command += ["--requests", str(args.requests), "--warmup", str(args.warmup), "--endpoints", args.endpoints]
        if args.profile:
            command += ["--profile", args.profile]
        done = subprocess.run(  # noqa: S603
            command, env=app_env(app, args.rate_limits), cwd=ROOT, capture_output=True, text=True
        )
        line = next((x for x in done.stdout.splitlines() if x.startswith("CPU_JSON ")), None)
        if done.returncode != 0 or line is None:
            raise SystemExit(f"{app} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
        if args.profile:
            print(done.stdout.replace(line, ""))
        results[app] = json.loads(line.removeprefix("CPU_JSON "))
    print("| endpoint | " + " | ".join(f"{a} CPU µs | stmts" for a in apps) + " |")
    print("| --- |" + " ---: | ---: |" * len(apps))
    for endpoint in ENDPOINTS:
        if any(endpoint not in results[a] for a in apps):
            continue
        cells = [f"{results[a][endpoint]['cpu_us']:,.0f} | {results[a][endpoint]['statements']:g}" for a in apps]
        print(f"| `{endpoint}` | " + " | ".join(cells) + " |")
    print("\nThe servers' CPU µs per request (mean; PostgreSQL backend + Redis server):\n")
    print("| endpoint | " + " | ".join(f"{a}: PostgreSQL | Redis | all" for a in apps) + " |")
    print("| --- |" + " ---: | ---: | ---: |" * len(apps))
    for endpoint in ENDPOINTS:
        if any(endpoint not in results[a] for a in apps):
            continue
        cells = []
        for app in apps:
            found = results[app][endpoint]
            sql, kv = found.get("postgresql_us"), found.get("redis_us") or 0
            if sql is None:
                cells.append("- | - | -")
            else:
                cells.append(f"{sql:,.0f} | {kv:,.0f} | {found['cpu_us'] + sql + kv:,.0f}")
        print(f"| `{endpoint}` | " + " | ".join(cells) + " |")
    for app in apps:
        print(f"\n{app}, own CPU µs per layer (median):")
        for endpoint, found in results[app].items():
            parts = ", ".join(f"{k} {v:,.0f}" for k, v in found["layers_us"].items() if v >= 1)
            print(f"  {endpoint}: {parts}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
