"""Django's deploy check looks for its CSRF middleware by name (``security.W003``); the web
pages run it as ``WebCsrfViewMiddleware`` (the API, which signs in with bearer tokens
only, skips it). That warning is silenced in the settings and this check stands in for
it: the subclass must be installed."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

CSRF_MIDDLEWARE = "domus.web.middleware.WebCsrfViewMiddleware"


@register(Tags.security, deploy=True)
def check_csrf_middleware(app_configs, **kwargs) -> list[Warning]:
    if CSRF_MIDDLEWARE in settings.MIDDLEWARE:
        return []
    return [
        Warning(
            f"{CSRF_MIDDLEWARE} is not in MIDDLEWARE: the web pages' forms are not protected against "
            "cross-site request forgery.",
            id="web.W003",
        )
    ]
