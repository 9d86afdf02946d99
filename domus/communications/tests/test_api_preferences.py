from domus.communications.models import CommunicationPreference

ALIAS = "/api/v1/communication/preferences/"
BASE = "/api/v1/communications/preferences/"


def test_defaults_before_anything_is_saved(client_for, alice):
    response = client_for(alice).get(ALIAS)

    assert response.status_code == 200
    body = response.json()
    assert body["channels"] == ["email", "sms"]
    assert (body["timezone"], body["language"], body["marketing_consent"], body["updated_at"]) == (
        "UTC",
        "en",
        False,
        None,
    )
    assert not CommunicationPreference.objects.exists()


def test_post_creates_then_put_changes(client_for, alice, audit_log):
    api = client_for(alice)

    created = api.post_json(
        ALIAS,
        {
            "channels": ["email", "whatsapp"],
            "quiet_hours_start": "22:00",
            "quiet_hours_end": "07:00",
            "timezone": "Africa/Nairobi",
            "language": "sw",
            "marketing_consent": True,
        },
    )
    changed = api.put_json(BASE, {"channels": ["sms"], "quiet_hours_start": None, "quiet_hours_end": None})
    again = api.post_json(ALIAS, {"language": "en"})

    assert created.status_code == 201, created.content
    assert created.json()["channels"] == ["email", "whatsapp"]
    assert changed.status_code == 200
    assert changed.json()["channels"] == ["sms"]
    assert changed.json()["quiet_hours_start"] is None
    assert changed.json()["timezone"] == "Africa/Nairobi"
    assert again.status_code == 200
    preference = CommunicationPreference.objects.get(user=alice)
    assert (preference.sms_enabled, preference.email_enabled, preference.language) == (True, False, "en")
    assert audit_log.objects.filter(resource_type="communications.communicationpreference").count() == 3


def test_bad_preferences_are_400_and_nothing_is_saved(client_for, alice):
    api = client_for(alice)

    responses = [
        api.post_json(ALIAS, {"timezone": "Mars/Olympus"}),
        api.post_json(ALIAS, {"quiet_hours_start": "22:00"}),
        api.post_json(ALIAS, {"channels": ["pigeon"]}),
        api.put_json(ALIAS, {"quiet_hours_start": "22:00", "quiet_hours_end": "22:00"}),
    ]

    assert [r.status_code for r in responses] == [400, 400, 400, 400]
    assert not CommunicationPreference.objects.exists()


def test_anonymous_is_401(api_client):
    assert api_client.get(ALIAS).status_code == 401


def test_quiet_hours_with_a_utc_offset_are_a_field_error(client_for, alice):
    response = client_for(alice).post_json(
        ALIAS, {"quiet_hours_start": "22:00+03:00", "quiet_hours_end": "07:00", "timezone": "Africa/Nairobi"}
    )

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert body["errors"] == {
        "quiet_hours_start": ["Give a local time without a UTC offset (HH:MM); set the zone in `timezone`."]
    }
    assert not CommunicationPreference.objects.exists()


def test_the_unversioned_path_serves_preferences(client_for, alice):
    api = client_for(alice)

    saved = api.put_json("/api/communication/preferences/", {"language": "sw"})
    read = api.get("/api/communication/preferences")

    assert saved.status_code == 200, saved.content
    assert read.status_code == 200
    assert read.json()["language"] == "sw"
