"""Authentication for callers that cannot send a bearer token."""

from django.conf import settings
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare
from ninja.security import APIKeyQuery

from domus.core.exceptions import AuthenticationFailed


class QueryToken(APIKeyQuery):
    """A shared secret in ``?token=``, equal (compared in constant time) to the setting
    named ``setting``: for the webhooks of outside providers. While the setting is empty
    every call is refused. The OpenAPI schema declares it as an API key in the query."""

    param_name = "token"

    def __init__(self, setting: str, detail: str = "Bad callback token.") -> None:
        self.setting = setting
        self.detail = detail
        super().__init__()

    def authenticate(self, request: HttpRequest, key: str | None) -> bool:
        expected = getattr(settings, self.setting, "")
        if not expected or not key or not constant_time_compare(key, expected):
            raise AuthenticationFailed(self.detail)
        return True
