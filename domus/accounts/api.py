"""Accounts API: authentication and the password flows, the current user, users,
profiles and agent profiles. Reads are scoped by the selectors; writes check the
policies and go through the services."""

from typing import Any
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.decorators import decorate_view
from ninja.pagination import paginate

from domus.accounts import policies, selectors, services, tokens
from domus.accounts.auth import optional_auth
from domus.accounts.schemas import (
    ActivateIn,
    AgentProfileCreateIn,
    AgentProfileFilters,
    AgentProfileIn,
    AgentProfileOut,
    AgentProfilePatchIn,
    ChangePasswordIn,
    EmailChangeIn,
    EmailConfirmIn,
    ForgotPasswordIn,
    LoginIn,
    LoginOut,
    LogoutIn,
    MeIn,
    MeOut,
    MePatchIn,
    ProfileCreateIn,
    ProfileFilters,
    ProfileIn,
    ProfileOut,
    ProfilePatchIn,
    RefreshIn,
    RegisterIn,
    ResetPasswordIn,
    TokenIn,
    TokenPairOut,
    UserCreateIn,
    UserFilters,
    UserIn,
    UserOut,
    UserPatchIn,
    VerifyOut,
)
from domus.core.errors import ErrorOut
from domus.core.exceptions import InvalidToken, NotFound, UnknownReference
from domus.core.idempotency import idempotent
from domus.core.parsing import accepts_form, form_body
from domus.core.policies import require
from domus.core.schemas import DetailOut
from domus.core.throttling import ScopedRateLimit
from domus.organizations.selectors import user_companies

router = Router(tags=["accounts"])
auth_limit = ScopedRateLimit("auth")

ADMIN = {"x-permission": "admin"}
OWNER_OR_ADMIN = {"x-permission": "owner or admin"}
AGENT_PROFILE_EDITORS = {"x-permission": "owner, company staff (commission_rate only), or admin"}
PUBLIC_AUTH_ERRORS = {400: ErrorOut, 409: ErrorOut, 429: ErrorOut}
READ_ERRORS = {401: ErrorOut, 404: ErrorOut}
WRITE_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
REGISTER_ANSWER = "Check your inbox: we have sent an e-mail to this address with the next step."
# SIGNUP_ACTIVATION = "none": as neutral about existing accounts as the answer above.
REGISTER_READY_ANSWER = (
    "If this address had no account, its account is ready: log in (an existing account's owner is told by e-mail)."
)
EMAIL_CHANGE_ANSWER = (
    "Check the new address's inbox for the confirmation link; your current address stays in force until then."
)
FORGOT_PASSWORD_ANSWER = "If an active account has this e-mail, we have sent it a link to reset the password."


def _pair_out(pair: tokens.TokenPair) -> dict:
    return {
        "access": pair.access,
        "refresh": pair.refresh,
        "access_expires_at": pair.access_expires_at,
        "refresh_expires_at": pair.refresh_expires_at,
    }


# Authentication ----------------------------------------------------------------------


@router.post(
    "/auth/token/",
    auth=None,
    throttle=auth_limit,
    response={200: LoginOut, 400: ErrorOut, 401: ErrorOut, 429: ErrorOut},
    summary="Log in with username or e-mail and password",
    description="The body is JSON or an OAuth2 password form (`application/x-www-form-urlencoded`).",
    openapi_extra=form_body("LoginIn"),
)
@decorate_view(accepts_form)
def login(request: HttpRequest, payload: LoginIn):
    user, pair = services.auth_login(identifier=payload.identifier, password=payload.password)
    return {**_pair_out(pair), "user": user, "companies": user_companies(user)}


@router.post(
    "/auth/token/refresh/",
    auth=None,
    throttle=auth_limit,
    response={200: TokenPairOut, 400: ErrorOut, 401: ErrorOut, 429: ErrorOut},
    summary="Exchange a refresh token for a new pair (the old one is blacklisted)",
)
def refresh(request: HttpRequest, payload: RefreshIn):
    return _pair_out(services.auth_refresh(refresh=payload.refresh))


@router.post(
    "/auth/token/verify/",
    auth=None,
    throttle=auth_limit,
    response={200: VerifyOut, 400: ErrorOut, 401: ErrorOut, 429: ErrorOut},
    summary="Verify an access or refresh token: 200 when valid, 401 when invalid, expired or revoked",
)
def verify(request: HttpRequest, payload: TokenIn):
    if not tokens.is_valid(payload.token):
        raise InvalidToken("Token is invalid or expired.")
    return {"valid": True}


@router.post(
    "/auth/logout/",
    response={204: None, 400: ErrorOut, 401: ErrorOut},
    summary="Log out: blacklist the given refresh token (or all of the caller's)",
)
def logout(request: HttpRequest, payload: LogoutIn | None = None):
    services.auth_logout(user=request.auth, refresh=payload.refresh if payload else None)
    return Status(204, None)


@router.post(
    "/auth/register/",
    auth=None,
    throttle=auth_limit,
    response={202: DetailOut, **PUBLIC_AUTH_ERRORS},
    summary="Sign up: an inactive account, activated with the token e-mailed to it (SIGNUP_ACTIVATION)",
    description=(
        "The answer is the same whether or not the address already has an account (its owner is "
        "told by e-mail then). With `SIGNUP_ACTIVATION=none` the account is active at once. "
        "Send an `Idempotency-Key` header to make retries safe (one account, one e-mail)."
    ),
)
@decorate_view(idempotent)
def register(request: HttpRequest, payload: RegisterIn):
    services.user_register(**payload.model_dump())
    ready = settings.SIGNUP_ACTIVATION == "none"
    return Status(202, {"detail": REGISTER_READY_ANSWER if ready else REGISTER_ANSWER})


@router.post(
    "/auth/{username}/activate/",
    auth=None,
    throttle=auth_limit,
    response={200: UserOut, 400: ErrorOut, 429: ErrorOut},
    summary="Activate an account with the token e-mailed at sign-up (single use)",
)
def activate(request: HttpRequest, username: str, payload: ActivateIn):
    return services.user_activate(username=username, token=payload.token)


@router.post(
    "/auth/change-password/",
    throttle=auth_limit,
    response={200: DetailOut, 400: ErrorOut, 401: ErrorOut, 429: ErrorOut},
    summary="Change the password; the caller's other sessions are signed out",
    description="Send `refresh` (this session's refresh token) to stay signed in here; without it every session ends.",
)
def change_password(request: HttpRequest, payload: ChangePasswordIn):
    services.password_change(
        user=request.auth,
        old_password=payload.old_password,
        new_password=payload.new_password,
        refresh=payload.refresh,
    )
    return {"detail": "Password changed. Your other sessions were signed out."}


@router.post(
    "/auth/forgot-password/",
    auth=None,
    throttle=auth_limit,
    response={200: DetailOut, **PUBLIC_AUTH_ERRORS},
    summary="E-mail a password reset link (the answer is the same whether or not the account exists)",
)
@decorate_view(idempotent)
def forgot_password(request: HttpRequest, payload: ForgotPasswordIn):
    services.password_forgot(email=payload.email)
    return {"detail": FORGOT_PASSWORD_ANSWER}


@router.post(
    "/auth/reset-password/",
    auth=None,
    throttle=auth_limit,
    response={200: DetailOut, 400: ErrorOut, 429: ErrorOut},
    summary="Set a new password with the e-mailed reset token (single use); every session ends",
)
def reset_password(request: HttpRequest, payload: ResetPasswordIn):
    services.password_reset(token=payload.token, new_password=payload.new_password)
    return {"detail": "Password reset. Log in with your new password."}


# The current user --------------------------------------------------------------------


@router.get("/me/", response={200: MeOut, 401: ErrorOut}, summary="The current user and their profile")
def me(request: HttpRequest):
    return request.auth


@router.put(
    "/me/",
    response={200: MeOut, 400: ErrorOut, 401: ErrorOut},
    summary="Replace the current user's details (and, with `profile`, their profile)",
    description=(
        "`role` and `is_active` cannot be changed here: another value than the current one is a 400. "
        "Without `email` and `username`, only the fields sent change. Profile fields may also come flat."
    ),
)
def me_put(request: HttpRequest, payload: MeIn):
    partial = not {"email", "username"} <= payload.model_fields_set
    data = payload.model_dump(exclude_unset=partial, exclude={"profile"})
    profile = payload.profile.model_dump(exclude_unset=partial) if payload.profile is not None else None
    return services.user_update_me(actor=request.auth, profile=profile, **data)


@router.patch(
    "/me/",
    response={200: MeOut, 400: ErrorOut, 401: ErrorOut},
    summary="Change some of the current user's details or profile fields",
    description="`role` and `is_active` cannot be changed here: another value than the current one is a 400.",
)
def me_patch(request: HttpRequest, payload: MePatchIn):
    data = payload.model_dump(exclude_unset=True, exclude={"profile"})
    profile = payload.profile.model_dump(exclude_unset=True) if "profile" in payload.model_fields_set else None
    return services.user_update_me(actor=request.auth, profile=profile, **data)


@router.post(
    "/me/email/",
    throttle=auth_limit,
    response={202: DetailOut, 400: ErrorOut, 401: ErrorOut, 429: ErrorOut},
    summary="Ask to change the e-mail address (current password; confirmed from the new address)",
    description=(
        "Nothing changes yet: the new address gets a confirmation link, the current one is told. "
        "The answer is the same whether or not the new address already has an account."
    ),
)
def email_change(request: HttpRequest, payload: EmailChangeIn):
    services.email_change_request(user=request.auth, password=payload.password, new_email=payload.new_email)
    return Status(202, {"detail": EMAIL_CHANGE_ANSWER})


@router.post(
    "/me/email/confirm/",
    auth=None,
    throttle=auth_limit,
    response={200: MeOut, 400: ErrorOut, 429: ErrorOut},
    summary="Confirm a change of e-mail address with the token mailed to the new address",
)
def email_confirm(request: HttpRequest, payload: EmailConfirmIn):
    return services.email_change_confirm(token=payload.token)


# Users (platform admins) -------------------------------------------------------------


def _require_user_admin(request: HttpRequest) -> None:
    require(policies.can_manage_users(request.auth), "Only platform admins can manage users.")


@router.get(
    "/users/",
    response={200: list[UserOut], 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    summary="Users (filters: role, is_active, search over e-mail, username and names)",
    openapi_extra=ADMIN,
)
@paginate
def user_list(request: HttpRequest, filters: Query[UserFilters]):
    _require_user_admin(request)
    return selectors.user_list_for_actor(actor=request.auth, filters=filters)


@router.post(
    "/users/", response={201: UserOut, **WRITE_ERRORS}, summary="Create a user of any role", openapi_extra=ADMIN
)
def user_create(request: HttpRequest, payload: UserCreateIn):
    _require_user_admin(request)
    return Status(201, services.user_create(actor=request.auth, **payload.model_dump()))


@router.get(
    "/users/{user_id}/", response={200: UserOut, **READ_ERRORS, 403: ErrorOut}, summary="A user", openapi_extra=ADMIN
)
def user_detail(request: HttpRequest, user_id: UUID):
    _require_user_admin(request)
    return selectors.user_get_for_actor(actor=request.auth, user_id=user_id)


def _user_update(request: HttpRequest, user_id: UUID, data: dict[str, Any]):
    _require_user_admin(request)
    user = selectors.user_get_for_actor(actor=request.auth, user_id=user_id)
    return services.user_update(actor=request.auth, user=user, **data)


@router.put(
    "/users/{user_id}/",
    response={200: UserOut, **WRITE_ERRORS},
    summary="Replace a user's details",
    openapi_extra=ADMIN,
)
def user_put(request: HttpRequest, user_id: UUID, payload: UserIn):
    return _user_update(request, user_id, payload.model_dump())


@router.patch(
    "/users/{user_id}/",
    response={200: UserOut, **WRITE_ERRORS},
    summary="Change some of a user's details",
    openapi_extra=ADMIN,
)
def user_patch(request: HttpRequest, user_id: UUID, payload: UserPatchIn):
    return _user_update(request, user_id, payload.model_dump(exclude_unset=True))


@router.delete(
    "/users/{user_id}/",
    response={204: None, **READ_ERRORS, 403: ErrorOut, 409: ErrorOut},
    summary="Soft-delete a user: hidden everywhere, signed out, cannot log in (not oneself: 409)",
    openapi_extra=ADMIN,
)
def user_delete(request: HttpRequest, user_id: UUID):
    _require_user_admin(request)
    user = selectors.user_get_for_actor(actor=request.auth, user_id=user_id)
    services.user_delete(actor=request.auth, user=user)
    return Status(204, None)


# Profiles ----------------------------------------------------------------------------


def _user_from_body(request: HttpRequest, user_id: UUID | None) -> Any:
    """The user a body's ``user_id`` names (the caller when absent); 400 when unknown."""
    if user_id is None or user_id == request.auth.pk:
        return request.auth
    require(policies.can_manage_users(request.auth), "Only platform admins can act for another user.")
    try:
        return selectors.user_get_for_actor(actor=request.auth, user_id=user_id)
    except NotFound:
        raise UnknownReference("Unknown user.", errors={"user_id": ["No user with this id."]}) from None


@router.get(
    "/profiles/",
    response={200: list[ProfileOut], 400: ErrorOut, 401: ErrorOut},
    summary="Profiles: the caller's own (every one for platform admins)",
    openapi_extra={"x-permission": "own profile, or admin"},
)
@paginate
def profile_list(request: HttpRequest, filters: Query[ProfileFilters]):
    return selectors.profile_list_for_actor(actor=request.auth, filters=filters)


@router.post(
    "/profiles/",
    response={201: ProfileOut, **WRITE_ERRORS},
    summary="Create the caller's profile (admins: anyone's, with user_id); 409 if it exists",
    openapi_extra={"x-permission": "self, or admin for any user"},
)
def profile_create(request: HttpRequest, payload: ProfileCreateIn):
    owner = _user_from_body(request, payload.user_id)
    require(policies.can_create_profile_for(request.auth, owner))
    fields = payload.model_dump(exclude={"user_id"})
    return Status(201, services.profile_create(actor=request.auth, user=owner, **fields))


@router.get(
    "/profiles/{profile_id}/",
    response={200: ProfileOut, **READ_ERRORS},
    summary="A profile (another user's is a 404 unless admin)",
    openapi_extra=OWNER_OR_ADMIN,
)
def profile_detail(request: HttpRequest, profile_id: UUID):
    return selectors.profile_get_for_actor(actor=request.auth, profile_id=profile_id)


def _profile_update(request: HttpRequest, profile_id: UUID, data: dict[str, Any]):
    profile = selectors.profile_get_for_actor(actor=request.auth, profile_id=profile_id)
    require(policies.can_edit_profile(request.auth, profile))
    return services.profile_update(actor=request.auth, profile=profile, **data)


@router.put(
    "/profiles/{profile_id}/",
    response={200: ProfileOut, **WRITE_ERRORS},
    summary="Replace a profile",
    openapi_extra=OWNER_OR_ADMIN,
)
def profile_put(request: HttpRequest, profile_id: UUID, payload: ProfileIn):
    return _profile_update(request, profile_id, payload.model_dump())


@router.patch(
    "/profiles/{profile_id}/",
    response={200: ProfileOut, **WRITE_ERRORS},
    summary="Change some profile fields",
    openapi_extra=OWNER_OR_ADMIN,
)
def profile_patch(request: HttpRequest, profile_id: UUID, payload: ProfilePatchIn):
    return _profile_update(request, profile_id, payload.model_dump(exclude_unset=True))


@router.delete(
    "/profiles/{profile_id}/",
    response={204: None, **READ_ERRORS, 403: ErrorOut},
    summary="Delete a profile (the account stays)",
    openapi_extra=OWNER_OR_ADMIN,
)
def profile_delete(request: HttpRequest, profile_id: UUID):
    profile = selectors.profile_get_for_actor(actor=request.auth, profile_id=profile_id)
    require(policies.can_edit_profile(request.auth, profile))
    services.profile_delete(actor=request.auth, profile=profile)
    return Status(204, None)


# Agent profiles ----------------------------------------------------------------------


@router.get(
    "/agent-profiles/",
    auth=optional_auth,
    response={200: list[AgentProfileOut], 400: ErrorOut, 401: ErrorOut},
    summary="Agent profiles (public; filters: company, is_verified, search; ordering: rating, created_at)",
)
@paginate
def agent_profile_list(request: HttpRequest, filters: Query[AgentProfileFilters]):
    return selectors.agent_profile_list_for_actor(actor=request.auth, filters=filters)


@router.post(
    "/agent-profiles/",
    response={201: AgentProfileOut, **WRITE_ERRORS},
    summary="Create an agent profile: an agent their own, admins for any agent (one each: 409)",
    openapi_extra={"x-permission": "agent (own) or admin"},
)
def agent_profile_create(request: HttpRequest, payload: AgentProfileCreateIn):
    agent = _user_from_body(request, payload.user_id)
    require(
        policies.can_create_agent_profile_for(request.auth, agent),
        "Only agents can create an agent profile, and only their own.",
    )
    fields = payload.model_dump(exclude={"user_id"})
    return Status(201, services.agent_profile_create(actor=request.auth, user=agent, **fields))


@router.get(
    "/agent-profiles/{agent_profile_id}/",
    auth=optional_auth,
    response={200: AgentProfileOut, **READ_ERRORS},
    summary="An agent profile (public)",
)
def agent_profile_detail(request: HttpRequest, agent_profile_id: UUID):
    return selectors.agent_profile_get_for_actor(actor=request.auth, agent_profile_id=agent_profile_id)


def _agent_profile_update(request: HttpRequest, agent_profile_id: UUID, data: dict[str, Any]):
    agent_profile = selectors.agent_profile_get_for_actor(actor=request.auth, agent_profile_id=agent_profile_id)
    require(
        policies.can_update_agent_profile(request.auth, agent_profile),
        "Only the agent, their company's staff (commission rate) or an admin can change it.",
    )
    return services.agent_profile_update(actor=request.auth, agent_profile=agent_profile, **data)


@router.put(
    "/agent-profiles/{agent_profile_id}/",
    response={200: AgentProfileOut, **WRITE_ERRORS},
    summary="Replace an agent profile (rating and is_verified: admins only; commission_rate: company staff)",
    openapi_extra=AGENT_PROFILE_EDITORS,
)
def agent_profile_put(request: HttpRequest, agent_profile_id: UUID, payload: AgentProfileIn):
    return _agent_profile_update(request, agent_profile_id, payload.model_dump())


@router.patch(
    "/agent-profiles/{agent_profile_id}/",
    response={200: AgentProfileOut, **WRITE_ERRORS},
    summary="Change some agent profile fields (rating and is_verified: admins only; commission_rate: company staff)",
    openapi_extra=AGENT_PROFILE_EDITORS,
)
def agent_profile_patch(request: HttpRequest, agent_profile_id: UUID, payload: AgentProfilePatchIn):
    return _agent_profile_update(request, agent_profile_id, payload.model_dump(exclude_unset=True))


@router.delete(
    "/agent-profiles/{agent_profile_id}/",
    response={204: None, **READ_ERRORS, 403: ErrorOut},
    summary="Delete an agent profile",
    openapi_extra=OWNER_OR_ADMIN,
)
def agent_profile_delete(request: HttpRequest, agent_profile_id: UUID):
    agent_profile = selectors.agent_profile_get_for_actor(actor=request.auth, agent_profile_id=agent_profile_id)
    require(policies.can_edit_agent_profile(request.auth, agent_profile), "Only the agent or an admin can delete it.")
    services.agent_profile_delete(actor=request.auth, agent_profile=agent_profile)
    return Status(204, None)
