"""Hot reads compiled to SQL once: the rows are the queryset's own, for every value bound."""

from uuid import UUID

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Q

from domus.core.compiled import ParamQuery, ShapeQuery

pytestmark = pytest.mark.django_db


def _same_person(*, pk: UUID, email: str):
    """A value used twice in the SQL (the key), beside a string."""
    return (
        get_user_model().objects.filter(Q(pk=pk) | Q(email=email), is_active=True).exclude(pk=pk).values_list("email")
    )


def test_a_param_query_answers_what_its_queryset_answers_for_each_set_of_values(django_assert_num_queries):
    users = get_user_model().objects
    first = users.create(username="first", email="first@example.test")
    users.create(username="second", email="second@example.test")
    query = ParamQuery(_same_person, pk=UUID, email=str)
    for pk, email in ((first.pk, "second@example.test"), (first.pk, "first@example.test"), (str(first.pk), "no@one")):
        expected = list(_same_person(pk=UUID(str(pk)), email=email))
        with django_assert_num_queries(1):
            assert query.values(pk=pk, email=email) == expected
    assert query.values(pk=first.pk, email="second@example.test") == [("second@example.test",)]


def test_a_param_query_takes_exactly_its_named_values():
    query = ParamQuery(_same_person, pk=UUID, email=str)
    with pytest.raises(TypeError):
        query.values(pk=UUID(int=1))
    with pytest.raises(TypeError):
        ParamQuery(_same_person, pk=UUID, email=int)


def _as_given(name: str, value):
    return value


def test_a_shape_query_is_compiled_once_and_binds_each_run_s_values(django_assert_num_queries):
    users = get_user_model().objects
    users.create(username="first", email="first@example.test")
    users.create(username="second", email="second@example.test")
    shapes = ShapeQuery(_as_given)
    built = []

    def build(values):
        built.append(values)
        return users.filter(username=values["name"]).values_list("email")

    placeholders = ({"name": "\x00a\x00"}, {"name": "\x00b\x00"})
    compiled = shapes.get("by name", build, lambda: placeholders)
    assert shapes.get("by name", build, lambda: placeholders) is compiled
    assert len(built) == 2  # compiled with both sets of stand-ins, once
    for name in ("first", "second", "nobody"):
        expected = list(build({"name": name}))
        with django_assert_num_queries(1):
            assert [tuple(row) for row in compiled.rows({"name": name})] == expected


def test_a_shape_whose_sql_depends_on_the_values_is_not_compiled():
    users = get_user_model().objects
    shapes = ShapeQuery(_as_given)

    def branching(values):  # another shape for one of the stand-ins: not one shape
        queryset = users.filter(username=values["name"])
        return queryset.filter(is_active=True) if values["name"].endswith("b\x00") else queryset

    def hidden(values):  # the value does not reach the SQL as given
        return users.filter(username=values["name"].upper())

    assert shapes.get("branching", branching, lambda: ({"name": "\x00a\x00"}, {"name": "\x00b\x00"})) is None
    assert shapes.get("hidden", hidden, lambda: ({"name": "\x00a\x00"}, {"name": "\x00b\x00"})) is None
