"""The Django REST Framework app: generic views, model serializers, page-number
pagination (``settings.REST_FRAMEWORK``)."""

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from rest_framework import exceptions, generics, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from peerapp import common
from peerapp.models import Lead, Listing, Profile, User


class ListingCardSerializer(serializers.ModelSerializer):
    name = serializers.CharField()
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    maps_url = serializers.CharField()
    features = serializers.SerializerMethodField()
    distance_km = serializers.SerializerMethodField()
    cover_thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Listing
        fields = [
            "id", "title", "name", "price", "currency", "bedrooms", "bathrooms", "area_m2", "city",
            "property_type", "listing_type", "status", "is_published", "latitude", "longitude", "maps_url",
            "features", "distance_km", "cover_thumbnail_url", "created_at",
        ]  # fmt: skip

    def get_features(self, obj: Listing) -> list[str]:
        return [feature.slug for feature in obj.features.all()]

    def get_distance_km(self, obj: Listing) -> None:
        return None

    def get_cover_thumbnail_url(self, obj: Listing) -> str | None:
        return getattr(obj, "cover_thumbnail", None) or None


class ListingSerializer(ListingCardSerializer):
    allowed_next_statuses = serializers.ListField(child=serializers.CharField())

    class Meta(ListingCardSerializer.Meta):
        fields = [
            *ListingCardSerializer.Meta.fields, "description", "year_built", "address", "state", "zip_code",
            "country", "total_units", "published_at", "company_id", "owner_id", "agent_id",
            "allowed_next_statuses", "updated_at",
        ]  # fmt: skip


class ProfileSerializer(serializers.ModelSerializer):
    user_id = serializers.UUIDField()

    class Meta:
        model = Profile
        fields = [
            "id", "user_id", "bio", "avatar_url", "date_of_birth", "address", "city", "country", "language",
            "timezone", "created_at", "updated_at",
        ]  # fmt: skip


class MeSerializer(serializers.ModelSerializer):
    profile = ProfileSerializer(allow_null=True)
    companies = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id", "email", "username", "first_name", "last_name", "phone", "role", "is_active", "date_joined",
            "last_login", "profile", "companies",
        ]  # fmt: skip

    def get_companies(self, obj: User) -> list[dict[str, Any]]:
        return [{**row, "id": str(row["id"])} for row in common.companies(obj)]


class LeadSerializer(serializers.ModelSerializer):
    company_id = serializers.UUIDField()

    class Meta:
        model = Lead
        fields = [
            "id", "company_id", "name", "email", "phone", "message", "source", "status", "lost_reason",
            "assigned_agent_id", "user_id", "listing_id", "client_id", "budget_min", "budget_max",
            "preferred_call_at", "score", "score_breakdown", "scored_at", "activity_count", "last_activity_at",
            "merged_count", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = [f for f in fields if f not in {"company_id", "name", "email", "phone", "message", "source"}]


class Health(APIView):
    authentication_classes: list = []

    def get(self, request: HttpRequest) -> Response:
        return Response({"status": "ok", "version": "0.1.0", "time": timezone.now()})


class ListingSearch(generics.ListAPIView):
    serializer_class = ListingCardSerializer
    authentication_classes: list = []

    def get_queryset(self) -> Any:
        params = self.request.query_params
        return common.listing_search(
            {name: params.get(name) for name in ("city", "listing_type", "ordering")}
            | {
                "min_price": params.get("min_price"),
                "max_price": params.get("max_price"),
            }
        )


class ListingDetail(generics.RetrieveAPIView):
    serializer_class = ListingSerializer
    authentication_classes: list = []
    lookup_url_kwarg = "listing_id"

    def get_object(self) -> Listing:
        listing = common.listing_detail(self.kwargs["listing_id"])
        if listing is None:
            raise exceptions.NotFound("Listing not found.")
        return listing


class Me(generics.RetrieveAPIView):
    serializer_class = MeSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_object(self) -> User:
        return self.request.user


class LeadCreate(generics.CreateAPIView):
    serializer_class = LeadSerializer
    permission_classes = [permissions.IsAuthenticated]

    def perform_create(self, serializer: LeadSerializer) -> None:
        if not common.may_keep_leads(self.request.user, serializer.validated_data["company_id"]):
            raise exceptions.PermissionDenied("Only agents and staff of a company keep leads.")
        serializer.save()

    def create(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Response:
        response = super().create(request, *args, **kwargs)
        return Response(response.data, status=status.HTTP_201_CREATED)
