"""Answers for one caller are never cached, DEBUG pages reach only the machine itself,
and the documented production settings pass ``manage.py check --deploy``."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.http import HttpRequest
from django.test import Client
from django.urls import path

ROOT = Path(__file__).resolve().parent.parent


def crash(request: HttpRequest):
    raise RuntimeError("secret internals")


urlpatterns = [path("crash/", crash)]


@pytest.mark.django_db
def test_authenticated_answers_are_no_store(user_client, api_client):
    me = user_client.get("/api/v1/accounts/me/")
    refused = api_client.get("/api/v1/accounts/me/", headers={"Authorization": "Bearer not.a.jwt"})
    public = api_client.get("/api/v1/properties/")
    public_signed_in = user_client.get("/api/v1/properties/")

    assert me.status_code == 200
    assert me["Cache-Control"] == "private, no-store"
    assert refused.status_code == 401
    assert "no-store" in refused["Cache-Control"]
    assert public.status_code == 200
    assert "Cache-Control" not in public  # anonymous listing search stays cacheable
    assert public_signed_in["Cache-Control"] == "private, no-store"


@pytest.mark.django_db
def test_debug_pages_reach_only_callers_on_this_machine(settings):
    settings.DEBUG = True
    settings.ROOT_URLCONF = __name__
    remote = Client(REMOTE_ADDR="203.0.113.7", raise_request_exception=False)
    proxied = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7", raise_request_exception=False)
    local = Client(REMOTE_ADDR="127.0.0.1", raise_request_exception=False)

    for client in (remote, proxied):
        missing, crashed = client.get("/no-such-page/"), client.get("/crash/")
        assert missing.status_code == 404
        assert crashed.status_code == 500
        for response in (missing, crashed):
            page = response.content.decode()
            assert "URLconf" not in page
            assert "Traceback" not in page
            assert "secret internals" not in page
    assert "URLconf" in local.get("/no-such-page/").content.decode()
    assert "secret internals" in local.get("/crash/").content.decode()


def _documented_production_environment() -> dict[str, str]:
    """The variables of "Environment of a production deployment" in docs/deployment.md."""
    text = (ROOT / "docs" / "deployment.md").read_text()
    block = text.split("## Environment of a production deployment", 1)[1].split("```", 2)[1]
    env = {}
    for line in block.strip().splitlines():
        name, _, value = line.partition("=")
        env[name.strip()] = re.sub(r"\s+#.*$", "", value).strip()
    return env


def test_the_documented_production_settings_pass_check_deploy():
    documented = _documented_production_environment()
    for name in ("BEHIND_PROXY", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD"):
        assert documented.get(name) == "true", name
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "domus.settings",
        **documented,
        # the placeholders of the page, made real
        "SECRET_KEY": "k" * 10 + "Qz8!vR2#mW5$xT9&pL4*nB7@hJ3^cF6%" + "s" * 10,
        "JWT_SIGNING_KEY": "another-random-value",
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
