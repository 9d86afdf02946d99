"""``Idempotency-Key`` for POSTs that opt in: the first answer is stored for 24 h and
replayed for the same key and body; the same key with another body is a 409.

Opt in with ``@decorate_view(idempotent)`` on the operation (it wraps the whole
Ninja view, so it stores and replays the rendered answer)."""

import hashlib
from collections.abc import Callable
from functools import wraps

import jwt
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.http.request import RawPostDataException
from django.utils import timezone

from domus.core.errors import error_response
from domus.core.middleware import client_ip
from domus.core.models import IdempotencyRecord

HEADER = "Idempotency-Key"


def _sha256(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


def _claim(scope: str, key: str, request_hash: str) -> tuple[IdempotencyRecord, bool]:
    """Create the record for (scope, key), or return the existing live one."""
    now = timezone.now()
    IdempotencyRecord.objects.filter(scope=scope, key=key, expires_at__lte=now).delete()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                scope=scope, key=key, request_hash=request_hash, expires_at=now + settings.IDEMPOTENCY_TTL
            )
        return record, True
    except IntegrityError:
        return IdempotencyRecord.objects.get(scope=scope, key=key), False


def _body_hash(request: HttpRequest) -> str:
    """The request body's hash; for a multipart body already parsed (the raw stream is
    gone), the hash of its fields and of each file's name and bytes."""
    try:
        return _sha256(request.body)
    except RawPostDataException:
        parts: list[bytes | str] = []
        for name in sorted(request.POST):
            parts.extend([name, *request.POST.getlist(name)])
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                upload.seek(0)
                parts.extend([name, upload.name or "", upload.read()])
                upload.seek(0)
        return _sha256(*parts)


def _caller(request: HttpRequest) -> str:
    """Who is asking: the user a valid bearer token names, so a key survives a token
    refresh; the raw header when it is not a valid token (the view answers 401), the
    client address when anonymous."""
    header = request.headers.get("Authorization", "")
    if not header:
        return f"anonymous:{client_ip(request)}"
    _, _, token = header.partition(" ")
    try:
        claims = jwt.decode(token, settings.JWT_SIGNING_KEY, algorithms=[settings.JWT_ALGORITHM])
    except jwt.PyJWTError:
        return header
    return f"user:{claims.get('sub')}"


def idempotent(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return view(request, *args, **kwargs)
        if len(key) > 255:
            return error_response(400, "Idempotency-Key is too long.", {HEADER: ["At most 255 characters."]})
        scope = _sha256(_caller(request), request.method or "", request.path_info)
        body_hash = _body_hash(request)
        record, created = _claim(scope, key, body_hash)
        if not created:
            if record.request_hash != body_hash:
                return error_response(409, "This Idempotency-Key was already used with a different request body.")
            if not record.completed:
                return error_response(409, "A request with this Idempotency-Key is still being processed.")
            replay = HttpResponse(bytes(record.body), status=record.status_code, content_type=record.content_type)
            replay["Idempotent-Replayed"] = "true"
            return replay
        try:
            response = view(request, *args, **kwargs)
        except Exception:
            record.delete()
            raise
        if response.status_code >= 500 or getattr(response, "streaming", False):
            record.delete()  # let the client retry a failure
            return response
        record.completed = True
        record.status_code = response.status_code
        record.content_type = response.get("Content-Type", "application/json")
        record.body = response.content
        record.save(update_fields=["completed", "status_code", "content_type", "body"])
        return response

    return wrapper
