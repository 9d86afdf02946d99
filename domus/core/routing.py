"""API path normalisation: ``/api/<path>`` and ``/api/v1/<path>``, with or without a
trailing slash, and every alias of an original system's path (``domus/api_compat.py``),
resolve to one canonical ``/api/v1/<path>/``.

Both steps cost the same for every path, however many routes and aliases there are:
the aliases are a tree of path segments (``AliasIndex``), and the API's routes are
found through a dict on the path (``IndexedResolver``), not by trying them in turn."""

import copy
import re
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from django.conf import settings
from django.urls import URLPattern, URLResolver
from django.urls.exceptions import Resolver404
from django.utils.module_loading import import_string

API_PREFIX = "/api/"
CANONICAL_PREFIX = "/api/v1/"
_PLACEHOLDER = re.compile(r"<(\w+)>")


@dataclass(frozen=True)
class Alias:
    """A path of an original system (``auth/login``, ``users/<id>``) served by a canonical
    operation. ``system`` is the key of the system it comes from (``/``-separated when
    several share it; see docs/compatibility.md)."""

    path: str
    canonical: str
    system: str = ""

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(_PLACEHOLDER.sub(r"(?P<\1>[^/]+)", re.escape(self.path)))

    def rewrite(self, rest: str) -> str | None:
        match = self.pattern.fullmatch(rest)
        if match is None:
            return None
        return _PLACEHOLDER.sub(lambda m: match.group(m.group(1)), self.canonical)

    @cached_property
    def segments(self) -> tuple[str | None, ...]:
        """The path's segments, ``None`` for a placeholder (which matches any one segment)."""
        return tuple(None if _PLACEHOLDER.fullmatch(part) else part for part in self.path.split("/"))

    def rewrite_segments(self, parts: list[str]) -> str:
        """The canonical path of ``parts``, a path these segments match."""
        names = map(_PLACEHOLDER.fullmatch, self.path.split("/"))
        values = {m.group(1): part for m, part in zip(names, parts, strict=True) if m}
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], self.canonical)


class AliasIndex:
    """The aliases as a tree of segments: a path is looked up by walking its segments
    (a literal child, then the placeholder child), not by trying every alias's pattern.
    Where several aliases match, the first declared wins, as with the patterns in turn.
    An alias whose placeholder shares a segment with text (``a-<b>``) is tried by its pattern."""

    def __init__(self, items: tuple[Alias, ...]) -> None:
        self.root: dict[str | None, Any] = {}
        self.patterned: list[tuple[int, Alias]] = []
        for index, alias in enumerate(items):
            if any(part is not None and "<" in part for part in alias.segments):
                self.patterned.append((index, alias))
                continue
            node = self.root
            for part in alias.segments:
                node = node.setdefault(part, {})
            node.setdefault("", (index, alias))  # "" never is a segment of a stripped path

    def find(self, rest: str) -> str | None:
        """The canonical path of ``rest`` (no slashes at either end), or None."""
        parts = rest.split("/")
        found = self._walk(self.root, parts, 0)
        for index, alias in self.patterned:
            if found is not None and found[0] < index:
                break
            rewritten = alias.rewrite(rest)
            if rewritten is not None:
                return rewritten
        return None if found is None else found[1].rewrite_segments(parts)

    def _walk(self, node: dict[str | None, Any], parts: list[str], depth: int) -> tuple[int, Alias] | None:
        if depth == len(parts):
            return node.get("")
        part = parts[depth]
        if not part:
            return None
        best = None
        literal = node.get(part)
        if literal is not None:
            best = self._walk(literal, parts, depth + 1)
        placeholder = node.get(None)
        if placeholder is not None:
            other = self._walk(placeholder, parts, depth + 1)
            if other is not None and (best is None or other[0] < best[0]):
                best = other
        return best


@cache
def aliases() -> tuple[Alias, ...]:
    return tuple(import_string(settings.API_ALIASES))


@cache
def alias_index() -> AliasIndex:
    return AliasIndex(aliases())


def canonical_path(path: str) -> str:
    """The canonical path of an API request path (``/api/auth/login`` ->
    ``/api/v1/accounts/auth/token/``). Non-API paths come back unchanged."""
    if not path.startswith(API_PREFIX):
        return path
    rest = path[len(API_PREFIX) :]
    if rest == "v1" or rest.startswith("v1/"):
        rest = rest[2:]
    rest = rest.strip("/")
    rest = alias_index().find(rest) or rest
    return f"{CANONICAL_PREFIX}{rest}/" if rest else CANONICAL_PREFIX


class IndexedResolver(URLResolver):
    """A ``URLResolver`` (here the API's ``include``) that finds a route through a dict
    instead of trying its ~220 patterns in order: a path without parameters
    (``ops/health/``, ``accounts/me/``) maps straight to its pattern; any other path
    is tried only against the patterns of its first segment (``properties/...``).
    It answers exactly what Django's walk in order would: a path maps straight to a
    pattern only when no earlier pattern matches it too (checked when the index is built)."""

    @classmethod
    def of(cls, resolver: URLResolver) -> "IndexedResolver":
        return cls(
            resolver.pattern, resolver.urlconf_name, resolver.default_kwargs, resolver.app_name, resolver.namespace
        )

    def resolve(self, path: str) -> Any:
        path = str(path)
        match = self.pattern.match(path)
        if match is not None:
            rest = match[0]
            routes, pairs, firsts = self._index
            narrowed = routes.get(rest)
            if narrowed is None:
                first, _, tail = rest.partition("/")
                narrowed = pairs.get((first, tail.partition("/")[0])) or firsts.get(first)
            if narrowed is not None:
                return narrowed.resolve(path)
        return super().resolve(path)

    @cached_property
    def _index(self) -> tuple[dict[str, URLResolver], dict[tuple[str, str], URLResolver], dict[str, URLResolver]]:
        """Copies of this resolver that each hold only the patterns a path may match:
        by the whole path (a route without parameters that no earlier pattern matches);
        by its first two segments (the routes with that literal second segment and those
        with a parameter there, in their order); by its first segment (those with a
        parameter in the second segment)."""
        patterns = list(self.url_patterns)
        routes: dict[str, URLResolver] = {}
        literal: dict[tuple[str, str], list[int]] = {}
        open_second: dict[str, list[int]] = {}
        for position, pattern in enumerate(patterns):
            route = str(pattern.pattern)
            if route.startswith("<") or not isinstance(pattern, URLPattern):
                return {}, {}, {}  # a route that may match any first segment: keep Django's walk
            first, _, tail = route.partition("/")
            second = tail.partition("/")[0]
            if "<" in second:
                open_second.setdefault(first, []).append(position)
            else:
                literal.setdefault((first, second), []).append(position)
            if "<" not in route and not any(_matches(earlier, route) for earlier in patterns[:position]):
                routes.setdefault(route, self._holding([pattern]))
        pairs = {
            key: self._holding([patterns[i] for i in sorted(positions + open_second.get(key[0], []))])
            for key, positions in literal.items()
        }
        firsts = {first: self._holding([patterns[i] for i in positions]) for first, positions in open_second.items()}
        return routes, pairs, firsts

    def _holding(self, patterns: list[Any]) -> URLResolver:
        narrowed = copy.copy(self)
        narrowed.__class__ = URLResolver
        narrowed.__dict__["url_patterns"] = patterns
        return narrowed


def _matches(pattern: Any, path: str) -> bool:
    try:
        return pattern.resolve(path) is not None
    except Resolver404:
        return False
