"""Small shapes shared by every API."""

from ninja import Schema


class DetailOut(Schema):
    """A confirmation sentence (``{"detail": "Password changed."}``)."""

    detail: str
