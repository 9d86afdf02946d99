"""/metrics under Granian with two worker processes (multiprocess mode): after N
requests spread over both workers, the exposition counts exactly N."""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[3]
N = 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(server: subprocess.Popen) -> None:
    """SIGTERM the server's process group; SIGKILL it if it has not exited within 20 s."""
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


def _counting_workers(multiproc: Path) -> set[str]:
    """The processes that have written a counter (prometheus_client's ``counter_<pid>.db``)."""
    return {path.name.rsplit("_", 1)[-1] for path in multiproc.iterdir() if path.name.startswith("counter_")}


@pytest.mark.once
def test_metrics_count_every_request_across_two_granian_workers(tmp_path):
    granian = Path(sys.executable).parent / "granian"
    if not granian.exists():
        pytest.fail("granian is not installed in this environment")
    port = _free_port()
    multiproc = tmp_path / "prom"
    multiproc.mkdir()
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="domus.settings",
        PROMETHEUS_MULTIPROC_DIR=str(multiproc),
        SECRET_KEY="granian-metrics-test-secret-key-long-enough-for-hs256",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=f"sqlite:///{tempfile.mkdtemp()}/granian.sqlite3",
    )
    env.pop("REDIS_URL", None)
    command = [str(granian), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port)]
    # A bounded shutdown: Granian otherwise waits for idle blocking threads to expire.
    command += ["--workers", "2", "--workers-kill-timeout", "5", "--log-level", "warning", "domus.wsgi:application"]
    log = tmp_path / "granian.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(f"{base}/metrics", timeout=1)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        pytest.fail("Granian did not start:\n" + log.read_text()[-3000:])
                    time.sleep(0.3)
            sent = 0
            with httpx.Client(base_url=base, timeout=10) as client:
                # At least N requests, and on until both workers have answered some: on a busy
                # machine the second worker may still be loading the app when the first answers.
                while sent < N or (len(_counting_workers(multiproc)) < 2 and time.monotonic() < deadline + 60):
                    # A new connection each time, so both workers answer some.
                    answer = client.get("/api/v1/ops/health/", headers={"Connection": "close"})
                    assert answer.status_code == 200
                    sent += 1
                metrics = client.get("/metrics").text
            workers = _counting_workers(multiproc)
        finally:
            _stop(server)

    counted = sum(
        float(value)
        for value in re.findall(
            r'^domus_http_requests_total\{[^}]*route="api/v1/ops/health/"[^}]*\} ([0-9.e+]+)$', metrics, re.M
        )
    )
    assert counted == sent, metrics[-2000:]
    assert len(workers) == 2  # both workers counted
