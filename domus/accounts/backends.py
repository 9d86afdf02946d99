"""Django's authentication backend for the admin login form: the same identifiers as the
API's login (e-mail or username, case ignored)."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q
from django.http import HttpRequest

from domus.accounts.models import User


class EmailOrUsernameBackend(ModelBackend):
    """``admin@example.com`` and ``admin`` sign in the same user."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        identifier = (username or kwargs.get(User.USERNAME_FIELD) or "").strip()
        if not identifier or password is None:
            return None
        user = User.objects.filter(Q(email__iexact=identifier) | Q(username__iexact=identifier)).first()
        if user is None:
            User().set_password(password)  # the same work as a real check: no timing tells who exists
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
