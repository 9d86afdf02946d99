"""The route table read from the URL conf, and `manage.py generate_api_routes`.

This module is also the URL conf of the first tests: one NinjaAPI whose operations
cover each way an operation states who may call it, next to plain Django views."""

import pytest
from django.core.management import CommandError, call_command
from django.http import HttpRequest, JsonResponse
from django.urls import path, re_path
from ninja import NinjaAPI, Router
from ninja.security import HttpBearer

from domus.core.route_table import UNROUTED, Route, render_markdown, route_table
from domus.core.routing import Alias, aliases

TEST_URLS = __name__


class Bearer(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> str | None:
        return token if token == "good" else None


def anonymous(request: HttpRequest) -> str:
    return "anonymous"


router = Router()


@router.get("/things/", auth=None, summary="Public things")
def thing_list(request):
    return []


@router.post("/things/", summary="Make a thing")
def thing_create(request):
    return {}


@router.get("/things/{int:thing_id}/", openapi_extra={"x-permission": "owner or admin"}, summary="A thing")
def thing_detail(request, thing_id: int):
    return {}


@router.api_operation(["GET", "DELETE"], "/things/{int:thing_id}/parts/", summary="Parts | of a thing")
def thing_parts(request, thing_id: int):
    return []


@router.get("/open/", auth=[Bearer(), anonymous], summary="Richer when signed in")
def open_view(request):
    return {}


@router.get("/slots/{slot}/", auth=None, summary="A slot")
def slot_detail(request, slot: str):
    return {}


api = NinjaAPI(urls_namespace="route-table-test", auth=Bearer(), docs_url=None, openapi_url=None)
api.add_router("/shop/", router)


def plain(request: HttpRequest) -> JsonResponse:
    return JsonResponse({})


urlpatterns = [
    path("plain/", plain),
    path("api/v1/", api.urls),
    re_path(r"^api/", plain),
]


TEST_ALIASES = [
    Alias("goods/<id>/parts", "shop/things/<id>/parts"),
    Alias("goods/<id>", "shop/things/<id>"),
    Alias("goods", "shop/things", "legacy-shop"),
    Alias("monday", "shop/slots/monday"),
    Alias("ghost", "shop/nowhere"),
]


@pytest.fixture
def table() -> dict[tuple[str, str], Route]:
    rows = route_table(urlconf=TEST_URLS, alias_list=TEST_ALIASES)
    return {(row.method, row.path): row for row in rows}


# The table, on a URL conf made for it -------------------------------------------------


def test_every_operation_and_method_is_a_canonical_row(table):
    canonical = {key for key, row in table.items() if row.alias_of is None}

    assert canonical == {
        ("GET", "/api/v1/shop/things/"),
        ("POST", "/api/v1/shop/things/"),
        ("GET", "/api/v1/shop/things/{thing_id}/"),
        ("GET", "/api/v1/shop/things/{thing_id}/parts/"),
        ("DELETE", "/api/v1/shop/things/{thing_id}/parts/"),
        ("GET", "/api/v1/shop/open/"),
        ("GET", "/api/v1/shop/slots/{slot}/"),
    }


def test_permission_comes_from_the_auth_and_the_annotation(table):
    assert table[("GET", "/api/v1/shop/things/")].permission == "public"  # auth=None
    assert table[("GET", "/api/v1/shop/open/")].permission == "public"  # an anonymous fallback
    assert table[("POST", "/api/v1/shop/things/")].permission == "authenticated"  # the API's bearer
    assert table[("GET", "/api/v1/shop/things/{thing_id}/")].permission == "owner or admin"


def test_summaries_are_kept(table):
    assert table[("GET", "/api/v1/shop/things/")].summary == "Public things"


def test_aliases_carry_the_methods_and_permission_of_their_operation(table):
    assert table[("GET", "/api/v1/goods/")] == Route(
        method="GET",
        path="/api/v1/goods/",
        alias_of="/api/v1/shop/things/",
        permission="public",
        summary="Public things",
        system="legacy-shop",
    )
    assert table[("POST", "/api/v1/goods/")].permission == "authenticated"
    assert table[("GET", "/api/v1/goods/{id}/")].alias_of == "/api/v1/shop/things/{thing_id}/"
    assert table[("GET", "/api/v1/goods/{id}/")].permission == "owner or admin"
    assert {method for method, path in table if path == "/api/v1/goods/{id}/parts/"} == {"GET", "DELETE"}


def test_an_alias_to_a_fixed_value_of_a_parameter_names_that_value(table):
    assert table[("GET", "/api/v1/monday/")].alias_of == "/api/v1/shop/slots/monday/"


def test_an_alias_nothing_serves_is_listed_as_unrouted(table):
    assert table[("", "/api/v1/ghost/")].summary == UNROUTED
    assert table[("", "/api/v1/ghost/")].alias_of == "/api/v1/shop/nowhere/"


def test_rows_are_sorted_by_path_then_method():
    rows = route_table(urlconf=TEST_URLS, alias_list=TEST_ALIASES)

    assert [row.path for row in rows] == sorted(row.path for row in rows)
    parts = [row.method for row in rows if row.path == "/api/v1/shop/things/{thing_id}/parts/"]
    assert parts == ["GET", "DELETE"]


def test_markdown_escapes_pipes_and_lists_every_row():
    rows = route_table(urlconf=TEST_URLS, alias_list=TEST_ALIASES)

    markdown = render_markdown(rows)

    assert (
        "| `GET` | `/api/v1/shop/things/{thing_id}/parts/` |  |  | authenticated | Parts \\| of a thing |" in markdown
    )
    assert "| `GET` | `/api/v1/goods/` | `/api/v1/shop/things/` | legacy-shop | public | Public things |" in markdown
    assert markdown.count("\n| `") == len([row for row in rows if row.method])
    assert "7 operations, 7 alias routes." in markdown


# The live table ----------------------------------------------------------------------


def test_the_live_table_has_login_with_its_aliases():
    rows = route_table()
    login = [row for row in rows if row.method == "POST" and "/api/v1/accounts/auth/token/" in (row.path, row.alias_of)]

    assert {(row.path, row.alias_of) for row in login} == {
        ("/api/v1/accounts/auth/token/", None),
        ("/api/v1/auth/login/", "/api/v1/accounts/auth/token/"),
    }
    assert {row.permission for row in login} == {"public"}


def test_every_live_alias_is_routed():
    alias_rows = [row for row in route_table() if row.alias_of is not None]

    assert {row.path for row in alias_rows} == {
        f"/api/v1/{a.path.replace('<', '{').replace('>', '}')}/" for a in aliases()
    }
    assert [row.path for row in alias_rows if not row.method] == []


def test_every_live_alias_names_the_original_systems_it_comes_from():
    known = {"realty-mpesa", "rems", "crm", "stats-comms", "backoffice"}
    rows = route_table()
    # Domus' own readiness probe sits beside the CRM's liveness path; it comes from no system.
    alias_rows = [row for row in rows if row.alias_of is not None and row.path != "/api/v1/health/ready/"]

    assert all(row.system and set(row.system.split("/")) <= known for row in alias_rows)
    assert {row.system for row in rows if row.path in ("/api/v1/auth/login/", "/api/v1/stores/")} == {
        "rems/crm/backoffice",
        "backoffice",
    }
    assert {row.system for row in rows if row.alias_of is None} == {""}


def test_every_live_canonical_route_lives_under_api_v1():
    canonical = [row for row in route_table() if row.alias_of is None]

    assert canonical
    assert all(row.path.startswith("/api/v1/") and row.path.endswith("/") for row in canonical)


# The command -------------------------------------------------------------------------


def test_the_command_writes_a_file_that_mentions_every_alias(tmp_path):
    output = tmp_path / "docs" / "API_ROUTES.md"

    call_command("generate_api_routes", output=str(output))

    text = output.read_text()
    assert text.startswith("# API routes\n")
    assert "without `/v1`" in text
    for alias in aliases():
        path = alias.path.replace("<", "{").replace(">", "}")
        assert f"`/api/v1/{path}/`" in text, alias.path
    assert (
        "| `POST` | `/api/v1/auth/login/` | `/api/v1/accounts/auth/token/` | rems, crm, backoffice | public |" in text
    )


def test_check_passes_on_a_fresh_file_and_fails_on_a_stale_one(tmp_path, capsys):
    output = tmp_path / "API_ROUTES.md"
    call_command("generate_api_routes", output=str(output))

    call_command("generate_api_routes", "--check", output=str(output))
    assert "up to date" in capsys.readouterr().out

    output.write_text(output.read_text().replace("/api/v1/auth/login/", "/api/v1/auth/signin/"))
    with pytest.raises(CommandError, match="stale"):
        call_command("generate_api_routes", "--check", output=str(output))


def test_check_fails_when_the_file_is_missing(tmp_path):
    with pytest.raises(CommandError, match="stale"):
        call_command("generate_api_routes", "--check", output=str(tmp_path / "missing.md"))


def test_stdout_prints_what_the_file_would_hold(tmp_path, capsys):
    output = tmp_path / "API_ROUTES.md"
    call_command("generate_api_routes", output=str(output))
    capsys.readouterr()

    call_command("generate_api_routes", "--stdout", output=str(tmp_path / "untouched.md"))

    assert capsys.readouterr().out == output.read_text()
    assert not (tmp_path / "untouched.md").exists()
