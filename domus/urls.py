from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from ninja.openapi.docs import Redoc

from domus.api import api
from domus.core.compat_schema import compat_schema_view
from domus.core.errors import error_response
from domus.core.routing import IndexedResolver
from domus.core.throttling import rate_limited_posts
from domus.ops.performance_api import metrics_view


@csrf_exempt  # a JSON 404 for any method: no CSRF 403 for a POST to a path that does not exist
def api_not_found(request: HttpRequest) -> JsonResponse:
    return error_response(404, f"No API route matches {request.path}.")


def redoc(request: HttpRequest):
    return Redoc().render_page(request, api)


def api_index(request: HttpRequest) -> JsonResponse:
    """Where the API's documents are (``/`` is the web portal's home)."""
    return JsonResponse(
        {
            "name": "Domus API",
            "docs": request.build_absolute_uri("/api/docs/"),
            "redoc": request.build_absolute_uri("/api/redoc/"),
            "schema": request.build_absolute_uri("/api/schema/"),
            "admin": request.build_absolute_uri("/admin/"),
        }
    )


# The API's patterns come first: Django tries the patterns in order, and an API request
# (most requests) then skips the admin's, the accounts' and the pages' (~12 µs each).
urlpatterns = [
    path("metrics", metrics_view, name="metrics"),  # Prometheus (docs/operations.md)
    path("api/v1/", api_index, name="index"),  # /api/ and /api/v1/ (ApiPathMiddleware)
    path("api/v1/redoc/", redoc, name="api-redoc"),
    path("api/v1/compat/<str:system>/schema/", compat_schema_view, name="api-compat-schema"),
    IndexedResolver.of(path("api/v1/", api.urls)),  # the same routes, found through a dict
    # The admin's sign-in shares the API's "auth" rate limit (its lockout is AdminLoginForm's).
    path("admin/login/", rate_limited_posts("auth")(admin.site.login)),
    path("admin/", admin.site.urls),
    path("account/", include("domus.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the pages' language switch
    re_path(r"^api/", api_not_found),
    path("", include("domus.web.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
