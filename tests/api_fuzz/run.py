"""Property-based testing of the whole API with schemathesis (all default checks, every
operation, the examples, coverage, fuzzing and stateful phases).

Builds a throwaway embedded-default database of its own (SQLite under var/, migrate,
seed_demo), starts uvicorn on a free loopback port with rate limits off, logs in as the
demo admin and runs schemathesis twice: with a fixed seed (every phase), then with a
random seed that is printed (the phases that draw from the seed: fuzzing and stateful;
the examples and coverage phases take their cases from the schema, so the first run has
covered them). Exits non-zero on any failure of either run.

Settings (environment):
  FUZZ_EXAMPLES       examples per operation (default 10; CI sets its own, .ci/run)
  FUZZ_SEED           the fixed seed of the first run (default 1)
  FUZZ_RANDOM         0 skips the random-seed run (default 1)
  FUZZ_PHASES         phases of the first run (default examples,coverage,fuzzing,stateful)
  FUZZ_RANDOM_PHASES  phases of the random-seed run (default fuzzing,stateful)
  FUZZ_WORKERS        concurrent schemathesis workers (default 2)
  FUZZ_MAX_TIME       seconds a run may take (schemathesis --max-time; default none)
  FUZZ_ARGS           extra schemathesis arguments, e.g. "--include-path-regex /crm/"

Exclusions: tests/api_fuzz/exclusions.txt, one `METHOD PATH CHECK  # reason` a line;
each turns one check off for one operation, never a whole operation.
"""

from __future__ import annotations

import json
import os
import random
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
WORK = ROOT / "var" / "api-fuzz"
EXCLUSIONS = HERE / "exclusions.txt"
ALL_PHASES = "examples,coverage,fuzzing,stateful"
DEMO_ADMIN = ("admin@example.com", "password123")  # seed_demo's account on the embedded default


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        PYTHONPATH=str(ROOT),
        SQLITE_PATH=str(WORK / "domus.sqlite3"),
        SQLITE_CONN_MAX_AGE="600",  # Granian's threads keep their connection (docs/configuration.md)
        MEDIA_ROOT=str(WORK / "media"),
        RATE_LIMITS_ENABLED="false",
        JWT_ACCESS_MINUTES="600",  # one token for the whole run
        GEOCODE_NEW_LISTINGS="false",
        LOG_LEVEL="ERROR",  # the server log keeps what fails (a 500's traceback), not every 4xx
    )
    return env


def _prepare(env: dict[str, str]) -> None:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    # The demo's e-mails go to the console backend: into a log, not the CI output.
    with open(WORK / "prepare.log", "wb") as log:
        for command in (["migrate", "--noinput", "-v", "0"], ["seed_demo", "--quiet"]):
            done = subprocess.run(
                [str(BIN / "python"), "manage.py", *command], cwd=ROOT, env=env, stdout=log, stderr=log
            )
            if done.returncode:
                raise SystemExit(f"manage.py {command[0]} failed:\n" + (WORK / "prepare.log").read_text()[-5000:])


def _start(env: dict[str, str], port: int) -> subprocess.Popen:
    log = open(WORK / "server.log", "wb")  # noqa: SIM115 - kept open for the server's life
    server = subprocess.Popen(
        [
            *(str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port)),
            *("--workers", os.environ.get("FUZZ_SERVER_WORKERS", "1"), "--workers-kill-timeout", "5"),
            *("--log-level", "warning", "domus.wsgi:application"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300  # a loaded CI machine builds the schema slowly
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/schema/", timeout=60).read()
            return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit("the server did not start:\n" + (WORK / "server.log").read_text()) from None
            time.sleep(0.5)
    os.killpg(server.pid, signal.SIGTERM)
    raise SystemExit("the server did not answer within 300 s")


def _login(port: int) -> str:
    body = json.dumps({"email": DEMO_ADMIN[0], "password": DEMO_ADMIN[1]}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/accounts/auth/token/",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    return json.loads(urllib.request.urlopen(request, timeout=60).read())["access"]


def parse_exclusions(text: str) -> list[tuple[str, str, str]]:
    """``(METHOD, PATH, CHECK)`` of each `METHOD PATH CHECK  # reason` line; a line without
    a reason, or not of that form, is an error."""
    found = []
    for number, raw in enumerate(text.splitlines(), start=1):
        rule, _, reason = raw.partition("#")
        if not rule.strip():
            continue
        parts = rule.split()
        if len(parts) != 3 or not reason.strip():
            raise SystemExit(f"exclusions.txt:{number}: want `METHOD PATH CHECK  # reason`, got {raw!r}")
        found.append((parts[0].upper(), parts[1], parts[2]))
    return found


def _get(port: int, token: str, path: str) -> object:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"})
    try:
        return json.loads(urllib.request.urlopen(request, timeout=30).read())
    except (OSError, ValueError):
        return None


def _known_ids(port: int, token: str) -> dict[str, list[str]]:
    """Real ids of the seeded rows for each path parameter: ``GET <collection>`` for every
    ``<collection>{x_id}/`` of the schema, nested collections filled with ids found first.
    Without them the coverage and fuzzing phases only ever reach 404 on detail routes."""
    paths = sorted(_get(port, token, "/api/v1/schema/")["paths"], key=lambda p: (p.count("{"), p))
    found: dict[str, list[str]] = {}
    for path in paths:
        collection, brace, rest = path.partition("{")
        name = rest.split("}", 1)[0]
        if not brace or name in found or not collection.endswith("/"):
            continue
        url = collection
        for param in re.findall(r"\{([^}]+)\}", collection):
            if not found.get(param):
                url = ""
                break
            url = url.replace(f"{{{param}}}", found[param][0])
        if not url or "{" in url:
            continue
        answer = _get(port, token, url + "?page_size=20")
        rows = answer.get("results", []) if isinstance(answer, dict) else answer or []
        ids = [str(row["id"]) for row in rows if isinstance(row, dict) and "id" in row]
        if ids:
            found[name] = ids
    return found


def _uuid_fields(node: object, components: dict, seen: frozenset[str] = frozenset()) -> bool:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            name = ref.rsplit("/", 1)[-1]
            return name not in seen and _uuid_fields(components.get(name, {}), components, seen | {name})
        return node.get("format") == "uuid" or any(_uuid_fields(v, components, seen) for v in node.values())
    if isinstance(node, list):
        return any(_uuid_fields(v, components, seen) for v in node)
    return False


def body_reference_operations(schema: dict) -> list[tuple[str, str]]:
    """``(METHOD, PATH)`` of each operation on a row named in its path whose request body
    names other rows by id. Its 404 may name a body field (an unknown reference: the API
    answers 404 with the field in ``errors``, docs/api.md "Errors"), which the stateful
    check ``ensure_resource_availability`` would take for the created row gone; that one
    check is off for these operations, every other check stays on."""
    components = schema.get("components", {}).get("schemas", {})
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody", {}).get("content", {})
            if "{" in path and method != "get" and _uuid_fields(body, components):
                found.append((method.upper(), path))
    return found


def _config(ids: dict[str, list[str]], schema: dict) -> Path:
    """The schemathesis config: real ids for path parameters (most of the time, so
    unknown ids are still tried), then one [[operations]] block per operation with
    checks turned off: the lines of exclusions.txt, and ``body_reference_operations``."""
    lines = ["# Generated by tests/api_fuzz/run.py from exclusions.txt", ""]
    for name, values in sorted(ids.items()):
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    if ids:
        lines.append("[parameters]")
        lines += [f'"path.{name}" = {{ dictionary = "{name}", probability = 0.8 }}' for name in sorted(ids)]
        lines.append("")
    # Sequences follow the links the schema declares (create -> detail, update, actions:
    # domus/core/openapi_contract.py). The links schemathesis would infer on top, ~19,000
    # over 512 operations, leave its state machine too large to run a single scenario.
    lines += ["[phases.stateful]", "inference.algorithms = []", ""]
    checks_off: dict[tuple[str, str], list[str]] = {}
    for method, path, check in parse_exclusions(EXCLUSIONS.read_text()):
        checks_off.setdefault((method, path), []).append(check)
    for method, path in body_reference_operations(schema):
        checks_off.setdefault((method, path), []).append("ensure_resource_availability")
    for (method, path), checks in checks_off.items():
        lines += ["[[operations]]", f'include-name = "{method} {path}"']
        lines += [f"checks.{check}.enabled = false" for check in dict.fromkeys(checks)]
        lines.append("")
    config = WORK / "schemathesis.toml"
    config.write_text("\n".join(lines))
    return config


def _run(port: int, token: str, config: Path, seed: int, phases: str) -> int:
    examples = os.environ.get("FUZZ_EXAMPLES", "10")
    command = [
        str(BIN / "schemathesis"),
        "--config-file",
        str(config),
        "--no-color",
        "run",
        str(WORK / "schema.json"),
        "--url",
        f"http://127.0.0.1:{port}",
        "--header",
        f"Authorization: Bearer {token}",
        "--phases",
        phases,
        "--max-examples",
        examples,
        "--seed",
        str(seed),
        "--workers",
        os.environ.get("FUZZ_WORKERS", "2"),
        "--report",
        "ndjson",
        "--report-dir",
        str(WORK / f"report-{seed}"),
        *shlex.split(os.environ.get("FUZZ_ARGS", "")),
    ]
    if os.environ.get("FUZZ_MAX_TIME"):
        command += ["--max-time", os.environ["FUZZ_MAX_TIME"]]
    print(f"== schemathesis, seed {seed}, {examples} examples per operation, phases {phases}", flush=True)
    started = time.monotonic()
    # Run from var/: schemathesis keeps its cache of past failures in the working directory.
    code = subprocess.run(command, cwd=WORK).returncode
    print(f"== seed {seed}: exit {code} in {time.monotonic() - started:.0f} s", flush=True)
    return code


def _stop(signum: int, _frame: object) -> None:
    # CI's time budget (`timeout`): unwind, so the server and schemathesis are stopped too.
    raise SystemExit(128 + signum)


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
    env = _environment()
    _prepare(env)
    port = _free_port()
    # The embedded M-Pesa simulator is served by this server, not by `make run`'s port 8000.
    env.update(
        MPESA_SIMULATOR_URL=f"http://127.0.0.1:{port}/api/v1/finance/mpesa-simulator",
        MPESA_CALLBACK_URL=f"http://127.0.0.1:{port}/api/v1/finance/payments/mpesa/callback/",
    )
    server = _start(env, port)
    try:
        token = _login(port)
        schema = _get(port, token, "/api/v1/schema/")
        # schemathesis reads the schema from a file: fetching it again would time out (10 s)
        # on a loaded machine, where building it takes longer.
        (WORK / "schema.json").write_text(json.dumps(schema))
        config = _config(_known_ids(port, token), schema)
        runs = [(int(os.environ.get("FUZZ_SEED", "1")), os.environ.get("FUZZ_PHASES", ALL_PHASES))]
        if os.environ.get("FUZZ_RANDOM", "1") != "0":
            seed = random.SystemRandom().randrange(1, 2**31)
            runs.append((seed, os.environ.get("FUZZ_RANDOM_PHASES", "fuzzing,stateful")))
        failed = [seed for seed, phases in runs if _run(port, token, config, seed, phases) != 0]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    if failed:
        seeds_text = ", ".join(map(str, failed))
        print(f"schemathesis failed with seed(s) {seeds_text}; rerun one with FUZZ_SEED=<seed> FUZZ_RANDOM=0")
        print(f"(the server's log: {WORK / 'server.log'}; the reports: {WORK}/report-<seed>/)")
        return 1
    print("schemathesis: no failures")
    return 0


if __name__ == "__main__":
    sys.exit(main())
