"""Selfie check-in: the server's clock, lateness, the geofence with accuracy, spoofing
signals, one check-in per shift day, Idempotency-Key, the selfie's checks."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from domus.attendance.models import Attendance, AttendanceRequest
from domus.attendance.tests.conftest import BRANCH_LAT, BRANCH_LON, local, selfie


def kinds(body) -> set[str]:
    return {r["kind"] for r in body["requests"]}


def test_on_time_inside_is_open(schedule, at, check_in):
    at(local(2026, 3, 2, 8, 55))
    response = check_in(accuracy=10)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "OPEN"
    assert body["day"] == "2026-03-02"
    assert body["is_late"] is False
    assert body["requests"] == []
    assert body["geofence"]["check_in"]["result"] == "inside"
    assert body["shift_start"].startswith("2026-03-02T06:00:00")  # 09:00 in Nairobi, stored in UTC


def test_late_by_one_minute_past_grace(schedule, at, check_in):
    at(local(2026, 3, 2, 9, 11))  # grace is 10 minutes
    body = check_in(accuracy=10).json()
    assert body["is_late"] is True
    assert body["late_minutes"] == 11
    assert kinds(body) == {"LATE"}
    assert body["status"] == "OPEN"  # the punch counts; the lateness waits for a decision


def test_at_the_end_of_grace_is_not_late(schedule, at, check_in):
    at(local(2026, 3, 2, 9, 10))
    assert check_in(accuracy=10).json()["is_late"] is False


def test_outside_the_geofence_waits_for_approval_with_evidence(schedule, at, check_in):
    at(local(2026, 3, 2, 8, 58))
    body = check_in(lat=BRANCH_LAT + 0.01, accuracy=10).json()  # about 1.1 km north
    assert body["status"] == "PENDING_APPROVAL"
    assert kinds(body) == {"OUTSIDE_GEOFENCE"}
    evidence = body["requests"][0]["evidence"]
    assert evidence["geofence"]["result"] == "outside"
    assert evidence["geofence"]["fence"]["radius_m"] == 100
    assert evidence["point"] == {"lat": BRANCH_LAT + 0.01, "lon": BRANCH_LON}
    assert evidence["selfie_url"].endswith("/photo/check_in/")


def test_uncertain_position_is_not_accepted_silently(schedule, at, check_in):
    at(local(2026, 3, 2, 8, 58))
    body = check_in(lat=BRANCH_LAT + 90 / 111_195, accuracy=40).json()  # 90 m out of 100, +-40 m
    assert body["geofence"]["check_in"]["result"] == "uncertain"
    assert body["status"] == "PENDING_APPROVAL"
    assert kinds(body) == {"OUTSIDE_GEOFENCE"}


def test_a_second_check_in_is_409(schedule, at, check_in):
    at(local(2026, 3, 2, 8, 58))
    assert check_in(1).status_code == 201
    at(local(2026, 3, 2, 9, 30))
    second = check_in(2)
    assert second.status_code == 409
    assert Attendance.objects.count() == 1


def test_idempotency_key_makes_a_double_tap_one_punch(schedule, at, check_in):
    at(local(2026, 3, 2, 8, 58))
    photo = selfie(5)
    content = photo.read()
    first = check_in(headers={"Idempotency-Key": "tap-1"}, photo=SimpleUploadedFile("a.jpg", content))
    again = check_in(headers={"Idempotency-Key": "tap-1"}, photo=SimpleUploadedFile("a.jpg", content))
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Attendance.objects.count() == 1


def test_outside_the_check_in_window_is_refused(schedule, at, check_in):
    at(local(2026, 3, 2, 7, 30))  # the window opens 60 minutes before 09:00
    response = check_in()
    assert response.status_code == 400
    assert "shift_id" in response.json()["errors"]
    at(local(2026, 3, 2, 17, 5))  # after the shift's end
    assert check_in().status_code == 400


def test_reused_selfie_is_flagged(schedule, at, check_in, check_out):
    at(local(2026, 3, 2, 8, 58))
    first = check_in(7).json()
    at(local(2026, 3, 2, 17, 0))
    check_out(first["id"], seed=8)
    at(local(2026, 3, 3, 8, 58))
    body = check_in(7).json()  # yesterday's photo again
    signals = {s["code"]: s for s in body["signals"]}
    assert signals["reused_selfie"]["same_as_attendance"] == first["id"]
    assert body["status"] == "PENDING_APPROVAL"
    assert kinds(body) == {"SUSPECT_LOCATION"}


def test_plausible_travel_is_not_flagged(schedule, at, check_in, check_out):
    at(local(2026, 3, 2, 8, 58))
    first = check_in(1).json()
    at(local(2026, 3, 2, 17, 0))
    check_out(first["id"], seed=2, lat=-4.043477, lon=39.668206)  # Mombasa, 440 km in 8 hours: fine
    at(local(2026, 3, 3, 8, 50))
    body = check_in(3).json()  # Nairobi 16 hours later: 27 km/h, fine
    assert not [s for s in body["signals"] if s["code"] == "impossible_travel"]


def test_impossible_travel_between_check_in_and_check_out(schedule, at, check_in, check_out):
    at(local(2026, 3, 2, 8, 58))
    first = check_in(1).json()
    at(local(2026, 3, 2, 9, 30))
    body = check_out(first["id"], seed=2, lat=-4.043477, lon=39.668206).json()  # 440 km in 32 minutes
    travel = [s for s in body["signals"] if s["code"] == "impossible_travel"]
    assert travel
    assert travel[0]["speed_kmh"] > 800
    assert "SUSPECT_LOCATION" in kinds(body)
    assert body["status"] == "PENDING_APPROVAL"


def test_mock_location_and_too_perfect_accuracy_are_flagged(schedule, at, check_in):
    at(local(2026, 3, 2, 8, 58))
    body = check_in(mock_location="true", accuracy=0).json()
    assert {s["code"] for s in body["signals"]} == {"mock_location", "accuracy_too_perfect"}
    assert kinds(body) == {"SUSPECT_LOCATION"}


def test_the_stored_selfie_has_no_exif(schedule, at, check_in, advisor_client):
    at(local(2026, 3, 2, 8, 58))
    body = check_in(photo=selfie(3, exif=True)).json()
    row = Attendance.objects.get(pk=body["id"])
    with default_storage.open(row.check_in_photo) as stored, Image.open(stored) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
    photo = advisor_client.get(body["check_in_photo_url"])
    assert photo.status_code == 200
    assert photo["Content-Type"] == "application/octet-stream"
    assert b"".join(photo.streaming_content)[:3] == b"\xff\xd8\xff"  # a JPEG


def test_not_an_image_is_400_and_nothing_is_stored(schedule, at, check_in):
    at(local(2026, 3, 2, 8, 58))
    response = check_in(photo=SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg"))
    assert response.status_code == 400
    assert "photo" in response.json()["errors"]
    assert not Attendance.objects.exists()
    assert not AttendanceRequest.objects.exists()


def test_too_many_pixels_is_400(schedule, at, check_in, settings):
    settings.IMAGE_MAX_PIXELS = 100 * 100
    at(local(2026, 3, 2, 8, 58))
    response = check_in()
    assert response.status_code == 400
    assert "photo" in response.json()["errors"]


def test_a_png_selfie_is_stored_as_jpeg(schedule, at, check_in):
    at(local(2026, 3, 2, 8, 58))
    buffer = io.BytesIO()
    Image.new("RGB", (50, 50), (10, 200, 30)).save(buffer, "PNG")
    body = check_in(photo=SimpleUploadedFile("p.png", buffer.getvalue(), content_type="image/png")).json()
    assert Attendance.objects.get(pk=body["id"]).check_in_photo.endswith(".jpg")


def test_an_unknown_shift_is_a_404_naming_the_field(schedule, at, check_in):
    at(local(2026, 3, 2, 8, 58))
    response = check_in(shift_id="0190b2c4-0000-7000-8000-000000000000")
    assert response.status_code == 404
    assert "shift_id" in response.json()["errors"]


@pytest.mark.parametrize("path", ["/api/attendance/check-in", "/api/v1/attendance/check-in/"])
def test_anonymous_is_401(api_client, path):
    assert api_client.post(path).status_code == 401


def test_an_unknown_form_field_named_with_a_nul_is_not_echoed(schedule, at, check_in):
    at(local(2026, 3, 2, 8, 58))
    response = check_in(**{"bad\x00name": "1"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["bad\\x00name"]
