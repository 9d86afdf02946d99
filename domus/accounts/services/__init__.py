"""Every write of the accounts app. Other apps call these (never the models):

- users: :func:`user_create`, :func:`user_update`, :func:`user_update_me`, :func:`user_delete`,
  :func:`user_restore`
- authentication: :func:`credentials_verify`, :func:`auth_login`, :func:`auth_refresh`, :func:`auth_logout`,
  :func:`user_register`, :func:`user_activate`, :func:`password_change`,
  :func:`password_forgot`, :func:`password_reset`
- e-mail change: :func:`email_change_request`, :func:`email_change_confirm`
- profiles: :func:`profile_create`, :func:`profile_update`, :func:`profile_delete`,
  :func:`agent_profile_create`, :func:`agent_profile_update`, :func:`agent_profile_delete`

Events published after commit: ``user.created`` ``{"user_id", "role", "is_active"}``,
``user.activated`` ``{"user_id"}``, ``user.deleted`` ``{"user_id"}``, ``user.restored`` ``{"user_id"}``.
"""

from domus.accounts.services.authentication import (
    auth_login,
    auth_logout,
    auth_refresh,
    credentials_verify,
    password_change,
    password_forgot,
    password_reset,
    session_login,
    user_activate,
    user_register,
)
from domus.accounts.services.email_change import email_change_confirm, email_change_request
from domus.accounts.services.profiles import (
    agent_profile_create,
    agent_profile_delete,
    agent_profile_update,
    profile_create,
    profile_delete,
    profile_update,
)
from domus.accounts.services.users import user_create, user_delete, user_restore, user_update, user_update_me

__all__ = [
    "agent_profile_create",
    "agent_profile_delete",
    "agent_profile_update",
    "auth_login",
    "auth_logout",
    "auth_refresh",
    "credentials_verify",
    "email_change_confirm",
    "email_change_request",
    "password_change",
    "password_forgot",
    "password_reset",
    "profile_create",
    "profile_delete",
    "profile_update",
    "session_login",
    "user_activate",
    "user_create",
    "user_delete",
    "user_register",
    "user_restore",
    "user_update",
    "user_update_me",
]
