"""Attendance fixtures: a Nairobi branch (UTC+3, found from its coordinates) with a 100 m
geofence, a day shift 09:00-17:00 with 10 minutes' grace, an advisor planned on it every
day from 2026-01-01, the branch's head, and a clock the test sets."""

import io
import random
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from domus.accounts.tests.factories import UserFactory
from domus.attendance import clock
from domus.attendance.models import Geofence, Schedule, Shift
from domus.core.roles import Role
from domus.organizations.tests.factories import BranchFactory, CompanyFactory, MembershipFactory

NAIROBI = ZoneInfo("Africa/Nairobi")
BRANCH_LAT, BRANCH_LON = -1.286389, 36.817223


def local(*args: int) -> datetime:
    """A Nairobi wall-clock time."""
    return datetime(*args, tzinfo=NAIROBI)


def selfie(seed: int = 1, *, exif: bool = False, fmt: str = "JPEG") -> SimpleUploadedFile:
    """A distinct picture per seed (its perceptual hash differs), optionally with EXIF GPS."""
    rng = random.Random(seed)
    image = Image.new("RGB", (160, 120), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(160), rng.randrange(120)
        draw.rectangle(
            (x, y, x + rng.randrange(20, 80), y + rng.randrange(20, 60)),
            fill=tuple(rng.randrange(256) for _ in range(3)),
        )
    buffer = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "SpoofCam"  # Make
        data[0x8825] = {1: "S", 2: (1.0, 17.0, 0.0)}  # GPSInfo
        image.save(buffer, fmt, exif=data)
    else:
        image.save(buffer, fmt)
    return SimpleUploadedFile(f"selfie{seed}.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.RATE_LIMITS_ENABLED = False


@pytest.fixture
def at(monkeypatch):
    """``at(datetime)``: the server's clock for the punches and jobs that follow."""

    def set_now(when: datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: when)

    return set_now


@pytest.fixture
def company(db):
    return CompanyFactory(country="KE")


@pytest.fixture
def branch(company):
    return BranchFactory(company=company, latitude=str(BRANCH_LAT), longitude=str(BRANCH_LON))


@pytest.fixture
def other_branch(company):
    return BranchFactory(company=company, latitude="-4.043477", longitude="39.668206")  # Mombasa


@pytest.fixture
def fence(branch):
    return Geofence.objects.create(
        branch=branch, name="Office", latitude=BRANCH_LAT, longitude=BRANCH_LON, radius_m=100
    )


@pytest.fixture
def shift(db):
    return Shift.objects.create(name="Day", start_time=time(9), end_time=time(17), grace_minutes=10)


@pytest.fixture
def night_shift(db):
    return Shift.objects.create(
        name="Night", start_time=time(22), end_time=time(6), crosses_midnight=True, grace_minutes=10
    )


@pytest.fixture
def advisor(company, branch):
    user = UserFactory(role=Role.AGENT)
    MembershipFactory(user=user, company=company, role=Role.AGENT, branch=branch)
    return user


@pytest.fixture
def head(company, branch):
    user = UserFactory(role=Role.BRANCH_HEAD)
    MembershipFactory(user=user, company=company, role=Role.BRANCH_HEAD, branch=branch)
    return user


@pytest.fixture
def other_head(company, other_branch):
    user = UserFactory(role=Role.BRANCH_HEAD)
    MembershipFactory(user=user, company=company, role=Role.BRANCH_HEAD, branch=other_branch)
    return user


@pytest.fixture
def schedule(advisor, branch, shift, fence):
    return Schedule.objects.create(
        advisor=advisor, branch=branch, shift=shift, valid_from=date(2026, 1, 1), weekdays=[0, 1, 2, 3, 4, 5, 6]
    )


@pytest.fixture
def advisor_client(client_for, advisor):
    return client_for(advisor)


@pytest.fixture
def check_in(advisor_client, shift):
    """``check_in(seed=1, lat=..., lon=..., **fields)`` through the back office's path."""

    def post(seed: int = 1, *, client=None, lat=BRANCH_LAT, lon=BRANCH_LON, shift_id=None, headers=None, **fields):
        body = {"shift_id": str(shift_id or shift.pk), "lat": lat, "lon": lon, "photo": selfie(seed), **fields}
        return (client or advisor_client).post("/api/attendance/check-in", data=body, headers=headers or {})

    return post


@pytest.fixture
def check_out(advisor_client):
    def post(attendance_id, seed: int = 99, *, lat=BRANCH_LAT, lon=BRANCH_LON, **fields):
        body = {"attendance_id": str(attendance_id), "lat": lat, "lon": lon, "photo": selfie(seed), **fields}
        return advisor_client.post("/api/attendance/check-out", data=body)

    return post
