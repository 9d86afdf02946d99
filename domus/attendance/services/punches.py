"""Check-in and check-out: the server's clock decides the shift day, lateness, worked and
overtime minutes; the punch's place is judged against the geofence with its GPS accuracy;
spoofing signals are kept on the record and raised for review, never silently accepted."""

import io
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any, Protocol

import imagehash
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from PIL import Image, ImageOps

from domus.attendance import clock, geo, planning, selectors
from domus.attendance.models import (
    Attendance,
    AttendanceRequest,
    AttendanceSource,
    AttendanceStatus,
    RequestKind,
    RequestStatus,
    Shift,
)
from domus.audit.services import audit_create, audit_snapshot, audit_update
from domus.core.exceptions import Conflict, NotFound, ValidationFailed
from domus.core.images import image_check

logger = logging.getLogger(__name__)

BLOCKING = (RequestKind.OUTSIDE_GEOFENCE, RequestKind.SUSPECT_LOCATION)


# The selfie -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Selfie:
    content: bytes  # re-encoded JPEG: no EXIF (no GPS, no device), upright
    phash: str


def selfie_read(upload: IO[bytes], *, field_name: str = "photo") -> Selfie:
    """Check an uploaded selfie (size, real type, pixel budget, decodes whole), strip its
    metadata by re-encoding it, and compute its perceptual hash."""
    size = getattr(upload, "size", None)
    limit = settings.ATTENDANCE_PHOTO_MAX_BYTES
    if size is not None and size > limit:
        raise ValidationFailed(
            "The photo is too large.", errors={field_name: [f"At most {limit:,} bytes ({size:,} given)."]}
        )
    image_check(upload, field=field_name)
    with Image.open(upload) as image:
        upright = ImageOps.exif_transpose(image).convert("RGB")
    buffer = io.BytesIO()
    upright.save(buffer, "JPEG", quality=85)  # no exif= argument: nothing of the original's metadata
    upload.seek(0)
    return Selfie(content=buffer.getvalue(), phash=str(imagehash.phash(upright)))


def _store(selfie: Selfie, *, company_id: Any, when: datetime) -> str:
    return default_storage.save(
        f"attendance/{company_id}/{when:%Y/%m}/{timezone.now():%d%H%M%S%f}.jpg", ContentFile(selfie.content)
    )


# Face verification ----------------------------------------------------------------------------


class FaceVerifier(Protocol):
    """A face-verification provider: ``verify`` answers a score in [0, 1] that the selfie
    shows the advisor, or ``None`` when it cannot tell. None is configured by default
    (``ATTENDANCE_FACE_VERIFIER``): nothing offline is good enough, a human reviews."""

    def verify(self, *, advisor_id: Any, photo: bytes) -> float | None: ...


def face_verifier() -> FaceVerifier | None:
    path = settings.ATTENDANCE_FACE_VERIFIER
    return import_string(path)() if path else None


# Signals ----------------------------------------------------------------------------------------


@dataclass
class Signals:
    items: list[dict[str, Any]] = field(default_factory=list)

    def add(self, code: str, **details: Any) -> None:
        self.items.append({"code": code, **details})

    def __bool__(self) -> bool:
        return bool(self.items)


def _collect_signals(
    *,
    advisor: Any,
    at: datetime,
    lat: float,
    lon: float,
    accuracy: float | None,
    mock_location: bool,
    selfie: Selfie,
    punch: str,
    exclude_id: Any = None,
    previous: tuple[datetime, float, float] | None = None,
) -> Signals:
    signals = Signals()
    if mock_location:
        signals.add("mock_location", punch=punch, detail="The device reported a mock (simulated) location.")
    if accuracy is not None and accuracy < settings.ATTENDANCE_MIN_ACCURACY_M:
        signals.add("accuracy_too_perfect", punch=punch, accuracy_m=accuracy)
    last = previous or selectors.last_punch(advisor=advisor, exclude_id=exclude_id)
    if last is not None:
        then, plat, plon = last
        distance = geo.haversine_m(plat, plon, lat, lon)
        hours = max((at - then).total_seconds(), 0.0) / 3600
        speed = (distance / 1000) / hours if hours > 0 else (float("inf") if distance > 1000 else 0.0)
        if speed > settings.ATTENDANCE_MAX_SPEED_KMH:
            signals.add(
                "impossible_travel",
                punch=punch,
                distance_m=round(distance),
                minutes=round(hours * 60, 1),
                speed_kmh=None if speed == float("inf") else round(speed, 1),
            )
    new_hash = imagehash.hex_to_hash(selfie.phash)
    for attendance_id, old in selectors.recent_photo_hashes(advisor=advisor, exclude_id=exclude_id):
        distance = int(new_hash - imagehash.hex_to_hash(old))
        if distance <= settings.ATTENDANCE_SELFIE_HASH_DISTANCE:
            signals.add("reused_selfie", punch=punch, same_as_attendance=str(attendance_id), hash_distance=distance)
            break
    verifier = face_verifier()
    if verifier is not None:
        score = verifier.verify(advisor_id=advisor.pk, photo=selfie.content)
        if score is None or score < 0.5:
            signals.add("face_mismatch", punch=punch, score=score)
    return signals


# Resolving the shift day ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ShiftDay:
    plan: planning.DayPlan
    branch: Any
    start: datetime
    end: datetime


def _shift_day(*, advisor: Any, shift: Shift, now: datetime) -> ShiftDay:
    """The planned day of ``shift`` whose check-in window holds ``now``: a night shift is
    found on the day it started even after midnight."""
    utc_day = now.date()
    book = selectors.PlanBook(
        advisor_ids=[advisor.pk], start=utc_day - timedelta(days=2), end=utc_day + timedelta(days=1)
    )
    reasons: list[str] = []
    for branch_id in {s.branch_id for s in book.schedules.get(advisor.pk, [])}:
        zone = book.clock.zone(branch_id)
        for day in planning.candidate_days(shift, now.astimezone(zone)):
            plan = book.plan(advisor.pk, day)
            if plan.branch_id != branch_id:
                continue
            if plan.kind != planning.WORK:
                reasons.append(f"{day} is a {plan.kind.replace('_', '-')} for you.")
                continue
            if plan.shift.pk != shift.pk:
                reasons.append(f"Your shift on {day} is {plan.shift.name}.")
                continue
            start, end = planning.shift_bounds(shift, day, zone)
            opens = start - timedelta(minutes=shift.check_in_window_before_minutes)
            if opens <= now < end:
                return ShiftDay(plan=plan, branch=book.clock.branches[branch_id], start=start, end=end)
            reasons.append(
                f"Check-in for {day} is open from {opens.astimezone(zone):%H:%M} until {end.astimezone(zone):%H:%M}."
            )
    if not reasons:
        reasons.append("No schedule plans this shift for you now.")
    raise ValidationFailed(reasons[0], errors={"shift_id": reasons})


def _minutes(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() // 60))


def _request(attendance: Attendance, kind: str, *, minutes: int = 0, evidence: dict[str, Any]) -> AttendanceRequest:
    return AttendanceRequest.objects.create(
        attendance=attendance,
        company_id=attendance.company_id,
        branch_id=attendance.branch_id,
        kind=kind,
        minutes=minutes,
        evidence=evidence,
    )


def _suspect_again(attendance: Attendance, evidence: dict[str, Any]) -> None:
    """Check-out signals go to review whatever happened at check-in (one location request
    per day, by the database): none yet, one opens; a pending one gets the new evidence
    (the earlier kept under ``earlier``); an approved one is queued again, pending, with
    the earlier evidence and decision kept. A rejected one stays rejected: the day is
    refused already, and the signals stay on the day."""
    request = (
        AttendanceRequest.objects.select_for_update()
        .filter(attendance=attendance, kind=RequestKind.SUSPECT_LOCATION)
        .first()
    )
    if request is None:
        _request(attendance, RequestKind.SUSPECT_LOCATION, evidence=evidence)
        return
    if request.status == RequestStatus.REJECTED:
        return
    before = audit_snapshot(request)
    earlier = {key: value for key, value in request.evidence.items() if key != "earlier"}
    if request.status == RequestStatus.APPROVED:
        earlier["decision"] = {
            "status": request.status,
            "reason": request.reason,
            "decided_at": request.decided_at.isoformat() if request.decided_at else None,
            "decided_by_id": str(request.decided_by_id) if request.decided_by_id else None,
        }
        request.status, request.decided_by, request.decided_at, request.reason = RequestStatus.PENDING, None, None, ""
    request.evidence = {**evidence, "earlier": [*request.evidence.get("earlier", []), earlier]}
    request.save()
    audit_update(actor=None, instance=request, before=before, action="requeue", company_id=request.company_id)


def _evidence(attendance: Attendance, *, punch: str, signals: list[dict[str, Any]]) -> dict[str, Any]:
    prefix = "check_in" if punch == "check_in" else "check_out"
    return {
        "punch": punch,
        "point": {"lat": getattr(attendance, f"{prefix}_lat"), "lon": getattr(attendance, f"{prefix}_lon")},
        "accuracy_m": getattr(attendance, f"{prefix}_accuracy"),
        "geofence": attendance.geofence.get(punch),
        "signals": signals,
        "at": getattr(attendance, f"{prefix}_at").isoformat(),
        "device_time": attendance.check_in_device_time.isoformat()
        if punch == "check_in" and attendance.check_in_device_time
        else None,
    }


def attendance_settle(attendance: Attendance) -> None:
    """The day's status from its punches and its requests' decisions (saved by the caller):
    a rejected location request makes it absent; a pending one keeps it waiting; without
    a check-out it is open; after it, worked minutes against the shift's thresholds."""
    kinds = {(r.kind, r.status) for r in attendance.requests.all()}
    if any((kind, RequestStatus.REJECTED) in kinds for kind in BLOCKING):
        attendance.status = AttendanceStatus.ABSENT
    elif any((kind, RequestStatus.PENDING) in kinds for kind in BLOCKING):
        attendance.status = AttendanceStatus.PENDING_APPROVAL
    elif attendance.missed_check_out:
        attendance.status = AttendanceStatus.HALF_DAY
    elif attendance.check_in_at is None:
        attendance.status = AttendanceStatus.ABSENT
    elif attendance.check_out_at is None:
        attendance.status = AttendanceStatus.OPEN
    elif attendance.worked_minutes < attendance.shift.absent_threshold_minutes:
        attendance.status = AttendanceStatus.ABSENT
    elif attendance.worked_minutes < attendance.shift.half_day_threshold_minutes:
        attendance.status = AttendanceStatus.HALF_DAY
    else:
        attendance.status = AttendanceStatus.PRESENT


def _fences(shift_day: ShiftDay) -> list[geo.Fence]:
    schedule = shift_day.plan.schedule
    if schedule.site_id is not None:
        return selectors.fences_of_site(schedule.site)
    return selectors.fences_of_branch(shift_day.branch)


def attendance_check_in(
    *,
    actor: Any,
    shift: Shift,
    lat: float,
    lon: float,
    photo: IO[bytes],
    accuracy: float | None = None,
    device_time: datetime | None = None,
    mock_location: bool = False,
    now: datetime | None = None,
) -> Attendance:
    """Open the advisor's shift day. A second check-in for the same day is a 409 (the
    database's unique constraint decides between racing requests)."""
    selfie = selfie_read(photo)
    now = now or clock.now()
    shift_day = _shift_day(advisor=actor, shift=shift, now=now)
    day = shift_day.plan.day
    if selectors.attendance_of_day(advisor=actor, day=day) is not None:
        raise Conflict(f"You already checked in for {day}.")
    decision = geo.fence_decide(_fences(shift_day), lat, lon, accuracy)
    signals = _collect_signals(
        advisor=actor,
        at=now,
        lat=lat,
        lon=lon,
        accuracy=accuracy,
        mock_location=mock_location,
        selfie=selfie,
        punch="check_in",
    )
    branch = shift_day.branch
    name = _store(selfie, company_id=branch.company_id, when=now)
    try:
        with transaction.atomic():
            attendance = _open_day(
                actor=actor,
                shift=shift,
                shift_day=shift_day,
                branch=branch,
                now=now,
                point=(lat, lon, accuracy, device_time),
                photo=(name, selfie.phash),
                decision=decision,
                signals=signals,
            )
    except IntegrityError:
        default_storage.delete(name)
        raise Conflict(f"You already checked in for {day}.") from None
    except Exception:
        default_storage.delete(name)
        raise
    return attendance


def _open_day(
    *,
    actor: Any,
    shift: Shift,
    shift_day: ShiftDay,
    branch: Any,
    now: datetime,
    point: tuple[float, float, float | None, datetime | None],
    photo: tuple[str, str],
    decision: geo.FenceDecision,
    signals: Signals,
) -> Attendance:
    lat, lon, accuracy, device_time = point
    late = _minutes(now - shift_day.start)
    is_late = now > shift_day.start + timedelta(minutes=shift.grace_minutes)
    attendance = Attendance.objects.create(
        company_id=branch.company_id,
        branch=branch,
        site_id=shift_day.plan.site_id,
        advisor=actor,
        shift=shift,
        day=shift_day.plan.day,
        shift_start=shift_day.start,
        shift_end=shift_day.end,
        status=AttendanceStatus.OPEN,
        source=AttendanceSource.PUNCH,
        late_minutes=late if is_late else 0,
        is_late=is_late,
        check_in_at=now,
        check_in_lat=lat,
        check_in_lon=lon,
        check_in_accuracy=accuracy,
        check_in_device_time=device_time,
        check_in_photo=photo[0],
        check_in_photo_hash=photo[1],
        geofence={"check_in": decision.as_dict(accuracy)},
        signals=signals.items,
    )
    if is_late:
        _request(
            attendance, RequestKind.LATE, minutes=late, evidence=_evidence(attendance, punch="check_in", signals=[])
        )
    if decision.result != geo.INSIDE:
        _request(
            attendance,
            RequestKind.OUTSIDE_GEOFENCE,
            evidence=_evidence(attendance, punch="check_in", signals=signals.items),
        )
    if signals:
        _request(
            attendance,
            RequestKind.SUSPECT_LOCATION,
            evidence=_evidence(attendance, punch="check_in", signals=signals.items),
        )
    attendance_settle(attendance)
    attendance.save(update_fields=["status", "updated_at"])
    audit_create(actor=actor, instance=attendance, company_id=attendance.company_id)
    return attendance


@transaction.atomic
def attendance_check_out(
    *,
    actor: Any,
    attendance_id: Any,
    lat: float,
    lon: float,
    photo: IO[bytes],
    ot_request_minutes: int | None = None,
    accuracy: float | None = None,
    mock_location: bool = False,
    now: datetime | None = None,
) -> Attendance:
    """Close the advisor's shift day: worked minutes from check-in; overtime counts only
    when the check-out is past the shift's end plus its threshold, and opens an overtime
    request for the minutes past the end (or fewer, as asked)."""
    selfie = selfie_read(photo)
    now = now or clock.now()
    attendance = selectors.attendance_for_update(attendance_id=attendance_id)
    if attendance is None or attendance.advisor_id != actor.pk:
        raise NotFound("Attendance not found.")
    if attendance.check_in_at is None or attendance.check_out_at is not None:
        raise Conflict("This attendance is not open for check-out.")
    if attendance.status == AttendanceStatus.ABSENT:
        raise Conflict("This attendance was refused; it cannot be checked out.")
    closes = attendance.shift_end + timedelta(minutes=attendance.shift.check_out_window_after_minutes)
    if now > closes:
        raise ValidationFailed(
            "The check-out window of this shift has closed.",
            errors={"attendance_id": [f"Check-out closed at {closes.isoformat()}."]},
        )
    before = audit_snapshot(attendance)
    fences = (
        selectors.fences_of_site(attendance.site)
        if attendance.site_id
        else selectors.fences_of_branch(attendance.branch)
    )
    decision = geo.fence_decide(fences, lat, lon, accuracy)
    previous = (attendance.check_in_at, attendance.check_in_lat, attendance.check_in_lon)
    signals = _collect_signals(
        advisor=actor,
        at=now,
        lat=lat,
        lon=lon,
        accuracy=accuracy,
        mock_location=mock_location,
        selfie=selfie,
        punch="check_out",
        previous=previous if attendance.check_in_lat is not None else None,
        exclude_id=attendance.pk,
    )
    name = _store(selfie, company_id=attendance.company_id, when=now)
    try:
        _close_day(
            attendance,
            now=now,
            point=(lat, lon, accuracy),
            photo=(name, selfie.phash),
            decision=decision,
            signals=signals,
            ot_request_minutes=ot_request_minutes,
        )
    except Exception:
        default_storage.delete(name)
        raise
    audit_update(actor=actor, instance=attendance, before=before, action="check_out", company_id=attendance.company_id)
    return attendance


def _close_day(
    attendance: Attendance,
    *,
    now: datetime,
    point: tuple[float, float, float | None],
    photo: tuple[str, str],
    decision: geo.FenceDecision,
    signals: Signals,
    ot_request_minutes: int | None,
) -> None:
    lat, lon, accuracy = point
    name, phash = photo
    attendance.check_out_at = now
    attendance.check_out_lat, attendance.check_out_lon, attendance.check_out_accuracy = lat, lon, accuracy
    attendance.check_out_photo, attendance.check_out_photo_hash = name, phash
    attendance.worked_minutes = _minutes(now - attendance.check_in_at)
    attendance.geofence = {**attendance.geofence, "check_out": decision.as_dict(accuracy)}
    attendance.signals = [*attendance.signals, *signals.items]
    threshold = attendance.shift_end + timedelta(minutes=attendance.shift.overtime_threshold_minutes)
    if now > threshold:
        available = _minutes(now - attendance.shift_end)
        asked = available if ot_request_minutes is None else min(ot_request_minutes, available)
        if asked > 0:
            _request(
                attendance,
                RequestKind.OT,
                minutes=asked,
                evidence={**_evidence(attendance, punch="check_out", signals=[]), "overtime_available": available},
            )
    if signals:
        _suspect_again(attendance, _evidence(attendance, punch="check_out", signals=signals.items))
    attendance_settle(attendance)
    attendance.save()
