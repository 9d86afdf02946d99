"""Domus side by side with a bare Django Ninja app and a Django REST Framework app
(``bench/peers/peerapp``) over the same PostgreSQL tables, under the same server.

    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/domus_bench_peers_100000 \
        .venv/bin/python bench/peers/run.py --listings 100000 --json out.json

Loads the data (``setup.py``), then starts one server at a time, Granian WSGI with 2
workers x 2 threads and persistent connections, each app in its own process, and:

1. checks that the three answer the same thing: the same rows for the health floor,
   the listing detail, the search (city + price range, newest first), ``me`` and a
   created lead (datetimes compared to the millisecond; a lead's id, times and score
   are its own);
2. loads each endpoint with ``wrk`` (``-t2 -c32``), server after server, for
   ``--rounds`` interleaved rounds (the neighbours' load falls on every server alike),
   and reports the median of the rounds: requests/s, p50, p99, and Domus / peer.

``--rate-limits`` adds Domus with its production rate limits on (Redis counters,
limits high enough never to refuse): the cost of the limits per request.
"""

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
REPORT_LUA = ROOT / "bench" / "wrk_report.lua"
ENDPOINTS = ("health", "detail", "search", "me", "create lead")
# The lead body's e-mail is new on every request (a known address would be merged, not created).
LEAD_LUA = r"""
local next_thread = 0
function setup(thread)
  table.insert(threads, thread)
  next_thread = next_thread + 1
  thread:set("thread_number", next_thread)
end

function init(args)
  statuses = {}
  prefix = args[1]
  company = args[2]
  counter = 0
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"name": "Bench Lead", "email": "%s-%d-%d@bench.example.com", "message": "Call me.", "company_id": "%s"}',
    prefix, thread_number, counter, company)
  return wrk.format("POST", nil, nil, body)
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def servers(rate_limits: bool) -> dict[str, dict[str, Any]]:
    """name -> how to start it: the WSGI application and its environment."""
    domus = {"app": "domus.wsgi:application", "env": {"RATE_LIMITS_ENABLED": "false"}}
    peer_path = f"{HERE}{os.pathsep}{ROOT}"
    result = {"Domus": domus}
    if rate_limits:
        limits = {f"RATE_LIMIT_{scope}": "100000000/h" for scope in ("READ", "WRITE")}
        result["Domus, rate limits on"] = {
            "app": "domus.wsgi:application",
            "env": {"RATE_LIMITS_ENABLED": "true", **limits},
        }
    for peer, name in (("ninja", "bare Ninja"), ("drf", "DRF")):
        env = {"PEER": peer, "DJANGO_SETTINGS_MODULE": "peerapp.settings", "PYTHONPATH": peer_path}
        result[name] = {"app": "peerapp.wsgi:application", "env": env}
    return result


def _tree_cpu_seconds(root: int) -> float:
    """CPU seconds (user + system) of ``root`` and every process under it, from /proc."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(times.get(pid, 0.0) for pid in tree)


class Server:
    """Granian WSGI, 2 workers x 2 threads, on a free port; always stopped."""

    def __init__(self, name: str, spec: dict[str, Any], log: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        granian = Path(sys.executable).parent / "granian"
        command = [str(granian), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(self.port)]
        command += ["--workers", "2", "--blocking-threads", "2", "--log-level", "warning", spec["app"]]
        env = dict(os.environ, DATABASE_CONN_MAX_AGE="60", **spec["env"])
        self.name, self.log = name, log
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)  # noqa: S603

    def __enter__(self) -> "Server":
        for _ in range(300):
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited; see {self.log}:\n{self.log.read_text()[-2000:]}")
            try:
                httpx.get(f"{self.base}/api/v1/health/", timeout=2)
            except httpx.HTTPError:
                time.sleep(0.1)
            else:
                self._settle()
                return self
        self.__exit__()
        raise SystemExit(f"{self.name} did not start; see {self.log}")

    def _settle(self, busy: float = 0.1, window: float = 0.5, most: float = 60.0) -> None:
        """Wait until the server's processes are idle: the first worker to start answers
        the health check while the second may still be loading the app (seconds of CPU
        for Domus, which runs its system checks first), and its start must not fall
        into the load."""
        deadline = time.monotonic() + most
        before = _tree_cpu_seconds(self.process.pid)
        while time.monotonic() < deadline:
            time.sleep(window)
            after = _tree_cpu_seconds(self.process.pid)
            if after - before < busy * window:
                return
            before = after

    def __exit__(self, *exc: Any) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def paths(fixture: dict[str, Any]) -> dict[str, str]:
    return {
        "health": "/api/v1/health/",
        "detail": f"/api/v1/properties/{fixture['listing_id']}/",
        "search": f"/api/v1/properties/?{fixture['search']}",
        "me": "/api/v1/accounts/me/",
        "create lead": "/api/v1/crm/leads/",
    }


# -- the answers -------------------------------------------------------------------------

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$")
OWN_FIELDS = {"time", "id", "created_at", "updated_at", "email", "score", "score_breakdown", "scored_at"}


def normalise(value: Any) -> Any:
    """Datetimes to the millisecond in UTC (DRF writes microseconds, Ninja milliseconds)."""
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, str) and ISO.match(value):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment.isoformat(timespec="milliseconds")
    return value


def answer(base: str, endpoint: str, path: str, fixture: dict[str, Any], tag: str) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {fixture['token']}"}
    if endpoint == "create lead":
        body = {"name": "Bench Lead", "email": f"check-{tag}@bench.example.com", "message": "Call me."}
        response = httpx.post(base + path, json={**body, "company_id": fixture["company_id"]}, headers=headers)
    else:
        response = httpx.get(base + path, headers=headers if endpoint == "me" else {})
    if response.status_code >= 400 or "json" not in response.headers.get("content-type", ""):
        raise SystemExit(f"{base}{path} ({endpoint}): {response.status_code} {response.text[:2000]}")
    data = normalise(response.json())
    if endpoint == "search":  # the rows of the page; the count when it is exact everywhere
        rows = data.get("results", data.get("items"))
        data = {"count": data["count"] if data["count"] <= fixture["exact_count_up_to"] else "estimate", "rows": rows}
    if endpoint in ("health", "create lead"):
        data = {k: v for k, v in data.items() if k not in OWN_FIELDS}
    return response.status_code, data


def check_answers(specs: dict[str, dict[str, Any]], fixture: dict[str, Any], logs: Path) -> dict[str, Any]:
    """Every endpoint's answer from every server, the same (or SystemExit naming the difference)."""
    answers: dict[str, dict[str, Any]] = {}
    for name, spec in specs.items():
        with Server(name, spec, logs / f"peers-{len(answers)}.log") as server:
            tag = f"{int(time.time() * 1000)}-{len(answers)}"
            answers[name] = {e: answer(server.base, e, p, fixture, tag) for e, p in paths(fixture).items()}
    first, reference = next(iter(answers.items()))
    summary = {}
    for endpoint in ENDPOINTS:
        for name, got in answers.items():
            if got[endpoint] != reference[endpoint]:
                raise SystemExit(
                    f"{endpoint}: {name} answers differently from {first}:\n"
                    f"{first}: {json.dumps(reference[endpoint], default=str)[:3000]}\n"
                    f"{name}: {json.dumps(got[endpoint], default=str)[:3000]}"
                )
        status, data = reference[endpoint]
        summary[endpoint] = {"status": status, "rows": len(data["rows"]) if endpoint == "search" else 1}
        if endpoint == "search":
            summary[endpoint]["count"] = data["count"]
    return summary


# -- the load ----------------------------------------------------------------------------


def wrk(base: str, endpoint: str, path: str, fixture: dict[str, Any], seconds: float, tag: str) -> dict[str, Any]:
    command = ["wrk", "-t2", "-c32", f"-d{max(1, round(seconds))}s", "--latency"]  # wrk takes whole seconds
    script = REPORT_LUA.read_text()
    args: list[str] = []
    if endpoint in ("me", "create lead"):
        command += ["-H", f"Authorization: Bearer {fixture['token']}"]
    if endpoint == "create lead":
        script += LEAD_LUA
        args = [tag, fixture["company_id"]]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        result = subprocess.run([*command, "-s", lua.name, base + path, "--", *args], capture_output=True, text=True)  # noqa: S603
    line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if result.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed on {base}{path}:\n{result.stdout}{result.stderr}")
    return json.loads(line.removeprefix("BENCH_JSON "))


def measure(
    specs: dict[str, dict[str, Any]], fixture: dict[str, Any], rounds: int, seconds: float, warmup: float, logs: Path
) -> list[dict[str, Any]]:
    samples = []
    for number in range(1, rounds + 1):
        for index, (name, spec) in enumerate(specs.items()):
            with Server(name, spec, logs / f"peers-{index}.log") as server:
                for endpoint, path in paths(fixture).items():
                    tag = f"r{number}s{index}{int(time.time())}"
                    if warmup >= 1:
                        wrk(server.base, endpoint, path, fixture, warmup, tag + "w")
                    row = wrk(server.base, endpoint, path, fixture, seconds, tag)
                    bad = {k: v for k, v in row["statuses"].items() if k not in ("200", "201", "socket")}
                    if bad:
                        raise SystemExit(f"{name} {endpoint}: answers other than 200/201 under load: {bad}")
                    row.update(server=name, endpoint=endpoint, round=number)
                    samples.append(row)
                    print(
                        f"round {number} {name:24} {endpoint:12} {row['rps']:8.1f} req/s  p50 {row['p50_ms']:7.2f} "
                        f"p99 {row['p99_ms']:7.2f} ms  statuses {row['statuses']}",
                        flush=True,
                    )
    return samples


def summarise(samples: list[dict[str, Any]], names: list[str]) -> list[dict[str, Any]]:
    rows = []
    for endpoint in ENDPOINTS:
        for name in names:
            mine = [s for s in samples if s["server"] == name and s["endpoint"] == endpoint]
            rows.append(
                {
                    "endpoint": endpoint,
                    "server": name,
                    "rps": statistics.median(s["rps"] for s in mine),
                    "p50_ms": statistics.median(s["p50_ms"] for s in mine),
                    "p99_ms": statistics.median(s["p99_ms"] for s in mine),
                    "errors": sum(s["errors"] for s in mine),
                    "rounds_rps": [s["rps"] for s in mine],
                }
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0, help="Seconds of wrk per endpoint and round.")
    parser.add_argument("--warmup", type=float, default=2.0, help="Unmeasured seconds of wrk first.")
    parser.add_argument("--rate-limits", action="store_true", default=True, help="Also Domus with its rate limits on.")
    parser.add_argument("--no-rate-limits", dest="rate_limits", action="store_false")
    parser.add_argument("--json", required=True)
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed (apt-get install wrk)")
    logs = ROOT / "var"
    logs.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fixture_file = Path(tmp) / "fixture.json"
        setup = [sys.executable, str(HERE / "setup.py"), "--listings", str(args.listings), "--json", str(fixture_file)]
        subprocess.run(setup, check=True)  # noqa: S603
        fixture = json.loads(fixture_file.read_text())
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()  # its own db: nothing cached from another run
    specs = servers(args.rate_limits)
    checked = check_answers(specs, fixture, logs)
    print(f"answers identical: {json.dumps(checked)}", flush=True)
    samples = measure(specs, fixture, args.rounds, args.duration, args.warmup, logs)
    rows = summarise(samples, list(specs))
    Path(args.json).write_text(
        json.dumps(
            {
                "checked": checked,
                "rows": rows,
                "samples": samples,
                "fixture": {k: v for k, v in fixture.items() if k != "token"},
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
