"""What a production start gets that tests do not: hashed, compressed static files and
JSON logs from Celery workers. Each runs the real settings in a fresh interpreter."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    environment.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )


def test_production_serves_hashed_compressed_static_files():
    code = "from django.conf import settings; print(settings.STORAGES['staticfiles']['BACKEND'])"

    production = _python(code, DJANGO_SETTINGS_MODULE="domus.settings", DEBUG="false", SECRET_KEY="x" * 50)
    development = _python(code, DJANGO_SETTINGS_MODULE="domus.settings", DEBUG="true")

    assert production.stdout.strip() == "whitenoise.storage.CompressedManifestStaticFilesStorage", production.stderr
    assert development.stdout.strip() == "django.contrib.staticfiles.storage.StaticFilesStorage", development.stderr


def test_celery_worker_logs_are_json_lines_like_the_web():
    code = (
        "import django, logging; django.setup();"
        "from domus.celery import app; app.log.setup(loglevel='INFO');"
        "logging.getLogger('domus.jobs').warning('invoice job finished')"
    )

    result = _python(code, DJANGO_SETTINGS_MODULE="domus.test_settings")

    lines = [line for line in result.stderr.splitlines() if "invoice job finished" in line]
    assert lines, result.stderr
    record = json.loads(lines[0])
    assert (record["level"], record["logger"], record["message"]) == ("WARNING", "domus.jobs", "invoice job finished")
