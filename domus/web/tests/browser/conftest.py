"""Playwright driving the system's Chromium (Debian's ``chromium`` package, through
``executable_path``: no browser download) against pytest-django's live server.

Marked ``browser``; skipped when Playwright or Chromium is missing. Screenshots go to
``var/browser/``; every page visited is checked with axe-core (vendored) and weighed."""

import gzip
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

playwright_api = pytest.importorskip("playwright.sync_api")

HERE = Path(__file__).parent
AXE = HERE / "vendor" / "axe.min.js"
SHOTS = Path(settings.BASE_DIR) / "var" / "browser"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PAGE_BUDGET = 100 * 1024  # HTML + CSS + JS of one page, as sent compressed (gzip)
WEIGHTS: dict[str, dict[str, int]] = {}


def _chromium() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One browser per test module. Playwright's sync API keeps an event loop in this
    thread while it runs, so Django's async-safety guard is lifted for these tests alone
    (their ORM calls are plain synchronous code all the same) and restored after."""
    path = _chromium()
    if not path:
        message = "no Chromium (apt-get install chromium, or set CHROMIUM_PATH)"
        if os.environ.get("REQUIRE_BROWSER"):  # CI: a missing browser fails the run, never skips it
            pytest.fail(message)
        pytest.skip(message)
    with pytest.MonkeyPatch.context() as patch, playwright_api.sync_playwright() as driver:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = driver.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()
    if WEIGHTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / "page-weights.json").write_text(json.dumps(WEIGHTS, indent=2, sort_keys=True))


@pytest.fixture(autouse=True)
def _browser_settings(settings, live_server) -> None:
    settings.FRONTEND_URL = live_server.url
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.WEB_MAP_TILE_URL = ""  # the plain background: never a tile request


class Weigher:
    """Records what a page loads: HTML, CSS and JS bytes, raw and gzip-compressed."""

    KINDS = {"document", "stylesheet", "script"}

    def __init__(self) -> None:
        self.raw = 0
        self.gzipped = 0

    def __call__(self, response: Any) -> None:
        if response.request.resource_type not in self.KINDS or response.status >= 300:
            return
        try:
            body = response.body()
        except playwright_api.Error:  # a response without a body (aborted) weighs nothing
            return
        self.raw += len(body)
        self.gzipped += len(gzip.compress(body, compresslevel=9))


def open_page(page: Any, url: str, name: str, *, check: bool = True) -> Any:
    """Go to ``url``, screenshot it as ``name``, weigh it, and run axe on it (no serious
    or critical violation)."""
    weigher = Weigher()
    page.on("response", weigher)
    answer = page.goto(url, wait_until="networkidle")
    page.remove_listener("response", weigher)
    WEIGHTS[name] = {"raw_bytes": weigher.raw, "gzip_bytes": weigher.gzipped}
    assert weigher.gzipped <= PAGE_BUDGET, f"{name}: {weigher.gzipped} bytes of HTML+CSS+JS (gzip)"
    if check:
        audit(page, name)
    return answer


def screenshot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def audit(page: Any, name: str) -> None:
    """Screenshot, then axe-core: no serious or critical violation on the page."""
    screenshot(page, name)
    if not page.evaluate("() => !!window.axe"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await window.axe.run(document, {resultTypes: ['violations']})")
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{name}: " + "; ".join(bad)


@pytest.fixture
def asgi_server(live_server, settings) -> Iterator[str]:
    """The site as production runs it for WebSockets: the ASGI application (HTTP and
    ``/ws/`` in one process, through the origin check) under uvicorn in a thread, on the
    test database. The channel layer is the in-memory one of this process, which the
    HTTP requests (their sync views run beside uvicorn's event loop) push into."""
    import socket
    import threading
    import time

    import uvicorn
    from channels.routing import ProtocolTypeRouter, URLRouter
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
    from django.core.asgi import get_asgi_application

    from domus.communications.middleware import BrowserOriginValidator
    from domus.routing import websocket_urlpatterns

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    settings.WEBSOCKET_ALLOWED_ORIGINS = [url]
    settings.FRONTEND_URL = url
    application = ProtocolTypeRouter(
        {
            "http": ASGIStaticFilesHandler(get_asgi_application()),
            "websocket": BrowserOriginValidator(URLRouter(websocket_urlpatterns)),
        }
    )
    config = uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the ASGI test server did not start")
        time.sleep(0.05)
    yield url
    server.should_exit = True
    thread.join(timeout=10)
