"""Small shapes shared by every API."""

from ninja import Schema


class MessageOut(Schema):
    detail: str
