"""The catalog through the back office's paths: slugs, permissions, filters, price logs."""

import re

import pytest

from domus.inventory.models import Category, Department, PriceLog, Product
from domus.inventory.tests.factories import (
    BrandFactory,
    CategoryFactory,
    DepartmentFactory,
    ProductFactory,
    SparePartFactory,
    SubcategoryFactory,
)


@pytest.mark.django_db
def test_admin_creates_a_department_with_a_unicode_slug_and_it_is_audited(admin_client, audit_log):
    response = admin_client.post_json("/api/departments", {"name": "Ковры и двери"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "ковры-и-двери"
    assert audit_log.objects.filter(action="create", resource_id=body["id"]).exists()
    again = admin_client.post_json("/api/departments", {"name": "Ковры и двери"})
    assert again.json()["slug"] == "ковры-и-двери-2"
    detail = admin_client.get(f"/api/departments/{body['slug']}")
    assert detail.status_code == 200
    assert detail.json()["id"] == body["id"]


@pytest.mark.django_db
def test_the_slug_is_immutable(admin_client):
    department = DepartmentFactory(name="Tools", slug="tools")

    renamed = admin_client.patch_json("/api/departments/tools", {"name": "Hand tools"})
    changed = admin_client.patch_json("/api/departments/tools", {"slug": "hand-tools"})
    replaced = admin_client.put_json("/api/departments/tools", {"name": "Tools", "slug": "other"})

    assert renamed.status_code == 200
    assert renamed.json()["slug"] == "tools"
    assert changed.status_code == 400
    assert "slug" in changed.json()["errors"]
    assert replaced.status_code == 400
    department.refresh_from_db()
    assert (department.name, department.slug) == ("Hand tools", "tools")


@pytest.mark.django_db
def test_reads_are_public_or_authenticated_as_the_back_office_said_and_writes_admin_only(api_client, user_client):
    DepartmentFactory()

    assert api_client.get("/api/departments").status_code == 200
    assert api_client.get("/api/brands/").status_code == 200
    assert api_client.get("/api/units").status_code == 401
    assert api_client.get("/api/qualities").status_code == 401
    assert user_client.get("/api/units").status_code == 200
    assert user_client.post_json("/api/departments", {"name": "Mine"}).status_code == 403
    assert api_client.post_json("/api/departments", {"name": "Mine"}).status_code == 401
    assert Department.objects.count() == 1


@pytest.mark.django_db
def test_a_taxonomy_in_use_is_not_deleted(admin_client):
    category = CategoryFactory()

    response = admin_client.delete(f"/api/departments/{category.department.slug}")

    assert response.status_code == 409
    assert Department.objects.filter(pk=category.department_id).exists()
    assert admin_client.delete(f"/api/categories/{category.slug}").status_code == 204
    assert not Category.objects.filter(pk=category.pk).exists()


@pytest.mark.django_db
def test_products_take_their_taxonomy_from_the_subcategory_and_refuse_a_mismatch(admin_client):
    sub = SubcategoryFactory()
    other = CategoryFactory()

    made = admin_client.post_json(
        "/api/products", {"name": "Hinge", "subcategory_id": str(sub.id), "price": "12.50", "cost": "7"}
    )
    wrong = admin_client.post_json(
        "/api/products", {"name": "Hinge", "subcategory_id": str(sub.id), "category_id": str(other.id)}
    )
    unknown = admin_client.post_json("/api/products", {"name": "Hinge", "brand_id": str(other.id)})

    assert made.status_code == 201, made.content
    assert made.json()["category_id"] == str(sub.category_id)
    assert made.json()["department_id"] == str(sub.category.department_id)
    assert wrong.status_code == 400
    assert "subcategory_id" in wrong.json()["errors"]
    assert unknown.status_code == 404
    assert "brand_id" in unknown.json()["errors"]


@pytest.mark.django_db
def test_products_filter_by_brand_taxonomy_price_and_search(api_client, django_assert_max_num_queries):
    brand = BrandFactory(slug="acme")
    sub = SubcategoryFactory(slug="hinges")
    cheap = ProductFactory(name="Brass hinge", brand=brand, price="5.00", subcategory=sub, category=sub.category)
    ProductFactory(name="Steel hinge", brand=brand, price="50.00")
    ProductFactory(name="Door", price="500.00")

    def names(query: str) -> list[str]:
        return sorted(p["name"] for p in api_client.get(f"/api/products?{query}").json()["results"])

    assert names("brand=acme") == ["Brass hinge", "Steel hinge"]
    assert names("subcategory=hinges") == ["Brass hinge"]
    assert names(f"category={sub.category.slug}") == ["Brass hinge"]
    assert names("min_price=10&max_price=100") == ["Steel hinge"]
    assert names("search=hinge&max_price=10") == ["Brass hinge"]
    with django_assert_max_num_queries(2):  # the count and the page, whatever the page holds
        response = api_client.get("/api/v1/inventory/products/")
    assert response.json()["count"] == 3
    shown = next(p for p in response.json()["results"] if p["id"] == str(cheap.id))
    assert shown["cost"] is None  # the cost is the back office's


@pytest.mark.django_db
def test_price_changes_are_logged_and_read_only(admin_client, admin_user):
    product = ProductFactory(price="10.00")

    admin_client.patch_json(f"/api/products/{product.slug}", {"price": "12.00"})
    admin_client.patch_json(f"/api/products/{product.slug}", {"name": "Same price"})

    logs = admin_client.get(f"/api/price-logs/?resource_id={product.id}").json()["results"]
    assert [(log["field"], log["old_value"], log["new_value"]) for log in logs] == [("price", "10.00", "12.00")]
    assert logs[0]["changed_by_id"] == str(admin_user.id)
    assert admin_client.get(f"/api/price-logs/{logs[0]['id']}/").status_code == 200
    assert admin_client.delete(f"/api/price-logs/{logs[0]['id']}/").status_code == 405
    with pytest.raises(TypeError):
        PriceLog.objects.all().delete()


@pytest.mark.django_db
def test_spare_prices_are_hidden_from_everyone_but_admins(api_client, user_client, admin_client):
    part = SparePartFactory(cost="10.00", price="15.00")

    public = api_client.get(f"/api/spares/{part.id}").json()
    user = user_client.get("/api/spares").json()["results"][0]
    admin = admin_client.get(f"/api/spares/{part.id}").json()

    assert (public["cost"], public["price"]) == (None, None)
    assert (user["cost"], user["price"]) == (None, None)
    assert (admin["cost"], admin["price"]) == ("10.00", "15.00")


@pytest.mark.django_db
def test_brands_are_addressed_by_id_with_the_trailing_slash(admin_client, api_client):
    made = admin_client.post_json("/api/brands/", {"name": "Acme", "website": "https://acme.example.test"})

    assert made.status_code == 201, made.content
    assert api_client.get(f"/api/brands/{made.json()['id']}/").json()["slug"] == "acme"


@pytest.mark.django_db
def test_a_product_counts_in_other_units_by_a_factor(admin_client):
    product = ProductFactory()
    box = admin_client.post_json("/api/units", {"name": "Box of 12", "symbol": "box"}).json()

    made = admin_client.post_json(
        "/api/v1/inventory/product-units/", {"product_id": str(product.id), "unit_id": box["id"], "factor": "12"}
    )
    twice = admin_client.post_json(
        "/api/v1/inventory/product-units/", {"product_id": str(product.id), "unit_id": box["id"], "factor": "6"}
    )

    assert made.status_code == 201, made.content
    assert twice.status_code == 409
    listed = admin_client.get(f"/api/v1/inventory/product-units/?product={product.slug}").json()["results"]
    assert [row["factor"] for row in listed] == ["12.000"]


@pytest.mark.django_db
def test_variants_belong_to_a_product(admin_client):
    product = ProductFactory(slug="door")

    made = admin_client.post_json(
        "/api/variants", {"name": "Door — oak", "product_id": str(product.id), "sku": "D-OAK"}
    )

    assert made.status_code == 201, made.content
    assert made.json()["slug"] == "door-oak"
    assert admin_client.get("/api/variants?product=door").json()["count"] == 1
    assert Product.objects.get(pk=product.pk).variants.count() == 1


@pytest.mark.once
def test_each_declared_operation_is_typed_and_named_in_the_schema():
    from domus.api import api

    schema = api.get_openapi_schema()
    operations = {
        operation["operationId"]: operation
        for path, item in schema["paths"].items()
        if "/inventory/" in path
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    nouns = ("department", "category", "subcategory", "product", "variant", "unit", "quality", "brand", "spare")
    for noun in nouns:
        for verb in ("list", "create", "detail", "replace", "update", "delete"):
            assert f"inventory_{noun}_{verb}" in operations, (noun, verb)
    brand = schema["paths"]["/api/v1/inventory/brands/{id}/"]["get"]["parameters"][0]
    department = schema["paths"]["/api/v1/inventory/departments/{slug}/"]["get"]["parameters"][0]
    assert (brand["name"], brand["schema"]["format"]) == ("id", "uuid")
    assert (department["name"], department["schema"]["type"]) == ("slug", "string")
    assert "inventory_ledger_row_create" not in operations  # the ledger is read-only
    body = operations["inventory_product_create"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("/ProductIn")


@pytest.mark.django_db
@pytest.mark.parametrize("space", ["\x85", "\x1c", "\ufeff", " "])
def test_a_website_with_white_space_of_any_engine_is_refused_as_its_schema_says(admin_client, space):
    schema = admin_client.get("/api/v1/schema/").json()
    pattern = schema["components"]["schemas"]["BrandIn"]["properties"]["website"]["pattern"]
    website = f"https://acme{space}.example.test"

    response = admin_client.post_json("/api/brands/", {"name": "Acme", "website": website})

    assert re.fullmatch(pattern, website) is None
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["website"]
