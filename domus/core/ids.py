"""Identifiers: time-ordered UUIDv7 primary keys, so new rows append to the index."""

import uuid

from uuid_utils.compat import uuid7 as _uuid7


def uuid7() -> uuid.UUID:
    """A new UUIDv7 (a standard :class:`uuid.UUID`)."""
    return _uuid7()
