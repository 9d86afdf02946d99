"""Accounts API: authentication, the current user, users, profiles, agent profiles."""

from django.http import HttpRequest
from ninja import Router

from domus.accounts import services, tokens
from domus.accounts.schemas import LoginIn, LoginOut, RefreshIn, TokenIn, TokenPairOut, UserOut, VerifyOut
from domus.core.errors import ErrorOut
from domus.core.throttling import ScopedRateLimit

router = Router(tags=["accounts"])
auth_limit = ScopedRateLimit("auth")


def _pair_out(pair: tokens.TokenPair) -> dict:
    return {
        "access": pair.access,
        "refresh": pair.refresh,
        "access_expires_at": pair.access_expires_at,
        "refresh_expires_at": pair.refresh_expires_at,
    }


@router.post(
    "/auth/token/",
    auth=None,
    throttle=auth_limit,
    response={200: LoginOut, 400: ErrorOut, 401: ErrorOut, 429: ErrorOut},
    summary="Log in with username or e-mail and password",
)
def login(request: HttpRequest, payload: LoginIn):
    user, pair = services.auth_login(identifier=payload.identifier, password=payload.password)
    return {**_pair_out(pair), "user": user}


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
    response={200: VerifyOut, 400: ErrorOut, 429: ErrorOut},
    summary="Tell whether an access or refresh token is valid",
)
def verify(request: HttpRequest, payload: TokenIn):
    return {"valid": tokens.is_valid(payload.token)}


@router.post(
    "/auth/logout/",
    response={204: None, 400: ErrorOut, 401: ErrorOut},
    summary="Log out: blacklist the given refresh token (or all of the caller's)",
)
def logout(request: HttpRequest, payload: RefreshIn | None = None):
    services.auth_logout(user=request.auth, refresh=payload.refresh if payload else None)
    return 204, None


@router.get("/me/", response={200: UserOut, 401: ErrorOut}, summary="The current user")
def me(request: HttpRequest):
    return request.auth
