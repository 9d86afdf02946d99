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
