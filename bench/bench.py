"""One entry point for every benchmark, behind ``make bench``.

    make bench                                   # every benchmark at its published size
    make bench BENCH=listings SIZE=100000        # one benchmark, one size
    make bench BENCH=all SIZE=ci                 # the smallest size of each (what CI runs)

For each benchmark it starts PostgreSQL 15 and Redis when they are not running
(``.ci/services.sh``), creates its own database (``domus_bench_<name>``, copied from a
migrated template ``domus_bench_template``), loads its data when the database does not
already hold that size, runs the measurement scripts of ``bench/<name>/`` with the
published settings (clients, requests, connection settings are fixed here, not taken
from the environment), starts and stops the servers it loads, and writes one table per
benchmark as Markdown and JSON under ``bench/results/`` (``<name>-<size>.md`` / ``.json``).

Every table carries a calibration line measured in the same run: a fixed CPU-bound
Python loop (µs), ``pgbench -S`` with one client (transactions/s) and a Redis ``PING``
round trip (µs), so tables from two machines can be compared; latency rows also give
p95 as a multiple of the CPU loop. Redis db ``BENCH_REDIS_DB`` (default 9) is emptied.

Environment: ``BENCH_PG`` (``postgres://postgres:postgres@127.0.0.1:5432``),
``BENCH_REDIS`` (``redis://127.0.0.1:6379``), ``BENCH_REDIS_DB`` (9),
``BENCH_RESULTS`` (``bench/results``), ``BENCH_DB_PREFIX`` (``domus_bench``: the databases'
names start with it).
"""

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the venv's bin (not resolved: a venv python is a symlink)
PG = os.environ.get("BENCH_PG", "postgres://postgres:postgres@127.0.0.1:5432").rstrip("/")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379").rstrip("/")
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "9"))
RESULTS = Path(os.environ.get("BENCH_RESULTS", ROOT / "bench" / "results"))
# Every database of a run is named <prefix>_<name> (a second checkout on the same
# PostgreSQL picks another prefix, so two runs never share a database).
DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "domus_bench")
TEMPLATE_DB = f"{DB_PREFIX}_template"
MIGRATED: list[str] = []  # the template is migrated once per run
SECRET_KEY = "bench-only-secret-key-that-is-long-enough-for-hs256"
CPU_LOOP_ITERATIONS = 10_000
STARTED = time.perf_counter()
PGBENCH_SECONDS = {"full": 10, "ci": 2}


@dataclass
class Table:
    """One results table: a heading line, column names and rows of cells."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Run:
    bench: str
    size: int
    ci: bool
    calibration: dict
    tables: list[Table] = field(default_factory=list)
    raw: dict = field(default_factory=dict)
    settings: str = ""


# -- helpers -----------------------------------------------------------------------------


def say(text: str) -> None:
    print(f"== [{time.perf_counter() - STARTED:5.0f} s] {text}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_env(database: str | None) -> dict[str, str]:
    """The environment of every measured process: this checkout's code, the bench databases."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}}
    env.update(
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="domus.settings",
        SECRET_KEY=SECRET_KEY,
        DEBUG="false",
        RATE_LIMITS_ENABLED="false",
        LOG_LEVEL="WARNING",
        REDIS_URL=f"{REDIS}/{REDIS_DB}",
    )
    if database:
        env["DATABASE_URL"] = f"{PG}/{database}"
    return env


def run(command: list[str], env: dict[str, str], *, capture: bool = False) -> str:
    """Run one step; its output is shown (or returned), a failure stops the benchmark."""
    result = subprocess.run(command, cwd=ROOT, env=env, check=False, text=True, capture_output=capture)  # noqa: S603
    if result.returncode != 0:
        if capture:
            sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"failed ({result.returncode}): {' '.join(command)}")
    return result.stdout if capture else ""


def python(script: str, *args: str, env: dict[str, str], capture: bool = False) -> str:
    return run([sys.executable, script, *args], env, capture=capture)


def script_json(script: str, *args: str, env: dict[str, str]) -> dict:
    """Run a measurement script with ``--json <file>`` and return what it wrote there."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        python(script, *args, "--json", str(out), env=env)
        return json.loads(out.read_text())


def django_value(code: str, env: dict[str, str]) -> str:
    """Evaluate one Django expression in the bench database (a fresh process, like the scripts)."""
    program = f"import django; django.setup()\n{code}"
    return python("-c", program, env=env, capture=True).strip()


def services_up() -> bool:
    try:
        import psycopg
        import redis

        psycopg.connect(f"{PG}/postgres", connect_timeout=3).close()
        redis.Redis.from_url(f"{REDIS}/{REDIS_DB}", socket_timeout=3).ping()
    except Exception:  # any failure means: start them
        return False
    return True


def ensure_services() -> None:
    if services_up():
        return
    say("PostgreSQL or Redis not answering: starting them (.ci/services.sh)")
    subprocess.run(["bash", str(ROOT / ".ci" / "services.sh")], check=True)  # noqa: S603, S607
    if not services_up():
        raise SystemExit(f"PostgreSQL ({PG}) or Redis ({REDIS}) still not reachable")


def ensure_wrk() -> bool:
    """Install wrk when missing and allowed (root on Debian); answer whether it is there."""
    if shutil.which("wrk"):
        return True
    apt = shutil.which("apt-get")
    if apt and os.geteuid() == 0:
        say("installing wrk (apt-get)")
        quiet = {"stdout": subprocess.DEVNULL, "env": dict(os.environ, DEBIAN_FRONTEND="noninteractive")}
        if subprocess.run([apt, "install", "-y", "-qq", "wrk"], check=False, **quiet).returncode != 0:  # noqa: S603
            subprocess.run([apt, "update", "-qq"], check=False, **quiet)  # noqa: S603
            subprocess.run([apt, "install", "-y", "-qq", "wrk"], check=False, **quiet)  # noqa: S603
    return bool(shutil.which("wrk"))


def pg_execute(sql: str, database: str = "postgres"):
    import psycopg

    with psycopg.connect(f"{PG}/{database}", autocommit=True) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else None


def database_exists(name: str) -> bool:
    return bool(pg_execute(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"))  # noqa: S608  (fixed names)


def bench_database(name: str) -> str:
    """``domus_bench_<name>``, migrated: copied from the migrated template the first time."""
    database = f"{DB_PREFIX}_{name}"
    if not re.fullmatch(r"domus_[a-z0-9_]+", database):
        raise SystemExit(f"bad database name {database!r}")
    if not MIGRATED:
        if not database_exists(TEMPLATE_DB):
            pg_execute(f"CREATE DATABASE {TEMPLATE_DB}")
        say(f"migrations ({TEMPLATE_DB})")
        python("manage.py", "migrate", "--noinput", "-v", "0", env=bench_env(TEMPLATE_DB))
        MIGRATED.append(TEMPLATE_DB)
    if database_exists(database):
        python("manage.py", "migrate", "--noinput", "-v", "0", env=bench_env(database))
    else:
        pg_execute(f"CREATE DATABASE {database} TEMPLATE {TEMPLATE_DB}")
    return database


class Server:
    """A server process this benchmark starts, waits for, and always stops."""

    def __init__(self, command: list[str], env: dict[str, str], port: int, log: Path):
        self.port = port
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
        )

    def __enter__(self) -> "Server":
        import httpx

        for _ in range(150):
            if self.process.poll() is not None:
                raise SystemExit(f"server exited; see {self.log}")
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/api/v1/health", timeout=2)
                return self
            except httpx.HTTPError:
                time.sleep(0.2)
        self.__exit__()
        raise SystemExit(f"server did not start; see {self.log}")

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# -- calibration --------------------------------------------------------------------------


def cpu_loop() -> float:
    """A fixed CPU-bound Python loop: median of 51 runs, in µs."""

    def loop() -> int:
        total = 0
        for i in range(CPU_LOOP_ITERATIONS):
            total += i * i % 7
        return total

    timings = []
    for _ in range(51):
        started = time.perf_counter()
        loop()
        timings.append((time.perf_counter() - started) * 1e6)
    return statistics.median(timings)


def pgbench_tps(seconds: int) -> float:
    """``pgbench -S`` (select-only), one client, for ``seconds`` s on its own scale-1 database."""
    binary = shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"
    parts = urlsplit(PG)
    env = dict(os.environ, PGPASSWORD=parts.password or "")
    target = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432), "-U", parts.username or "postgres"]
    database = f"{DB_PREFIX}_pgbench"
    if not database_exists(database):
        pg_execute(f"CREATE DATABASE {database}")
    if not pg_execute("SELECT 1 FROM pg_tables WHERE tablename = 'pgbench_accounts'", database):
        subprocess.run([binary, "-i", "-s", "1", "-q", *target, database], env=env, check=True, capture_output=True)  # noqa: S603
    result = subprocess.run(  # noqa: S603
        [binary, "-S", "-n", "-c", "1", "-j", "1", "-T", str(seconds), *target, database],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    match = re.search(r"tps = ([0-9.]+)", result.stdout)
    if not match:
        raise SystemExit(f"pgbench printed no tps:\n{result.stdout}{result.stderr}")
    return float(match.group(1))


def redis_ping_us() -> float:
    """Median round trip of 2,000 Redis ``PING``s on one connection, in µs."""
    import redis

    client = redis.Redis.from_url(f"{REDIS}/{REDIS_DB}")
    client.ping()
    timings = []
    for _ in range(2000):
        started = time.perf_counter()
        client.ping()
        timings.append((time.perf_counter() - started) * 1e6)
    client.close()
    return statistics.median(timings)


def machine() -> str:
    cpu = "?"
    with contextlib.suppress(OSError, StopIteration), open("/proc/cpuinfo") as fh:
        cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    version = pg_execute("SHOW server_version")[0][0]
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, PostgreSQL {version} on 127.0.0.1"


def calibrate(ci: bool) -> dict:
    say("calibration (CPU loop, pgbench -S, Redis PING)")
    seconds = PGBENCH_SECONDS["ci" if ci else "full"]
    return {
        "cpu_loop_us": round(cpu_loop()),
        "cpu_loop_iterations": CPU_LOOP_ITERATIONS,
        "pgbench_select_tps": round(pgbench_tps(seconds)),
        "pgbench_seconds": seconds,
        "redis_ping_us": round(redis_ping_us(), 1),
        "load_average_before": round(os.getloadavg()[0], 2),
        "machine": machine(),
    }


def calibration_line(cal: dict) -> str:
    return (
        f"Calibration: CPU loop ({cal['cpu_loop_iterations']:,} iterations) **{cal['cpu_loop_us']:,} µs** · "
        f"`pgbench -S`, 1 client, {cal['pgbench_seconds']} s: **{cal['pgbench_select_tps']:,} tps** · "
        f"Redis `PING` round trip **{cal['redis_ping_us']} µs** · load average "
        f"{cal['load_average_before']} before, {cal.get('load_average_after', '?')} after"
    )


def percentiles(row: dict, decimals: int) -> list[str]:
    """A result row's p50, p95 and p99 in ms, as table cells."""
    return [f"{row[key]:.{decimals}f}" for key in ("p50_ms", "p95_ms", "p99_ms")]


def loops(ms: float, cal: dict) -> str:
    """A duration as a multiple of the calibration CPU loop (machine-independent-ish)."""
    return f"{ms * 1000 / cal['cpu_loop_us']:.2f}"


# -- benchmarks --------------------------------------------------------------------------


def bench_serving(size: int, ci: bool, cal: dict) -> Run:
    """``bench/run.sh``: uvicorn (the ``make run`` server) and Granian WSGI on SQLite, wrk."""
    tool = "wrk" if ensure_wrk() else "load"
    users, warmup = (1, 1) if ci else (20, 2)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "serving.json"
        env = dict(
            bench_env(None),
            VENV=str(BIN.parent),
            BENCH_DURATION=str(size),
            BENCH_CONCURRENCY="32",
            BENCH_USERS=str(users),
            BENCH_WARMUP=str(warmup),
            BENCH_TOOL=tool,
            BENCH_SERVERS="uvicorn granian",
            BENCH_GRANIAN_THREADS="2",
            BENCH_PORT=str(free_port()),
            BENCH_JSON_OUT=str(out),
        )
        run(["bash", "bench/run.sh"], env)
        data = json.loads(out.read_text())
    names = {
        "uvicorn": "uvicorn, 1 ASGI process (`make run`)",
        "granian": "Granian WSGI, 2 workers x 2 threads",
    }
    table = Table(
        f"{tool}, 32 connections, {size} s each after {warmup} s of warm-up (SQLite, DEBUG off)",
        ["server", "endpoint", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "p95 in CPU loops"],
    )
    for row in data["runs"]:
        table.rows.append(
            [
                names.get(row["server"], row["server"]),
                f"`{row['endpoint']}`",
                f"{row['rps']:,.0f}",
                *percentiles(row, 1),
                str(row["errors"]),
                loops(row["p95_ms"], cal),
            ]
        )
    settings = f"bench/run.sh, BENCH_DURATION={size} BENCH_CONCURRENCY=32 BENCH_USERS={users} BENCH_TOOL={tool}"
    return Run("serving", size, ci, cal, [table], data, settings)


def listing_count(database: str) -> int:
    """How many listings generate.py's bench owner has in ``database``."""
    sql = (
        "SELECT count(*) FROM properties_listing l JOIN accounts_user u ON u.id = l.owner_id "
        "WHERE u.email = 'bench-owner@bench.example.com'"
    )
    return pg_execute(sql, database)[0][0]


def bench_listings(size: int, ci: bool, cal: dict) -> Run:
    """In-process latency of every listing query (cold / stale / warm), then HTTP under Granian."""
    database = bench_database(f"listings_{size}")
    env = bench_env(database)
    if listing_count(database) != size:
        say(f"loading {size:,} listings (generate.py)")
        python("bench/listings/generate.py", "--count", str(size), "--replace", env=env)
    requests, warmup = (5, 2) if ci else (100, 10)
    clients, seconds, http_warmup = (2, 0.5, 0.2) if ci else (4, 5.0, 1.0)
    with tempfile.TemporaryDirectory() as tmp:
        latency_json, http_json = Path(tmp) / "latency.json", Path(tmp) / "http.json"
        say(f"listings: in-process latency, {requests} requests per query")
        python(
            "bench/listings/latency.py",
            "--requests",
            str(requests),
            "--warmup",
            str(warmup),
            "--json",
            str(latency_json),
            *([] if ci else ["--explain", f"bench/listings/explain-{size}.txt"]),
            env=env,
        )
        detail_id = django_value(
            "from domus.properties.models import Listing\n"
            "from domus.properties.selectors import public_listing_q\n"
            "ids = Listing.objects.filter(public_listing_q()).order_by('-created_at').values_list('pk', flat=True)\n"
            "print(ids[min(1000, ids.count() - 1)])",
            env,
        )
        port = free_port()
        server_env = dict(env, DATABASE_CONN_MAX_AGE="60")
        command = [str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port)]
        command += ["--workers", "2", "--blocking-threads", "2", "--log-level", "warning", "domus.wsgi:application"]
        say(f"listings: HTTP, Granian WSGI 2x2, {clients} clients, {seconds} s per query")
        with Server(command, server_env, port, ROOT / "var" / "bench-listings-granian.log"):
            python(
                "bench/listings/http_load.py",
                "--base",
                f"http://127.0.0.1:{port}",
                "--detail-id",
                detail_id,
                "--concurrency",
                str(clients),
                "--duration",
                str(seconds),
                "--warmup",
                str(http_warmup),
                "--json",
                str(http_json),
                env=env,
            )
        latency, http = json.loads(latency_json.read_text()), json.loads(http_json.read_text())
    inproc = Table(
        f"In-process (Django test client, no HTTP server), {requests} requests per query after {warmup} "
        "unmeasured; cold = cache emptied before each request, stale = just after a listing write, warm = cached",
        ["query", "cache", "p50 ms", "p95 ms", "p99 ms", "req/s (1 client)", "SQL queries", "p95 in CPU loops"],
    )
    for row in latency["rows"]:
        inproc.rows.append(
            [
                row["query"],
                row["cache"],
                *percentiles(row, 2),
                str(row["rps_1_client"]),
                f"{row['sql_queries']:.1f}",
                loops(row["p95_ms"], cal),
            ]
        )
    inproc.notes.append(
        f"Target: p95 under 50 ms, detail under 10 ms, on a 2-core machine; on this run's machine 50 ms is "
        f"{loops(50, cal)} CPU loops: compare the last column across machines, not the milliseconds."
    )
    over_http = Table(
        f"HTTP: Granian WSGI, 2 workers x 2 threads, `DATABASE_CONN_MAX_AGE=60` (persistent connections), "
        f"{clients} clients of `bench/load.py` (keep-alive) on the same machine, {seconds:g} s per query after "
        f"{http_warmup:g} s of warm-up; facets and maps answered from the cache after the first request",
        ["query", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "p95 in CPU loops"],
    )
    for row in http["rows"]:
        over_http.rows.append(
            [
                row["query"],
                f"{row['rps']:,.1f}",
                *percentiles(row, 2),
                str(row["errors"]),
                loops(row["p95_ms"], cal),
            ]
        )
    settings = (
        f"latency.py --requests {requests} --warmup {warmup}; granian 2x2, DATABASE_CONN_MAX_AGE=60; "
        f"http_load.py --concurrency {clients} --duration {seconds:g} --warmup {http_warmup:g}"
    )
    return Run("listings", size, ci, cal, [inproc, over_http], {"latency": latency, "http": http}, settings)


def bench_crm(size: int, ci: bool, cal: dict) -> Run:
    """The lead list with filters and ``ordering=-score``, in-process."""
    database = bench_database(f"crm_{size}")
    env = bench_env(database)
    if pg_execute("SELECT count(*) FROM crm_lead", database)[0][0] != size:
        say(f"loading {size:,} leads (generate_leads.py)")
        python("bench/crm/generate_leads.py", "--count", str(size), "--replace", env=env)
    requests, warmup = (5, 2) if ci else (200, 10)
    say(f"crm: in-process latency, {requests} requests per scenario")
    extra = [] if ci else ["--explain", "bench/crm/explain.txt"]
    data = script_json("bench/crm/latency.py", "--requests", str(requests), "--warmup", str(warmup), *extra, env=env)
    table = Table(
        f"In-process (Django test client, JWT auth, no HTTP server), {requests} requests per scenario after "
        f"{warmup} unmeasured; {data['leads']:,} leads, {data['company_leads']:,} in the staff member's company",
        ["scenario", "as", "p50 ms", "p95 ms", "p99 ms", "queries", "count", "p95 in CPU loops"],
    )
    for row in data["rows"]:
        table.rows.append(
            [
                row["scenario"],
                row["as"],
                *percentiles(row, 1),
                str(row["queries"]),
                f"{row['count']:,}",
                loops(row["p95_ms"], cal),
            ]
        )
    table.notes.append(
        f"Target: p95 under 50 ms at 500k leads on 2 cores; on this run's machine 50 ms is {loops(50, cal)} CPU loops."
    )
    return Run("crm", size, ci, cal, [table], data, f"latency.py --requests {requests} --warmup {warmup}")


def bench_dashboard(size: int, ci: bool, cal: dict) -> Run:
    """The dashboard overview over roll-ups (uncached, cached) at ``size`` listings and
    half as many leads, beside the counts from the source tables."""
    database = bench_database(f"dashboard_{size}")
    env = bench_env(database)
    if pg_execute("SELECT count(*) FROM properties_listing", database)[0][0] != size:
        say(f"loading {size:,} listings (bench/listings/generate.py)")
        python("bench/listings/generate.py", "--count", str(size), "--replace", env=env)
    if pg_execute("SELECT count(*) FROM crm_lead", database)[0][0] != size // 2:
        say(f"loading {size // 2:,} leads (bench/crm/generate_leads.py)")
        python("bench/crm/generate_leads.py", "--count", str(size // 2), "--replace", env=env)
    requests, warmup = (10, 2) if ci else (100, 5)
    say(f"dashboard: in-process latency, {requests} requests per scenario")
    extra = [] if ci else ["--explain", f"bench/dashboard/explain-{size}.txt"]
    args = ["--requests", str(requests), "--warmup", str(warmup), *extra]
    data = script_json("bench/dashboard/latency.py", *args, env=env)
    table = Table(
        f"In-process (Django test client, JWT auth, no HTTP server, `prepare_to_serve()`), {requests} requests per "
        f"scenario after {warmup} unmeasured, period last_12_months; {data['listings']:,} listings, "
        f"{data['leads']:,} leads, {data['rollup_rows']:,} roll-up counters (rebuilt in {data['rebuild_seconds']} s)",
        ["scenario", "as", "p50 ms", "p95 ms", "p99 ms", "CPU p95 ms", "queries", "slowest SQL ms", "p95 in CPU loops"],
    )
    for row in data["rows"]:
        table.rows.append(
            [
                row["scenario"],
                row["as"],
                *percentiles(row, 2),
                f"{row['cpu_p95_ms']:.2f}",
                str(row["queries"]),
                f"{row['slowest_sql_ms']:.2f}",
                loops(row["p95_ms"], cal),
            ]
        )
    table.notes.append(
        "Targets at 1M listings / 500k leads: p95 under 200 ms uncached and under 10 ms cached; on this run's "
        f"machine 200 ms is {loops(200, cal)} and 10 ms {loops(10, cal)} CPU loops. Queries include the token lookup."
    )
    return Run("dashboard", size, ci, cal, [table], data, f"latency.py {' '.join(args)}")


def bench_finance(size: int, ci: bool, cal: dict) -> Run:
    """The rent-invoice job for ``size`` active leases; M-Pesa callbacks per second."""
    database = bench_database("finance")
    env = bench_env(database)
    callbacks = 20 if ci else min(5000, max(1, size // 10))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "finance.json"
        say(f"finance: {size:,} leases, {callbacks:,} callbacks, 2 threads")
        args = ["--leases", str(size), "--callbacks", str(callbacks), "--threads", "2", "--json", str(out)]
        python("bench/finance/bench.py", *args, env=env)
        data = json.loads(out.read_text())
    cb = data["callbacks"]
    rate = data["invoices"] / data["job_seconds"] if data["job_seconds"] else 0.0
    table = Table(
        f"{size:,} active leases, {callbacks:,} callbacks from 2 threads (Django test client, no HTTP server)",
        ["what", "result", "per CPU loop"],
    )
    per_loop = cal["cpu_loop_us"] / 1e6
    table.rows += [
        ["Setup: active leases + periods (bulk insert, not timed)", f"{data['setup_seconds']} s", ""],
        [
            f"**Invoice job, {size:,} active leases**",
            f"**{data['job_seconds']} s ({rate:,.0f} invoices/s)**",
            f"{rate * per_loop:.2f} invoices",
        ],
        ["Invoice job run again", f"{data['invoices_again']} invoices, {data['again_seconds']} s", ""],
        [
            "**Callbacks, 2 threads**",
            f"**{cb['callbacks']:,} in {cb['seconds']} s = {cb['callbacks_per_second']:,} /s**",
            f"{cb['callbacks_per_second'] * per_loop:.3f} callbacks",
        ],
        [
            "Duplicate deliveries of the same callbacks",
            f"{cb['duplicate_seconds']} s = {cb['duplicates_per_second']:,} /s; {cb['failures']} failures",
            f"{cb['duplicates_per_second'] * per_loop:.3f} duplicates",
        ],
        ["After: paid payments / payment ledger postings", f"{cb['paid']:,} / {cb['payment_postings']:,}", ""],
        [
            f"`ledger_verify()` over {data['ledger_transactions']:,} transactions",
            f"{'ok' if data['ledger_ok'] else 'FAILED'}, {data['verify_seconds']} s",
            "",
        ],
    ]
    table.notes.append(
        "Target: the invoice job for 50,000 leases under 5 minutes on 2 cores (at least 167 invoices/s); "
        f"on this run's machine that is {167 * per_loop:.2f} invoices per CPU loop."
    )
    return Run("finance", size, ci, cal, [table], data, f"bench.py --leases {size} --callbacks {callbacks} --threads 2")


def csv_result(row: dict) -> str:
    """The CSV's rows, and the PostgreSQL backends' CPU for it (median of the runs, with how
    many backends wrote it when more than one) when measured."""
    spent = sorted(ms for ms in row.get("csv_db_cpu_ms", ()) if ms is not None)
    backends = row.get("csv_backends", 1)
    database = f", database CPU {spent[len(spent) // 2]:,.0f} ms" if spent else ""
    database += f" ({backends} backends)" if spent and backends > 1 else ""
    return f"{row['csv_rows']:,} rows{database}"


def bench_inventory(size: int, ci: bool, cal: dict) -> Run:
    """Stock postings per second (hot part, spread), on hand of one part, the valuation report."""
    branches, history = (2, 4) if ci else (20, 5)
    database = bench_database(f"inventory_{size}")
    env = bench_env(database)
    posts, samples, runs, raw_posts = (20, 20, 2, 100) if ci else (400, 500, 5, 4000)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "inventory.json"
        say(f"inventory: {size:,} parts x {branches} branches, {posts} posts from 2 threads")
        extra = [] if ci else ["--explain", "bench/inventory/explain.txt"]
        args = ["--parts", str(size), "--branches", str(branches), "--history", str(history), "--posts", str(posts)]
        args += ["--samples", str(samples), "--runs", str(runs), "--threads", "2", "--raw-posts", str(raw_posts)]
        args += ["--json", str(out), *extra]
        python("bench/inventory/bench.py", *args, env=env)
        data = json.loads(out.read_text())
    table = Table(
        f"{data['parts']:,} parts x {data['branches']} branches, {data['ledger_rows']:,} ledger rows (generated "
        f"in {data['setup_seconds']} s); postings are issues of one unit, each written and posted in one call "
        "(`entry_create(post=True)`, as `POST /api/stock-entries/` with `post: true`) from 2 threads; CPU is this "
        "process's (Python), the load average is the 1-minute one as the row was measured",
        ["what", "result", "p50 ms", "p95 ms", "p99 ms", "CPU ms", "load", "p95 in CPU loops"],
    )
    for name, label in (("hot", "Posting, one hot part"), ("spread", "Posting, spread over every part and branch")):
        row = data[name]
        table.rows.append(
            [
                f"**{label}**",
                f"**{row['entries_per_second']:,} entries/s** ({row['posted']} posted, {row['failures']} failed)",
                *percentiles(row, 1),
                f"{row['cpu_ms_per_entry']:.1f}",
                f"{row['load']:.1f}",
                loops(row["p95_ms"], cal),
            ]
        )
    for name, label in (
        ("raw_hot", "Raw PostgreSQL ceiling, one hot part"),
        ("raw_spread", "Raw PostgreSQL ceiling, spread"),
    ):
        row = data[name]
        table.rows.append(
            [
                label,
                f"{row['entries_per_second']:,} statements/s ({row['posted']} written)",
                "",
                "",
                "",
                "",
                f"{row['load']:.1f}",
                "",
            ]
        )
    for name, label in (("selector", "On hand of one part, selector"), ("api", "On hand of one part, GET .../stock/")):
        row = data["on_hand"][name]
        table.rows.append(
            [
                label,
                f"{row['n']} parts",
                *percentiles(row, 2),
                f"{row['cpu_p50_ms']:.2f}",
                f"{row['load']:.1f}",
                loops(row["p95_ms"], cal),
            ]
        )
    for name, label in (("now", "now"), ("at_past_date", "50 days back")):
        row = data["valuation"][name]
        for part, what, result in (
            ("page", f"Valuation report {label}: totals + first page, GET .../valuation/", f"{row['page_rows']} rows"),
            ("csv", f"Valuation report {label}: every row, GET .../valuation/export/", csv_result(row)),
        ):
            cells = row[part]
            table.rows.append(
                [
                    what,
                    result,
                    *percentiles(cells, 1),
                    f"{cells['cpu_p50_ms']:.1f}",
                    f"{cells['load']:.1f}",
                    loops(cells["p95_ms"], cal),
                ]
            )
    table.notes.append(
        "Raw PostgreSQL ceiling: the posting's conditional update of the stock row and insert of its ledger row as "
        "one plain SQL statement (autocommit, psycopg, no Django) from 2 connections, beside the posting rate."
    )
    table.notes.append(
        f"Targets: on hand p95 under 5 ms ({loops(5, cal)} CPU loops here), the valuation report under 2 s "
        f"({loops(2000, cal)} CPU loops here)."
    )
    settings = f"bench.py {' '.join(args[:-2])}"
    return Run("inventory", size, ci, cal, [table], data, settings)


def bench_maintenance(size: int, ci: bool, cal: dict) -> Run:
    """The desk's work-order list and its overdue list over the API at ``size`` work orders."""
    companies = 2 if ci else 50
    database = bench_database(f"maintenance_{size}")
    env = bench_env(database)
    requests = 20 if ci else 200
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "maintenance.json"
        say(f"maintenance: {size:,} work orders over {companies} companies, {requests} requests per list")
        extra = [] if ci else ["--explain", "bench/maintenance/explain.txt"]
        args = ["--orders", str(size), "--companies", str(companies), "--requests", str(requests)]
        python("bench/maintenance/bench.py", *args, "--json", str(out), *extra, env=env)
        data = json.loads(out.read_text())
    table = Table(
        f"{data['orders']:,} work orders over {data['companies']} companies; a company's staff user asks, through "
        f"Django's test client (scoping, filters, the paginated count, the response schema)",
        ["what", "result", "p50 ms", "p95 ms", "p99 ms", "p95 in CPU loops", "CPU p95 ms", "statements"],
    )
    table.rows.append(
        [
            "Setup: one INSERT ... SELECT generate_series + ANALYZE (not timed)",
            f"{data['setup_seconds']} s",
            "",
            "",
            "",
            "",
            "",
            "",
        ]
    )
    for name, label in (("list", "`GET bookings/` (newest first)"), ("overdue", "`GET bookings/?overdue=true`")):
        row = data[name]
        table.rows.append(
            [
                f"**{label}**",
                f"{row['n']} requests, {row['rows_per_company']:,} rows per company",
                *percentiles(row, 1),
                loops(row["p95_ms"], cal),
                row.get("cpu_p95_ms", ""),
                row.get("statements", ""),
            ]
        )
    table.notes.append(
        f"Target: both lists p95 under 50 ms at 1,000,000 work orders ({loops(50, cal)} CPU loops here)."
    )
    return Run("maintenance", size, ci, cal, [table], data, f"bench.py {' '.join(args)}")


def bench_import(size: int, ci: bool, cal: dict) -> Run:
    """Bulk import of N listings from CSV through ``data/import``: a dry run, then the import."""
    database = bench_database(f"import_{size}")
    env = bench_env(database)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "import.json"
        say(f"import: {size:,} listings from CSV, a dry run then the import")
        python("bench/import/bench.py", "--rows", str(size), "--json", str(out), env=env)
        data = json.loads(out.read_text())
    table = Table(
        f"{data['rows']:,} listings in a {data['file_bytes'] / 1e6:.1f} MB CSV, {data['broken']} broken rows; "
        "one job, batches of 1,000 rows, each row validated by the API's input schema",
        ["what", "wall s", "CPU s (importer)", "CPU s (PostgreSQL backend)", "rows/s", "new", "errors"],
    )
    for name, label in (("dry_run", "Dry run (written, then rolled back)"), ("import", "**Import**")):
        row = data[name]
        table.rows.append(
            [
                label,
                row["seconds"],
                row["cpu_seconds"],
                "n/a" if row.get("database_cpu_seconds") is None else row["database_cpu_seconds"],
                f"{row['rows_per_second']:,}",
                row["counts"]["new"],
                row["counts"]["error"],
            ]
        )
    written = data["written"]
    table.notes.append(
        f"Written: {written['listings']:,} listings, {written['price_rows']:,} price rows, "
        f"{written['audit_rows']:,} audit rows. "
        "Target: 100,000 listings under 60 s (django-import-export's tuned best is about 5.4 s per 20,000 rows)."
    )
    return Run("import", size, ci, cal, [table], data, f"bench.py --rows {size}")


def bench_websockets(size: int, ci: bool, cal: dict) -> Run:
    """One event fanned out to ``size`` sockets through Redis; ``send_message`` messages/s."""
    database = bench_database("websockets")
    env = bench_env(database)
    rounds, messages = (3, 10) if ci else (20, 300)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "websockets.json"
        say(f"websockets: {size:,} sockets, {rounds} rounds, {messages} messages")
        args = ["--clients", str(size), "--rounds", str(rounds), "--messages", str(messages)]
        python("bench/websockets/fanout.py", *args, "--port", str(free_port()), "--json", str(out), env=env)
        data = json.loads(out.read_text())
    fan, chat = data["fanout"], data.get("chat", {})
    table = Table(
        f"uvicorn, 1 ASGI process, Redis channel layer; {size:,} sockets on the same machine, {rounds} rounds, "
        f"{messages} chat messages from one sender",
        ["measure", "result", "in CPU loops"],
    )
    table.rows += [
        ["clients connected and subscribed", f"{fan['clients']:,} in {fan['connect_seconds']} s", ""],
        [
            f"fan-out, first socket receives (p50 of {rounds} rounds)",
            f"{fan['first_ms_p50']} ms",
            loops(fan["first_ms_p50"], cal),
        ],
        [
            f"**fan-out, last socket receives (p50 / p95 / max of {rounds} rounds)**",
            f"**{fan['last_ms_p50']} / {fan['last_ms_p95']} / {fan['last_ms_max']} ms**",
            f"{loops(fan['last_ms_p50'], cal)} / {loops(fan['last_ms_p95'], cal)} / {loops(fan['last_ms_max'], cal)}",
        ],
    ]
    if chat:
        table.rows.append(
            [
                "`send_message` over HTTP, one sender (delivered over the socket /s)",
                f"{chat['delivered_per_second']} msg/s",
                f"{chat['delivered_per_second'] * cal['cpu_loop_us'] / 1e6:.3f} msg per loop",
            ]
        )
    table.notes.append(
        f"Target: the last of 1,000 sockets under 1 s on 2 cores; on this run's machine 1 s is {loops(1000, cal)} "
        "CPU loops."
    )
    settings = f"fanout.py --clients {size} --rounds {rounds} --messages {messages}"
    return Run("websockets", size, ci, cal, [table], data, settings)


PEER_NAMES = ("bare Ninja", "DRF")


def ratio(mine: float, theirs: float) -> str:
    return f"{mine / theirs:.2f}" if theirs else "n/a"


def bench_peers(size: int, ci: bool, cal: dict) -> Run:
    """Domus against a bare Django Ninja app and a DRF app on the same tables, Granian WSGI 2x2, wrk."""
    if not ensure_wrk():
        raise SystemExit("the peers benchmark needs wrk (apt-get install wrk)")
    name = f"peers_{size}"
    listings = f"{DB_PREFIX}_listings_{size}"
    if not database_exists(f"{DB_PREFIX}_{name}") and database_exists(listings):
        say(f"peers: copying {listings} (its listings are the ones measured)")
        pg_execute(f"CREATE DATABASE {DB_PREFIX}_{name} TEMPLATE {listings}")
    database = bench_database(name)
    env = dict(bench_env(database), JWT_ACCESS_MINUTES="600")
    rounds, seconds, warmup = (1, 1, 1) if ci else (3, 10, 1)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "peers.json"
        say(f"peers: {rounds} rounds of {seconds:g} s per endpoint and server")
        args = ["--listings", str(size), "--rounds", str(rounds), "--duration", str(seconds)]
        python("bench/peers/run.py", *args, "--warmup", str(warmup), "--json", str(out), env=env)
        data = json.loads(out.read_text())
    rows = {(row["endpoint"], row["server"]): row for row in data["rows"]}
    servers = list(dict.fromkeys(row["server"] for row in data["rows"]))
    table = Table(
        f"Granian WSGI, 2 workers x 2 threads, persistent connections; `wrk -t2 -c32 -d{seconds:g}s` per endpoint "
        f"after {warmup:g} s of warm-up, one server at a time, {rounds} interleaved round(s), median of the rounds",
        ["endpoint", "server", "req/s", "p50 ms", "p99 ms", "errors", "÷ bare Ninja", "÷ DRF"],
    )
    for endpoint in dict.fromkeys(row["endpoint"] for row in data["rows"]):
        for server in servers:
            row = rows[endpoint, server]
            ratios = ["", ""]
            if server not in PEER_NAMES:
                ratios = [ratio(row["rps"], rows[endpoint, peer]["rps"]) for peer in PEER_NAMES]
            table.rows.append(
                [
                    f"`{endpoint}`" if server == servers[0] else "",
                    server,
                    f"{row['rps']:,.0f}",
                    f"{row['p50_ms']:.1f}",
                    f"{row['p99_ms']:.1f}",
                    str(row["errors"]),
                    *ratios,
                ]
            )
    on, off = "Domus, rate limits on", "Domus"
    if on in servers:
        costs = []
        for endpoint in dict.fromkeys(row["endpoint"] for row in data["rows"]):
            # 2 busy cores: each request holds 2 / (req/s) core-seconds.
            rps_on, rps_off = rows[endpoint, on]["rps"], rows[endpoint, off]["rps"]
            cost = f"{2e6 * (1 / rps_on - 1 / rps_off):+,.0f} µs" if rps_on and rps_off else "n/a"
            costs.append(f"`{endpoint}` {cost}")
        table.notes.append(
            "Cost of the rate limits per request (2 cores x (1/req/s on - 1/req/s off)): " + ", ".join(costs) + "."
        )
    search = data["checked"]["search"]
    table.notes.append(
        f"Answers checked identical on every server before the load: {', '.join(data['checked'])}; "
        f"the search page holds {search['rows']} rows of {search['count']} ({data['fixture']['search']})."
    )
    settings = f"bench/peers/run.py --listings {size} --rounds {rounds} --duration {seconds:g} --warmup {warmup:g}"
    return Run("peers", size, ci, cal, [table], data, settings)


def bench_attendance(size: int, ci: bool, cal: dict) -> Run:
    """The monthly report of a 200-advisor branch; auto-attendance for ``size`` advisors, one day."""
    database = bench_database("attendance")
    env = bench_env(database)
    requests, warmup = (10, 2) if ci else (50, 5)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "attendance.json"
        say(f"attendance: {size:,} advisors, report {requests} requests")
        args = ["--advisors", str(size), "--requests", str(requests), "--warmup", str(warmup), "--json", str(out)]
        python("bench/attendance/bench.py", *args, env=env)
        data = json.loads(out.read_text())
    report, auto = data["report"], data["auto"]
    table = Table(
        f"Monthly report of one branch ({report['advisors']} advisors, {report['days']:,} advisor-days) through "
        f"Django's test client; auto-attendance for {size:,} advisors, one day",
        ["what", "result", "in CPU loops"],
    )
    table.rows += [
        ["Setup (bulk insert, not timed; reused when loaded)", f"{data['setup_seconds']} s", ""],
        [
            f"**Branch report, JSON ({report['bytes']:,} bytes), p50 / p95 / max of {report['requests']}**",
            f"**{report['p50_ms']} / {report['p95_ms']} / {report['max_ms']} ms**",
            f"{loops(report['p50_ms'], cal)} / {loops(report['p95_ms'], cal)} / {loops(report['max_ms'], cal)}",
        ],
        [
            "Branch report, CPU time of the request process, p50 / p95",
            f"{report['cpu_p50_ms']} / {report['cpu_p95_ms']} ms",
            f"{loops(report['cpu_p50_ms'], cal)} / {loops(report['cpu_p95_ms'], cal)}",
        ],
        ["Branch report, SQL queries", str(report["queries"]), ""],
        [
            f"**Auto-attendance, {size:,} advisors, {auto['branches']} branches**",
            f"**{auto['seconds']} s (CPU {auto['cpu_seconds']} s), {auto['absent']:,} absences marked**",
            "",
        ],
        ["Auto-attendance run again", f"{auto['again_absent']} more, {auto['again_seconds']} s", ""],
    ]
    table.notes.append(
        "Targets: the report p95 under 300 ms for 200 advisors (6,000 attendance days) and auto-attendance for "
        f"10,000 advisors under 30 s, on 2 cores; on this run's machine 300 ms is {loops(300, cal)} CPU loops."
    )
    settings = f"bench.py --advisors {size} --requests {requests} --warmup {warmup}"
    return Run("attendance", size, ci, cal, [table], data, settings)


def bench_reports(size: int, ci: bool, cal: dict) -> Run:
    """The comparative market analysis over ``size`` listings (the listing generator's)."""
    database = bench_database(f"reports_{size}")
    env = bench_env(database)
    if listing_count(database) != size:
        say(f"loading {size:,} listings (generate.py)")
        python("bench/listings/generate.py", "--count", str(size), "--replace", env=env)
    requests, warmup, pdfs = (10, 2, 1) if ci else (100, 10, 5)
    say(f"reports: CMA, {requests} requests")
    args = ["--requests", str(requests), "--warmup", str(warmup), "--pdf", str(pdfs)]
    if not ci:
        args += ["--explain", f"bench/reports/explain-{size}.txt"]
    data = script_json("bench/reports/bench.py", *args, env=env)
    cma = data["cma"]
    table = Table(
        f"CMA of a listing over {data['listings']:,} listings ({data['deals']:,} closed deals) through Django's "
        "test client as company staff",
        ["what", "result", "in CPU loops"],
    )
    table.rows += [
        ["Setup (company, staff, deals; not timed; reused when loaded)", f"{data['setup_seconds']} s", ""],
        [
            f"**CMA JSON, p50 / p95 / max of {cma['requests']}**",
            f"**{cma['p50_ms']} / {cma['p95_ms']} / {cma['max_ms']} ms**",
            f"{loops(cma['p50_ms'], cal)} / {loops(cma['p95_ms'], cal)} / {loops(cma['max_ms'], cal)}",
        ],
        ["CMA, CPU time of the request process, p50 / p95", f"{cma['cpu_p50_ms']} / {cma['cpu_p95_ms']} ms", ""],
        ["Candidates / comparables per CMA (mean)", f"{cma['candidates_mean']} / {cma['comparables_mean']}", ""],
        ["CMA, SQL queries (its slowest statement, p95)", f"{cma['queries']} ({cma['slowest_sql_p95_ms']} ms)", ""],
        [
            f"CMA PDF, p50 / max of {data['pdf']['requests']}",
            f"{data['pdf']['p50_ms']} / {data['pdf']['max_ms']} ms",
            "",
        ],
    ]
    table.notes.append(
        f"Target: CMA p95 under 500 ms at 1,000,000 listings; 500 ms is {loops(500, cal)} CPU loops here."
    )
    settings = f"bench/reports/bench.py {' '.join(args)}"
    return Run("reports", size, ci, cal, [table], data, settings)


def bench_marketing(size: int, ci: bool, cal: dict) -> Run:
    """Segment counts and campaign fan-out over ``size`` CRM bench leads, in-process."""
    database = bench_database(f"marketing_{size}")
    env = bench_env(database)
    if pg_execute("SELECT count(*) FROM crm_lead", database)[0][0] != size:
        say(f"loading {size:,} leads (bench/crm/generate_leads.py)")
        python("bench/crm/generate_leads.py", "--count", str(size), "--replace", env=env)
    runs, batches = (3, 2) if ci else (20, 10)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "marketing.json"
        say(f"marketing: {runs} counts per segment, fan-out, {batches} hand-over batches")
        python("bench/marketing/bench.py", "--runs", str(runs), "--batches", str(batches), "--json", str(out), env=env)
        data = json.loads(out.read_text())
    counts = Table(
        f"Live segment counts, {runs} runs each after one unmeasured; {data['leads']:,} leads, "
        f"{data['company_leads']:,} in the company counted",
        ["segment", "count", "p50 ms", "max ms", "p50 in CPU loops"],
    )
    for row in data["counts"]:
        counts.rows.append(
            [row["segment"], f"{row['count']:,}", f"{row['p50_ms']}", f"{row['max_ms']}", loops(row["p50_ms"], cal)]
        )
    counts.notes.append(f"Target: a segment count under 1 s at 500k leads; 1 s is {loops(1000, cal)} CPU loops here.")
    fan, hand, rebuild = data["fan_out"], data["hand_over"], data["rebuild"]
    work = Table(
        "Building members, fan-out and hand-over (one process)",
        ["what", "result", "per second", "CPU s (here / PostgreSQL)", "load"],
    )

    def cpu(row: dict) -> str:
        return f"{row.get('cpu_seconds', '')} / {row.get('db_cpu_seconds', '')}"

    work.rows += [
        ["segment members built from scratch", f"{rebuild['members']:,} in {rebuild['seconds']} s", "", "", ""],
        [
            "**campaign fan-out, 2 channels (touch rows)**",
            f"**{fan['touches']:,} in {fan['seconds']} s**",
            f"{fan['per_second']:,}",
            cpu(fan),
            f"{fan.get('load', '')}",
        ],
        [
            f"hand-over to communications, {hand['batches']} batches of {hand['batch_size']}",
            f"{hand['touches']:,} in {hand['seconds']} s",
            f"{hand['per_second']:,}",
            cpu(hand),
            f"{hand.get('load', '')}",
        ],
    ]
    work.notes.append("Target: the enqueue of 500k sends under 60 s (at least 8,334 touches/s).")
    return Run("marketing", size, ci, cal, [counts, work], data, f"bench.py --runs {runs} --batches {batches}")


def bench_web(size: int, ci: bool, cal: dict) -> Run:
    """Server time of the web search page (in-process), on the listing benchmark's database."""
    database = bench_database(f"listings_{size}")
    env = bench_env(database)
    if listing_count(database) != size:
        say(f"loading {size:,} listings (generate.py)")
        python("bench/listings/generate.py", "--count", str(size), "--replace", env=env)
    requests, warmup = (5, 2) if ci else (100, 5)
    say(f"web: search page, {requests} requests per scenario")
    data = script_json("bench/web/search_page.py", "--requests", str(requests), "--warmup", str(warmup), env=env)
    table = Table(
        f"In-process (Django test client), anonymous visitor, {requests} requests per page after {warmup} unmeasured; "
        "cold = cache emptied before each request (facet counts computed), warm = facet counts cached",
        [
            "page",
            "facets cache",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "p95 CPU ms",
            "SQL queries",
            "HTML bytes",
            "facets",
            "p95 in CPU loops",
        ],
    )
    for row in data["rows"]:
        table.rows.append(
            [
                row["page"],
                row["cache"],
                *percentiles(row, 2),
                f"{row['p95_cpu_ms']:.2f}",
                f"{row['sql_queries']:.1f}",
                f"{row['html_bytes']:,}",
                row["facets"],
                loops(row["p95_ms"], cal),
            ]
        )
    table.notes.append(
        f"Target: p95 under 100 ms at 1M listings on 2 cores; on this run's machine 100 ms is "
        f"{loops(100, cal)} CPU loops."
    )
    return Run("web", size, ci, cal, [table], data, f"search_page.py --requests {requests} --warmup {warmup}")


def bench_assistant(size: int, ci: bool, cal: dict) -> Run:
    """Retrieval latency over ``size`` passages, reindex throughput with the real model, and
    the evaluation set (recall@5, citation accuracy)."""
    database = bench_database(f"assistant_{size}")
    env = bench_env(database)
    if pg_execute("SELECT count(*) FROM assistant_chunk", database)[0][0] != size:
        say(f"loading {size:,} passages (generate.py)")
        python("bench/assistant/generate.py", "--chunks", str(size), "--replace", env=env)
    requests, warmup, documents = (10, 2, 5) if ci else (200, 10, 100)
    # The same passages in a SQLite file (the embedded default: FTS5 and the in-process database).
    sqlite_env = {**bench_env(None), "SQLITE_PATH": str(ROOT / "var" / f"bench_assistant_{size}.sqlite3")}
    (ROOT / "var").mkdir(exist_ok=True)
    python("manage.py", "migrate", "--noinput", "-v", "0", env=sqlite_env)
    python("bench/assistant/generate.py", "--chunks", str(size), env=sqlite_env)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        latencies = {}
        for storage, storage_env in (("PostgreSQL", env), ("SQLite", sqlite_env)):
            say(f"assistant: retrieval latency on {storage}, {requests} requests per scenario")
            python(
                "bench/assistant/latency.py",
                "--requests",
                str(requests),
                "--warmup",
                str(warmup),
                "--json",
                str(out / f"latency_{storage}.json"),
                env=storage_env,
            )
            latencies[storage] = json.loads((out / f"latency_{storage}.json").read_text())
        latency = latencies["PostgreSQL"]
        reindex_env = bench_env(bench_database("assistant_reindex"))
        say(f"assistant: reindex of {documents} documents")
        python(
            "bench/assistant/reindex.py",
            "--documents",
            str(documents),
            "--json",
            str(out / "reindex.json"),
            env=reindex_env,
        )
        reindex = json.loads((out / "reindex.json").read_text())
        # The demo accounts exist only in the embedded default: the evaluation runs on SQLite.
        # Without Redis, as ``make run``: the uploads' extraction and indexing jobs run in-process
        # (with a broker they would wait for a worker and the evaluation would find nothing).
        eval_env = {**bench_env(None), "SQLITE_PATH": str(out / "eval.sqlite3")}
        eval_env.pop("REDIS_URL")
        say("assistant: the evaluation set (embedded default, SQLite)")
        python("manage.py", "migrate", "--noinput", "-v", "0", env=eval_env)
        python("manage.py", "seed_demo", env=eval_env)
        company = django_value(
            "from django.apps import apps; "
            "print(apps.get_model('organizations', 'Company').objects.get(name='Acme Realty').pk)",
            eval_env,
        )
        python("manage.py", "assistant_seed_eval", "--company", company, env=eval_env)
        python("manage.py", "assistant_eval", "--json", str(out / "eval.json"), env=eval_env)
        evaluation = json.loads((out / "eval.json").read_text())
    table = Table(
        f"In-process retrieval as a staff member who may read {latency['readable_versions']:,} of the documents; "
        f"{latency['chunks']:,} passages; {requests} requests per scenario after {warmup} unmeasured",
        ["storage", "scenario", "p50 ms", "p95 ms", "p99 ms", "p95 in CPU loops", "client CPU p50 ms", "server CPU ms"],
    )
    for storage, measured in latencies.items():
        for row in measured["rows"]:
            server = row.get("server_cpu_mean_ms")
            table.rows.append(
                [
                    storage,
                    row["scenario"],
                    *percentiles(row, 1),
                    loops(row["p95_ms"], cal),
                    f"{row['cpu_p50_ms']:.1f}",
                    "in the client" if server is None else f"{server:.1f}",
                ]
            )
        table.notes.append(
            f"{storage}: CPU time of the hybrid retrieval in the measuring process (on SQLite the database's "
            f"work included, on PostgreSQL the server's not): p50 {measured['hybrid_cpu_ms']['p50_ms']} ms, "
            f"p95 {measured['hybrid_cpu_ms']['p95_ms']} ms; load average {measured['load_average'][0]} before, "
            f"{measured['load_average'][1]} after; loading the vectors into memory (once per process and index "
            f"change) {measured['load_matrix_ms']:,.0f} ms."
        )
    table.notes.append(
        f"Loading the model: {latency['load_model_ms']:,.0f} ms. Target: p95 under 50 ms at 100,000 passages "
        "on both storages. Client CPU: the measuring process (both its threads); server CPU: PostgreSQL's "
        "backend process, mean per request (/proc ticks of 10 ms summed over the run)."
    )
    throughput = Table(
        "Reindex with the local model (all-MiniLM-L6-v2 int8 ONNX)",
        ["documents", "passages", "seconds", "passages/s", "CPU seconds", "passages per CPU second"],
        [
            [
                str(reindex["documents"]),
                str(reindex["chunks"]),
                f"{reindex['seconds']:.1f}",
                f"{reindex['chunks_per_second']}",
                f"{reindex.get('cpu_seconds', 0):.1f}",
                f"{reindex.get('chunks_per_cpu_second')}",
            ]
        ],
    )
    quality = Table(
        f"Evaluation set: {evaluation['questions']} questions over the demo documents and articles",
        ["recall@5", "recall@1", "MRR", "citation accuracy", "grounded"],
        [
            [
                f"{evaluation[key]:.3f}"
                for key in ("recall_at_k", "recall_at_1", "mrr", "citation_accuracy", "grounded_rate")
            ]
        ],
    )
    data = {"latency": latencies, "reindex": reindex, "evaluation": evaluation}
    return Run("assistant", size, ci, cal, [table, throughput, quality], data, f"latency.py --requests {requests}")


@dataclass
class Bench:
    run: Callable[[int, bool, dict], Run]
    size: int  # the published size
    ci_size: int  # the smallest size, what CI runs
    unit: str


BENCHES: dict[str, Bench] = {
    "serving": Bench(bench_serving, 10, 1, "seconds of load per endpoint"),
    "listings": Bench(bench_listings, 100_000, 1_000, "listings"),
    "crm": Bench(bench_crm, 500_000, 2_000, "leads"),
    "dashboard": Bench(bench_dashboard, 1_000_000, 2_000, "listings (and half as many leads)"),
    "finance": Bench(bench_finance, 50_000, 100, "active leases"),
    "websockets": Bench(bench_websockets, 1_000, 10, "sockets"),
    "peers": Bench(bench_peers, 100_000, 1_000, "listings"),
    "attendance": Bench(bench_attendance, 10_000, 400, "advisors"),
    "inventory": Bench(bench_inventory, 50_000, 50, "parts"),
    "maintenance": Bench(bench_maintenance, 1_000_000, 2_000, "work orders"),
    "marketing": Bench(bench_marketing, 500_000, 2_000, "leads"),
    "web": Bench(bench_web, 100_000, 1_000, "listings"),
    "assistant": Bench(bench_assistant, 100_000, 1_000, "passages"),
    "reports": Bench(bench_reports, 100_000, 1_000, "listings"),
    "import": Bench(bench_import, 100_000, 2_000, "listings"),
}


# -- results -----------------------------------------------------------------------------


def git_commit() -> str:
    """The checked-out commit, marked when the measured code differs from it."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)  # noqa: S607
    code = ["domus", "manage.py", ":(glob)bench/**/*.py", ":(glob)bench/**/*.sh", ":(glob)bench/**/*.lua"]
    dirty = subprocess.run(  # noqa: S603
        ["git", "status", "--porcelain", "--", *code],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return (head.stdout.strip() or "?") + (" with uncommitted changes" if dirty.stdout.strip() else "")


TEXT_COLUMNS = {"cache", "as", "endpoint", "result"}


def render(result: Run, command: str, when: str) -> str:
    bench = BENCHES[result.bench]
    lines = [
        f"### {result.bench}, {result.size:,} {bench.unit}",
        "",
        f"`{command}` — {when}, commit {git_commit()}",
        "",
        f"Machine: {result.calibration['machine']}",
        "",
        calibration_line(result.calibration),
        "",
        f"Settings: {result.settings}",
    ]
    for table in result.tables:
        lines += ["", f"{table.title}:", "", "| " + " | ".join(table.columns) + " |"]
        align = ["---" if n == 0 or name in TEXT_COLUMNS else "---:" for n, name in enumerate(table.columns)]
        lines.append("| " + " | ".join(align) + " |")
        lines += ["| " + " | ".join(map(str, row)) + " |" for row in table.rows]
        lines += ["", *table.notes] if table.notes else []
    return "\n".join(lines) + "\n"


def write(result: Run, command: str) -> Path:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"{result.bench}-{result.size}"
    markdown = render(result, command, when)
    stem.with_suffix(".md").write_text(markdown)
    payload = {
        "bench": result.bench,
        "size": result.size,
        "command": command,
        "date": when,
        "commit": git_commit(),
        "settings": result.settings,
        "calibration": result.calibration,
        "tables": [t.__dict__ for t in result.tables],
        "raw": result.raw,
    }
    stem.with_suffix(".json").write_text(json.dumps(payload, indent=2, ensure_ascii=False))
    print("\n" + markdown, flush=True)
    return stem


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bench", default="all", help=f"all, or one of: {', '.join(BENCHES)}")
    parser.add_argument("--size", default="", help="A number, 'ci' (the smallest of each) or empty (the published).")
    args = parser.parse_args(argv)
    names = list(BENCHES) if args.bench == "all" else [args.bench]
    if any(name not in BENCHES for name in names):
        parser.error(f"--bench must be all or one of {', '.join(BENCHES)}")
    ci = args.size == "ci"
    if args.size and not ci and not (args.size.isdigit() and int(args.size) > 0):
        parser.error("--size must be a positive number or 'ci'")
    if args.size and not ci and len(names) > 1:
        parser.error("a numeric SIZE needs one BENCH")
    started = time.perf_counter()
    ensure_services()
    calibration = calibrate(ci)
    written = []
    for name in names:
        bench = BENCHES[name]
        size = bench.ci_size if ci else int(args.size or bench.size)
        say(f"{name}, {size:,} {bench.unit}")
        result = bench.run(size, ci, calibration)
        result.calibration = dict(calibration, load_average_after=round(os.getloadavg()[0], 2))
        command = f"make bench BENCH={name}" + (f" SIZE={args.size}" if args.size else "")
        written.append(write(result, command))
    print(f"results: {', '.join(f'{p}.md' for p in written)}; {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
