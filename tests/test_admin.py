"""The Django admin lists every model of Domus, and its pages open for a superuser."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from domus.accounts.tests.factories import UserFactory

DOMUS_MODELS = [model for model in apps.get_models() if model.__module__.startswith("domus.")]


@pytest.mark.parametrize("model", DOMUS_MODELS, ids=lambda model: model._meta.label)
def test_every_model_is_registered_in_the_admin(model):
    assert admin.site.is_registered(model), f"{model._meta.label} has no admin"


@pytest.mark.django_db
@pytest.mark.parametrize("model", DOMUS_MODELS, ids=lambda model: model._meta.label)
def test_the_changelist_of_every_model_opens(client, model):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))

    assert response.status_code == 200


SOFT_DELETABLE = [model for model in DOMUS_MODELS if any(f.name == "deleted_at" for f in model._meta.fields)]


@pytest.mark.parametrize("model", SOFT_DELETABLE, ids=lambda model: model._meta.label)
def test_every_soft_deletable_model_lists_deleted_rows_marked_and_filterable(model, rf):
    from domus.core.admin import DeletedFilter

    model_admin = admin.site._registry[model]
    request = rf.get("/")
    request.user = UserFactory.build(is_staff=True, is_superuser=True)

    assert "deleted" in model_admin.get_list_display(request)
    assert DeletedFilter in model_admin.get_list_filter(request)
    assert model_admin.get_queryset(request).query.where.children == []  # deleted rows included


@pytest.mark.django_db
def test_model_names_are_plural_english_in_the_admin(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    index = client.get(reverse("admin:index")).content.decode()

    for plural in (
        "Ticket replies",
        "Ledger entries",
        "Saved searches",
        "Saved search matches",
        "Listing media",
        "Lead activities",
    ):
        assert f">{plural}<" in index, plural
    for wrong in ("replys", "entrys", "searchs", "matchs", "medias", "activitys"):
        assert wrong not in index
