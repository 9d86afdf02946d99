"""The route and alias indexes answer exactly what trying every pattern in turn answers."""

import gc

import pytest
from django.urls import URLResolver, get_resolver
from django.urls.exceptions import Resolver404

from domus.core.routing import CANONICAL_PREFIX, AliasIndex, IndexedResolver, alias_index, aliases, canonical_path
from domus.core.startup import prepare_to_serve


def _api_resolvers() -> tuple[IndexedResolver, URLResolver]:
    indexed = next(p for p in get_resolver().url_patterns if isinstance(p, IndexedResolver))
    args = (indexed.pattern, indexed.urlconf_name, indexed.default_kwargs, indexed.app_name, indexed.namespace)
    return indexed, URLResolver(*args)


def _resolved(resolver: URLResolver, path: str):
    try:
        match = resolver.resolve(path)
    except Resolver404:
        return None
    return match.func, match.kwargs, match.route, match.namespaces, match.url_name


def _sample_paths() -> list[str]:
    """Every API route with each parameter filled in, the same with a wrong segment, and a few strays."""
    indexed, _ = _api_resolvers()
    paths = []
    for pattern in indexed.url_patterns:
        route = str(pattern.pattern)
        for value in ("01a249e2-cd20-768c-9b2c-62efe05adae7", "12", "bob"):
            filled = "/".join(value if part.startswith("<") else part for part in route.split("/"))
            paths += [filled, filled + "extra/", filled.rstrip("/")]
    return [f"api/v1/{path}" for path in paths] + ["api/v1/", "api/v1/nothing/", "api/v1//", "api/v2/ops/health/"]


def test_the_indexed_api_resolver_answers_what_the_walk_in_order_answers():
    indexed, walk = _api_resolvers()
    paths = _sample_paths()
    assert len(paths) > 600
    for path in paths:
        assert _resolved(indexed, path) == _resolved(walk, path), path


def test_a_path_without_parameters_is_found_without_trying_other_routes():
    indexed, _ = _api_resolvers()
    routes, _, _ = indexed._index
    assert "ops/health/" in routes
    assert routes["ops/health/"].url_patterns == [p for p in indexed.url_patterns if str(p.pattern) == "ops/health/"]


def _walk_aliases(rest: str) -> str:
    for alias in aliases():
        rewritten = alias.rewrite(rest)
        if rewritten is not None:
            return rewritten
    return rest


def test_the_alias_tree_rewrites_like_the_patterns_in_declared_order():
    samples = ["", "health", "health/ready", "accounts/me", "properties/abc"]
    for alias in aliases():
        for value in ("42", "abc-def", "x"):
            filled = "/".join(value if part is None else part for part in alias.segments)
            samples += [filled, filled + "/more", filled.rsplit("/", 1)[0]]
    for rest in samples:
        assert (alias_index().find(rest) or rest) == _walk_aliases(rest), rest


def test_the_first_declared_alias_wins_where_several_match():
    from domus.core.routing import Alias

    items = (Alias("a/<x>", "first/<x>"), Alias("a/b", "second"), Alias("<y>/b", "third/<y>"))
    index = AliasIndex(items)
    assert index.find("a/b") == "first/b"
    assert index.find("c/b") == "third/c"
    assert index.find("a") is None


def test_an_alias_with_a_placeholder_inside_a_segment_is_matched_by_its_pattern():
    from domus.core.routing import Alias

    index = AliasIndex((Alias("files/<name>.csv", "exports/<name>"), Alias("files/<id>", "documents/<id>")))
    assert index.find("files/report.csv") == "exports/report"
    assert index.find("files/7") == "documents/7"


def test_canonical_paths_of_aliases_and_canonical_paths():
    assert canonical_path("/api/health") == f"{CANONICAL_PREFIX}ops/health/"
    assert canonical_path("/api/v1/projects/7/units/3/") == f"{CANONICAL_PREFIX}properties/7/units/3/"
    assert canonical_path("/api/v1/properties/7/") == f"{CANONICAL_PREFIX}properties/7/"


@pytest.mark.django_db
def test_prepare_to_serve_builds_the_indexes_and_freezes_what_is_loaded():
    try:
        prepare_to_serve()
        assert gc.get_freeze_count() > 0
        indexed, _ = _api_resolvers()
        assert "_index" in indexed.__dict__
    finally:
        gc.unfreeze()
