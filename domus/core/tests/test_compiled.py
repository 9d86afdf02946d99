"""Hot reads compiled to SQL once: the rows are the queryset's own, for every value bound."""

from uuid import UUID

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Q

from domus.core.compiled import ParamQuery

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
