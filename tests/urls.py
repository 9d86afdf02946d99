from django.urls import path

from domus.urls import urlpatterns as domus_urlpatterns
from tests.contract_api import api

urlpatterns = [path("api/v1/contract/", api.urls), *domus_urlpatterns]
