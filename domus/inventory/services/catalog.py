"""Writes of the catalog and spare parts, one set of functions for every resource: a
slug made once from the name, references checked, every write audited, every change of a
cost or price kept in the price log."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.text import slugify

from domus.audit.services import audit_create, audit_record, audit_snapshot, audit_update
from domus.core.exceptions import Conflict, NotFound, ValidationFailed
from domus.inventory import selectors
from domus.inventory.models import Category, PriceLog, Product, SparePart, Subcategory, Variant

PRICED = {Product: "product", Variant: "variant", SparePart: "spare"}
Clean = Callable[[dict[str, Any], models.Model | None], None]


def unique_slug(model: type[models.Model], name: str) -> str:
    """A slug of ``name`` that keeps its letters in any script ("Ковер" -> "ковер"), made
    unique with -2, -3... ; a name with no letters or digits gets the model's name."""
    base = slugify(name, allow_unicode=True)[:200].strip("-") or model._meta.model_name
    slug, n = base, 1
    while model.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _check_references(model: type[models.Model], data: dict[str, Any]) -> None:
    """Each ``<fk>_id`` given names an existing row; otherwise a 400 naming the field."""
    errors = {}
    for fk in model._meta.concrete_fields:
        given = data.get(fk.attname) if isinstance(fk, models.ForeignKey) else None
        if given is not None and not selectors.rows_exist(fk.related_model, given):
            errors[fk.attname] = [f"No such {fk.related_model._meta.verbose_name}."]
    if errors:
        raise NotFound("A referenced row does not exist.", errors=errors)


def _log_prices(*, actor: Any, row: models.Model, before: dict[str, Any]) -> None:
    kind = PRICED.get(type(row))
    if kind is None:
        return
    currency = getattr(row, "currency", None) or row.product.currency
    now = timezone.now()
    for name in ("cost", "price"):
        old, new = before.get(name), getattr(row, name)
        if (old is None and new is None) or (old is not None and new is not None and Decimal(old) == Decimal(new)):
            continue
        PriceLog.objects.create(
            resource_type=kind,
            resource_id=row.pk,
            field=name,
            old_value=old,
            new_value=new,
            currency=currency,
            changed_by=actor if getattr(actor, "is_authenticated", False) else None,
            created_at=now,
        )


def _save(row: models.Model) -> None:
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError as error:
        raise Conflict(f"This {row._meta.verbose_name} clashes with another one.") from error


@transaction.atomic
def catalog_create(*, actor: Any, model: type[models.Model], data: dict[str, Any], clean: Clean | None = None):
    if clean:
        clean(data, None)
    _check_references(model, data)
    row = model(**data)
    if hasattr(row, "slug"):
        row.slug = unique_slug(model, data["name"])
    _save(row)
    audit_create(actor=actor, instance=row)
    _log_prices(actor=actor, row=row, before={})
    return row


@transaction.atomic
def catalog_update(*, actor: Any, row: models.Model, data: dict[str, Any], clean: Clean | None = None):
    """Change ``row``; ``data`` may repeat the slug but never change it (a 400)."""
    slug = data.pop("slug", None)
    if slug is not None and slug != row.slug:
        raise ValidationFailed("The slug cannot change.", errors={"slug": ["The slug cannot change."]})
    if clean:
        clean(data, row)
    _check_references(type(row), data)
    before = audit_snapshot(row)
    for name, value in data.items():
        setattr(row, name, value)
    _save(row)
    audit_update(actor=actor, instance=row, before=before)
    _log_prices(actor=actor, row=row, before=before)
    return row


@transaction.atomic
def catalog_delete(*, actor: Any, row: models.Model) -> None:
    snapshot = audit_snapshot(row)
    try:
        with transaction.atomic():
            row.delete()
    except (ProtectedError, IntegrityError) as error:
        raise Conflict(f"This {row._meta.verbose_name} is still in use.") from error
    audit_record(
        actor=actor,
        action="delete",
        resource_type=row._meta.label_lower,
        resource_id=snapshot["id"],
        changes={key: {"before": value, "after": None} for key, value in snapshot.items()},
    )


# What particular resources check before a write ----------------------------------------------------


def product_clean(data: dict[str, Any], row: models.Model | None) -> None:
    """A product's subcategory, category and department agree; a subcategory given alone
    brings its category and department."""
    _check_references(Product, data)
    merged = {
        name: data[name] if name in data else getattr(row, name, None)
        for name in ("department_id", "category_id", "subcategory_id")
    }
    errors: dict[str, list[str]] = {}
    if merged["subcategory_id"]:
        sub = Subcategory.objects.select_related("category").get(pk=merged["subcategory_id"])
        if "category_id" not in data or data["category_id"] is None:
            data["category_id"] = merged["category_id"] = merged["category_id"] or sub.category_id
        if merged["category_id"] != sub.category_id:
            errors["subcategory_id"] = ["Not a subcategory of this category."]
        if not merged["department_id"]:
            data["department_id"] = merged["department_id"] = sub.category.department_id
    if merged["category_id"] and not errors:
        department_id = Category.objects.filter(pk=merged["category_id"]).values_list("department_id", flat=True).get()
        if not merged["department_id"]:
            data["department_id"] = merged["department_id"] = department_id
        if merged["department_id"] != department_id:
            errors["category_id"] = ["Not a category of this department."]
    if errors:
        raise ValidationFailed("The taxonomy does not agree.", errors=errors)


def spare_clean(data: dict[str, Any], row: models.Model | None) -> None:
    """A spare's variant belongs to its product (a variant alone brings its product)."""
    _check_references(SparePart, data)
    variant_id = data["variant_id"] if "variant_id" in data else getattr(row, "variant_id", None)
    if variant_id:
        product_id = Variant.objects.filter(pk=variant_id).values_list("product_id", flat=True).get()
        given = data["product_id"] if "product_id" in data else getattr(row, "product_id", None)
        if given is None:
            data["product_id"] = product_id
        elif given != product_id:
            raise ValidationFailed(
                "The variant is another product's.", errors={"variant_id": ["Not a variant of this product."]}
            )
