"""Per-install secrets of the embedded default, generated on first run and kept under ``var/``.

``make run`` has no environment to read secrets from, yet a constant in the source would be the
same on every install (anyone could sign an admin JWT with it). So each install draws its own
random value once and keeps it in ``var/secrets/<name>`` (mode 0600, directory 0700); later runs,
and every other process of the same checkout, read the same value. Production sets the
corresponding environment variables instead (docs/configuration.md).

Imported by ``domus.settings``: standard library only, no Django.
"""

import contextlib
import os
import secrets
from pathlib import Path

DEFAULT_DIRECTORY = Path(__file__).resolve().parent.parent.parent / "var" / "secrets"
NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")


class SecretUnavailable(RuntimeError):
    """The secret could be neither read nor created (an unwritable ``var/``, an empty file)."""


def read_or_create(name: str, *, directory: Path | None = None, nbytes: int = 48) -> str:
    """The install's secret ``name``: read from ``directory/name``, or drawn at random
    (``nbytes`` of entropy, URL-safe text) and stored there with mode 0600 on first use.

    Two processes starting at once agree on one value: the new secret is written to a private
    temporary file and hard-linked into place, which fails for the loser, who then reads the
    winner's file."""
    if not name or not set(name) <= NAME_CHARACTERS:
        raise ValueError(f"invalid secret name {name!r}")
    folder = directory or DEFAULT_DIRECTORY
    path = folder / name
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = folder / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_urlsafe(nbytes))
            with contextlib.suppress(FileExistsError):  # another process stored it first: theirs wins
                os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
        return _read(path)
    except OSError as error:
        raise SecretUnavailable(f"Cannot create the secret {path}: {error}") from error


def _read(path: Path) -> str:
    value = path.read_text().strip()
    if not value:
        raise SecretUnavailable(f"The secret file {path} is empty; delete it to draw a new one.")
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # copied in with a loose mode: readable by the owner only
    return value
