from django.urls import path

from peerapp import drf_views

urlpatterns = [
    path("api/v1/health/", drf_views.Health.as_view()),
    path("api/v1/properties/", drf_views.ListingSearch.as_view()),
    path("api/v1/properties/<uuid:listing_id>/", drf_views.ListingDetail.as_view()),
    path("api/v1/accounts/me/", drf_views.Me.as_view()),
    path("api/v1/crm/leads/", drf_views.LeadCreate.as_view()),
]
