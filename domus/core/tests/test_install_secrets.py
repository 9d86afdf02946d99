"""The embedded default signs with a secret of its own install, never a published constant."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import jwt
import pytest
from django.conf import settings as django_settings

from domus.core.install_secrets import SecretUnavailable, read_or_create

REPO = Path(django_settings.BASE_DIR)
PUBLISHED_KEY = "insecure-embedded-development-key-do-not-use-in-production"


def test_a_secret_is_drawn_once_kept_private_and_read_back(tmp_path):
    folder = tmp_path / "secrets"

    first = read_or_create("secret-key", directory=folder)

    assert len(first) >= 60
    assert read_or_create("secret-key", directory=folder) == first
    assert read_or_create("secret-key", directory=tmp_path / "other") != first
    assert (folder / "secret-key").stat().st_mode & 0o777 == 0o600
    assert folder.stat().st_mode & 0o777 == 0o700
    assert [path.name for path in folder.iterdir()] == ["secret-key"]  # no temporary file left


def test_processes_starting_at_once_agree_on_one_secret(tmp_path):
    start = threading.Barrier(8)
    seen: list[str] = []

    def run() -> None:
        start.wait(timeout=10)
        seen.append(read_or_create("secret-key", directory=tmp_path))

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(seen) == 8
    assert len(set(seen)) == 1


def test_an_empty_or_unwritable_secret_is_an_error_not_a_weak_key(tmp_path):
    (tmp_path / "secret-key").write_text("")
    with pytest.raises(SecretUnavailable, match="empty"):
        read_or_create("secret-key", directory=tmp_path)

    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.geteuid() != 0:  # root writes anywhere
        with pytest.raises(SecretUnavailable):
            read_or_create("secret-key", directory=locked)
    with pytest.raises(ValueError, match="invalid secret name"):
        read_or_create("../escape", directory=tmp_path)


def _settings_of(**environment: str) -> subprocess.CompletedProcess:
    keep = ("PATH", "HOME", "LANG", "PYTHONPATH", "TMPDIR")
    env = {key: value for key, value in os.environ.items() if key in keep}
    env.update(DJANGO_SETTINGS_MODULE="domus.settings", **environment)
    code = "from django.conf import settings; print(settings.SECRET_KEY); print(settings.JWT_SIGNING_KEY)"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_embedded_default_signs_with_its_own_random_key_not_a_published_one():
    result = _settings_of()

    assert result.returncode == 0, result.stderr
    secret_key, signing_key = result.stdout.split()
    assert secret_key != PUBLISHED_KEY
    assert signing_key == secret_key
    stored = REPO / "var" / "secrets" / "secret-key"
    assert stored.read_text().strip() == secret_key
    assert stored.stat().st_mode & 0o777 == 0o600
    # An admin token minted with the published constant does not verify with this install's key.
    forged = jwt.encode({"sub": "1", "role": "admin"}, PUBLISHED_KEY, algorithm="HS256")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(forged, signing_key, algorithms=["HS256"])


def test_production_still_requires_its_secret_key():
    result = _settings_of(DEBUG="false")

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
