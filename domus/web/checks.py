"""Checks that stand in for Django's own, which look for a middleware in ``MIDDLEWARE``
by name: the web pages run sessions, CSRF, the session's user and messages from
``settings.WEB_MIDDLEWARE`` behind ``WebPagesMiddleware`` (the API skips them), so
``security.W003`` and ``admin.E408``-``E410`` are silenced in the settings and these
look where the middlewares are."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

PAGES_MIDDLEWARE = "domus.web.middleware.WebPagesMiddleware"
CSRF_MIDDLEWARE = "django.middleware.csrf.CsrfViewMiddleware"
# What the admin needs (Django's admin.E408, E409, E410).
ADMIN_NEEDS = {
    "admin.E408": "django.contrib.auth.middleware.AuthenticationMiddleware",
    "admin.E409": "django.contrib.messages.middleware.MessageMiddleware",
    "admin.E410": "django.contrib.sessions.middleware.SessionMiddleware",
}


def _pages_run(middleware: str) -> bool:
    return PAGES_MIDDLEWARE in settings.MIDDLEWARE and middleware in getattr(settings, "WEB_MIDDLEWARE", [])


@register(Tags.security, deploy=True)
def check_csrf_middleware(app_configs, **kwargs) -> list[Warning]:
    if _pages_run(CSRF_MIDDLEWARE):
        return []
    return [
        Warning(
            f"{CSRF_MIDDLEWARE} is not in WEB_MIDDLEWARE (or {PAGES_MIDDLEWARE} is not in MIDDLEWARE): "
            "the web pages' forms are not protected against cross-site request forgery.",
            id="web.W003",
        )
    ]


@register(Tags.admin)
def check_admin_middleware(app_configs, **kwargs) -> list[Error]:
    return [
        Error(
            f"{middleware} must be in WEB_MIDDLEWARE (and {PAGES_MIDDLEWARE} in MIDDLEWARE) for the admin "
            f"(Django's {check}).",
            id="web.E001",
        )
        for check, middleware in ADMIN_NEEDS.items()
        if not _pages_run(middleware)
    ]
