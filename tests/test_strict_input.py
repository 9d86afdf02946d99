"""Input is never silently dropped: an unknown field of any request body is a 400 naming
it, model-level checks are keyed by their field, the login also takes a form, and lists
refuse filter values and paging they do not know."""

from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import get_resolver
from ninja.params.models import BodyModel, FormModel

from domus.accounts.models import Profile
from domus.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from domus.communications.models import CommunicationPreference
from domus.core.roles import Role
from domus.core.route_table import _operations
from domus.core.schemas import nested_models
from domus.organizations.models import MEMBERSHIP_ROLES
from domus.organizations.tests.factories import CompanyFactory
from domus.properties.models import Listing, Visit
from domus.properties.tests.factories import ListingFactory, VisitFactory

UNKNOWN = ["Unknown field."]


def _body_schemas() -> dict[type, set[str]]:
    """Every model a request body of the API may hold (nested ones too), with the
    operations that take it."""
    found: dict[type, set[str]] = {}
    for route, operation in _operations(get_resolver()):
        for model in operation.models:
            if not issubclass(model, (BodyModel, FormModel)):
                continue
            for field in model.model_fields.values():
                for schema in nested_models(field.annotation):
                    found.setdefault(schema, set()).add(f"{','.join(operation.methods)} {route}")
    return found


def test_every_body_schema_of_every_operation_forbids_unknown_fields():
    schemas = _body_schemas()
    assert len(schemas) > 50  # the walk sees the whole API, not an empty urlconf
    lenient = {
        f"{schema.__module__}.{schema.__qualname__}": sorted(routes)
        for schema, routes in schemas.items()
        if schema.model_config.get("extra") != "forbid"
    }
    assert lenient == {}, "Base these request schemas on domus.core.schemas.Input"


# Unknown fields -----------------------------------------------------------------------------


def test_a_misspelled_listing_field_is_a_400_naming_it(admin_client):
    response = admin_client.post_json(
        "/api/v1/properties/", {"title": "Flat", "price": "1000", "addres": "1 Riverside Drive"}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"addres": UNKNOWN}
    assert not Listing.objects.exists()


def test_an_unknown_field_on_a_visit_put_is_refused_and_changes_nothing(admin_client):
    visit = VisitFactory()
    body = {"starts_at": visit.starts_at.isoformat(), "ends_at": visit.ends_at.isoformat(), "state": "confirmed"}
    response = admin_client.put_json(f"/api/v1/properties/visits/{visit.id}/", body)
    assert response.status_code == 400
    assert response.json()["errors"] == {"state": UNKNOWN}
    assert Visit.objects.get(pk=visit.pk).status == visit.status


def test_a_preferences_body_of_another_shape_is_refused(user_client, user):
    response = user_client.post_json(
        "/api/v1/communication/preferences/", {"email_notifications": False, "sms_notifications": True}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"email_notifications": UNKNOWN, "sms_notifications": UNKNOWN}
    assert not CommunicationPreference.objects.filter(user=user).exists()


@pytest.mark.parametrize("method", ["put_json", "patch_json"])
def test_a_misspelled_flat_profile_field_on_profile_update_is_refused(user_client, user, method):
    body = {"email": user.email, "username": user.username, "bio": "Hello", "bioo": "Hi"}
    response = getattr(user_client, method)("/api/v1/accounts/profile/update/", body)
    assert response.status_code == 400
    assert response.json()["errors"] == {"bioo": UNKNOWN}
    assert not Profile.objects.filter(user=user).exists()


def test_an_unknown_field_of_a_nested_object_is_named_by_its_path(user_client, user):
    response = user_client.patch_json("/api/v1/accounts/me/", {"first_name": "Mia", "profile": {"bioo": "Hi"}})
    assert response.status_code == 400
    assert response.json()["errors"] == {"profile.bioo": UNKNOWN}
    user.refresh_from_db()
    assert user.first_name != "Mia"


def test_every_problem_of_a_body_comes_back_at_once(admin_client):
    response = admin_client.post_json(
        "/api/v1/finance/invoices/",
        {"company_id": "nope", "lines": [{"description": "Rent", "unit_price": "10", "colour": "red"}], "x": 1},
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"company_id", "recipient_id", "due_date", "lines.0.colour", "x"}
    assert response.json()["errors"]["lines.0.colour"] == UNKNOWN


# Model-level checks keyed by their field --------------------------------------------------------


def test_a_listing_without_title_is_keyed_by_title(admin_client):
    response = admin_client.post_json("/api/v1/properties/", {"price": "1000"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"title": ["title (or name, or an address) is required."]}


def test_a_budget_check_is_keyed_by_budget_min(admin_client):
    response = admin_client.post_json("/api/v1/crm/clients/", {"name": "Ann", "budget_min": "9", "budget_max": "1"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"budget_min": ["budget_min must not be above budget_max."]}


def test_a_contact_form_reports_all_its_model_level_problems_at_once(api_client):
    response = api_client.post_json("/api/v1/crm/contact/", {"name": "Ann", "budget_min": "9", "budget_max": "1"})
    assert response.status_code == 400
    # Without listing_id or company_id the form goes to the platform's default company.
    assert set(response.json()["errors"]) == {"email", "budget_min"}


# Login by form ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/accounts/auth/token/", "/api/v1/auth/login/", "/api/auth/login"])
def test_login_accepts_an_oauth2_password_form(api_client, db, path):
    account = UserFactory()
    form = {"grant_type": "password", "username": account.username, "password": DEFAULT_PASSWORD}
    response = api_client.generic("POST", path, urlencode(form), "application/x-www-form-urlencoded")
    assert response.status_code == 200, response.content
    assert response.json()["user"]["id"] == str(account.id)


def test_a_login_form_with_an_unknown_field_is_refused(api_client, db):
    account = UserFactory()
    body = f"username={account.username}&password={DEFAULT_PASSWORD}&remember_me=1"
    response = api_client.generic("POST", "/api/v1/auth/login/", body, "application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response.json()["errors"] == {"remember_me": UNKNOWN}


def test_a_form_body_is_still_refused_where_it_is_not_accepted(user_client):
    response = user_client.generic(
        "POST", "/api/v1/accounts/auth/logout/", "refresh=abc", "application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "Malformed request body: expected valid JSON."


# Lists --------------------------------------------------------------------------------------------


def test_an_unknown_choice_filter_value_is_a_400_listing_the_allowed_ones(admin_client):
    response = admin_client.get("/api/v1/audit/logs/?resource_type=leed")
    assert response.status_code == 400
    message = response.json()["errors"]["resource_type"][0]
    assert message.startswith("Unknown value 'leed'; one of: ")
    assert {"crm.lead", "organizations.company"} <= set(message.removesuffix(".").split(": ")[1].split(", "))
    assert admin_client.get("/api/v1/audit/logs/?resource_type=crm.lead").status_code == 200


def test_a_page_past_the_end_points_previous_at_the_last_page(api_client, db):
    ListingFactory.create_batch(3)
    body = api_client.get("/api/v1/properties/?page=5&page_size=2").json()
    assert body["results"] == []
    assert body["previous"].endswith("page=2&page_size=2")
    offset = api_client.get("/api/v1/properties/?limit=2&offset=10").json()
    assert offset["previous"].endswith("limit=2&offset=2")


def test_nothing_matched_has_no_previous(api_client, db):
    assert api_client.get("/api/v1/properties/?page=3").json()["previous"] is None


def test_paging_styles_mix_by_one_rule(api_client, db):
    """limit (else page_size) is the page size; offset (else skip) overrides page."""
    ListingFactory.create_batch(5)
    page = api_client.get("/api/v1/properties/?page=2&limit=2").json()
    assert (page["page"], len(page["results"])) == (2, 2)
    assert page["next"].endswith("limit=2&offset=4")
    start = api_client.get("/api/v1/properties/?page=2&offset=4&page_size=2").json()
    assert (start["page"], len(start["results"])) == (3, 1)


def test_the_ordering_error_lists_every_allowed_value(api_client, db):
    response = api_client.get("/api/v1/properties/?ordering=-colour")
    assert response.status_code == 400
    assert response.json()["errors"]["ordering"] == [
        "Cannot order by -colour; allowed: area, bedrooms, created_at, price, relevance."
    ]
    near = api_client.get("/api/v1/properties/?near=-1.28,36.82&ordering=colour")
    assert "distance_km" in near.json()["errors"]["ordering"][0]
    assert api_client.get("/api/v1/properties/?ordering=-area").status_code == 200


def test_an_unknown_query_parameter_is_a_400_naming_it(api_client, db):
    ListingFactory()
    response = api_client.get("/api/v1/properties/?colour=red&city=Nairobi&page_size=5")
    assert response.status_code == 400
    assert response.json()["errors"] == {"colour": ["Unknown query parameter."]}
    assert api_client.get("/api/v1/properties/?city=Nairobi&page_size=5&skip=0").status_code == 200


def test_unknown_query_parameters_are_refused_on_every_operation(admin_client, admin_user):
    response = admin_client.get(f"/api/v1/accounts/users/{admin_user.id}/?expand=profile")
    assert response.status_code == 400
    assert response.json()["errors"] == {"expand": ["Unknown query parameter."]}


def test_an_unknown_field_of_a_multipart_form_is_refused(admin_client):
    listing = ListingFactory()
    document = SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    response = admin_client.post(
        f"/api/v1/properties/{listing.id}/media/", {"file": document, "kind": "document", "caption": "Plan"}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"caption": ["Unknown field."]}
    assert not listing.media.exists()


def test_a_form_field_sent_with_an_upload_of_a_file_alone_is_refused(admin_client):
    """An operation that takes only a file (a new document version) has no other form fields."""
    document = SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    company = CompanyFactory()
    created = admin_client.post("/api/v1/documents/", {"file": document, "title": "Plan", "company_id": company.id})
    assert created.status_code == 201, created.json()
    version = SimpleUploadedFile("plan2.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    path = f"/api/v1/documents/{created.json()['id']}/versions/"
    refused = admin_client.post(path, {"file": version, "note": "second"})
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"note": ["Unknown field."]}
    assert admin_client.get(path).json()["count"] == 1


def _enum_of(schema: dict, path: str, name: str) -> list[str]:
    parameter = next(p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == name)
    return next(member["enum"] for member in parameter["schema"]["anyOf"] if "enum" in member)


def test_choice_filters_show_their_values_as_an_enum(api_client):
    schema = api_client.get("/api/schema/").json()
    assert "crm.lead" in _enum_of(schema, "/api/v1/audit/logs/", "resource_type")
    assert _enum_of(schema, "/api/v1/accounts/users/", "role") == sorted(Role.values)
    members = "/api/v1/organizations/companies/{company_id}/members/"
    assert _enum_of(schema, members, "role") == sorted(value for value, _ in MEMBERSHIP_ROLES)


def test_a_body_sent_to_an_operation_that_takes_none_is_refused(admin_client):
    visit = VisitFactory()
    confirm = f"/api/v1/properties/visits/{visit.id}/confirm/"
    response = admin_client.post_json(confirm, {"note": "See you", "status": "completed"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"note": UNKNOWN, "status": UNKNOWN}
    assert Visit.objects.get(pk=visit.pk).status == visit.status
    assert admin_client.post_json(confirm, [1]).json()["errors"] == {
        "non_field_errors": ["This operation takes no request body."]
    }
    assert admin_client.post_json(confirm, {}).status_code == 200


def test_a_form_sent_to_an_operation_that_takes_no_body_is_refused(admin_client):
    visit = VisitFactory()
    response = admin_client.post(f"/api/v1/properties/visits/{visit.id}/confirm/", {"note": "See you"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"note": UNKNOWN}
    assert Visit.objects.get(pk=visit.pk).status == visit.status
