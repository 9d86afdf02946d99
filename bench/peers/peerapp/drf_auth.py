"""The DRF app's bearer token authentication (its own module: DRF imports it from the settings)."""

from django.http import HttpRequest
from rest_framework import authentication, exceptions

from peerapp import common
from peerapp.models import User


class BearerAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: HttpRequest) -> tuple[User, str] | None:
        token = common.bearer(request.META.get("HTTP_AUTHORIZATION", ""))
        if not token:
            return None
        user = common.user_from_token(token)
        if user is None:
            raise exceptions.AuthenticationFailed("Token is invalid.")
        return user, token

    def authenticate_header(self, request: HttpRequest) -> str:
        return "Bearer"
