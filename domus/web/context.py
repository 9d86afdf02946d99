"""What every page's layout reads: the languages to switch between and the signed-in
person's sections (tenant, owner)."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    return {"web_languages": settings.LANGUAGES}
