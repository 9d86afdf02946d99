"""Shapes of the accounts API."""

from datetime import datetime
from uuid import UUID

from ninja import Field, Schema
from pydantic import model_validator


class LoginIn(Schema):
    """Log in with ``username`` or ``email`` (either may carry the e-mail) and ``password``."""

    username: str | None = Field(None, max_length=254)
    email: str | None = Field(None, max_length=254)
    password: str = Field(..., min_length=1, max_length=128)

    @model_validator(mode="after")
    def one_identifier(self) -> "LoginIn":
        if not (self.username or self.email):
            raise ValueError("Provide a username or an email.")
        return self

    @property
    def identifier(self) -> str:
        return (self.username or self.email or "").strip()


class RefreshIn(Schema):
    refresh: str = Field(..., min_length=1)


class TokenIn(Schema):
    token: str = Field(..., min_length=1)


class UserOut(Schema):
    id: UUID
    email: str
    username: str
    first_name: str
    last_name: str
    phone: str
    role: str
    is_active: bool
    date_joined: datetime
    last_login: datetime | None


class TokenPairOut(Schema):
    access: str
    refresh: str
    token_type: str = "Bearer"
    access_expires_at: datetime
    refresh_expires_at: datetime


class LoginOut(TokenPairOut):
    user: UserOut


class VerifyOut(Schema):
    valid: bool


class RouteOut(Schema):
    method: str
    path: str
    alias_of: str | None
    permission: str
    summary: str
