"""A test-only API mounted next to the real one, exercising the shared kernel
(errors, pagination, filters, idempotency) through real HTTP requests."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from ninja import NinjaAPI, Query, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.pagination import paginate

from domus.accounts.auth import JWTAuth
from domus.core.errors import install_error_handlers
from domus.core.exceptions import Conflict, PermissionDenied, ServiceUnavailable
from domus.core.filtering import ListFilters, filter_list
from domus.core.idempotency import idempotent
from domus.core.models import IdempotencyRecord
from domus.core.throttling import MethodRateLimit

router = Router()
calls: list[dict] = []


class RecordOut(Schema):
    key: str
    created_at: str

    @staticmethod
    def resolve_created_at(obj) -> str:
        return obj.created_at.isoformat()


class EchoIn(Schema):
    amount: int
    note: str = ""


@router.get("/records/", response=list[RecordOut], auth=None)
@paginate
def records(request, filters: Query[ListFilters]):
    return filter_list(
        IdempotencyRecord.objects.all(),
        filters,
        search_fields=["key"],
        ordering_fields=["key", "created_at"],
        default_ordering=["key"],
    )


@router.post("/echo/", auth=None, response={201: dict})
@decorate_view(idempotent)
def echo(request, payload: EchoIn):
    calls.append(payload.dict())
    return Status(201, {"call": len(calls), **payload.dict()})


@router.get("/boom/{kind}/", auth=None)
def boom(request, kind: str):
    errors = {
        "forbidden": PermissionDenied("Not yours."),
        "conflict": Conflict("Already accepted."),
        "integrity": IntegrityError("duplicate key"),
        "django-validation": DjangoValidationError({"price": ["Must be positive."]}),
        "unavailable": ServiceUnavailable("Geocoder down."),
        "crash": RuntimeError("secret internals"),
    }
    raise errors[kind]


@router.get("/private/")
def private(request):
    return {"user": request.auth.email}


api = NinjaAPI(urls_namespace="contract-tests", auth=JWTAuth(), throttle=[MethodRateLimit()], docs_url=None)
install_error_handlers(api)
api.add_router("/", router)
