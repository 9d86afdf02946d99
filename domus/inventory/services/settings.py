"""The inventory settings of a company, and serial numbers registered by hand."""

from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction

from domus.audit.services import audit_create, audit_record, audit_snapshot, audit_update
from domus.core.exceptions import Conflict, NotFound, ValidationFailed
from domus.inventory import selectors
from domus.inventory.models import InventoryConfig, Serial, SerialStatus


@transaction.atomic
def config_save(*, actor: Any, company_id: UUID, data: dict[str, Any]) -> InventoryConfig:
    """Replace the company's settings. The valuation method is fixed once the company has
    ledger rows (values already posted were measured the other way)."""
    config = InventoryConfig.objects.select_for_update().filter(company_id=company_id).first()
    current = config or InventoryConfig(company_id=company_id)
    if data["valuation_method"] != current.valuation_method and selectors.company_has_ledger(company_id):
        raise Conflict(
            "The valuation method cannot change once stock has been posted.",
            errors={"valuation_method": [f"Stays {current.valuation_method}."]},
        )
    if data.get("default_branch_id") is not None:
        selectors.branch_company_id(
            actor=actor, branch_id=data["default_branch_id"], company_id=company_id, field="default_branch_id"
        )
    before = audit_snapshot(current) if config else None
    for name, value in data.items():
        setattr(current, name, value)
    current.save()
    if before is None:
        audit_create(actor=actor, instance=current, company_id=company_id)
    else:
        audit_update(actor=actor, instance=current, before=before, company_id=company_id)
    return current


@transaction.atomic
def serial_register(*, actor: Any, data: dict[str, Any]) -> Serial:
    """A serial number known before its part arrives (a receipt naming it puts it in stock)."""
    part = selectors.parts_by_id([data["part_id"]]).get(data["part_id"])
    if part is None:
        raise NotFound("Unknown part.", errors={"part_id": ["No such spare part."]})
    if not part.is_serialized:
        raise ValidationFailed("The part has no serial numbers.", errors={"part_id": ["Not a serialized part."]})
    company_id = selectors.company_for(actor, data.pop("company_id", None))
    data["fitted_to_type"] = data.get("fitted_to_type") or ""
    try:
        with transaction.atomic():
            serial = Serial.objects.create(company_id=company_id, status=SerialStatus.REGISTERED, **data)
    except IntegrityError as error:
        raise Conflict("This serial number is registered for this part already.") from error
    audit_create(actor=actor, instance=serial, company_id=company_id)
    return serial


@transaction.atomic
def serial_update(*, actor: Any, serial: Serial, data: dict[str, Any]) -> Serial:
    before = audit_snapshot(serial)
    if "fitted_to_type" in data:
        data["fitted_to_type"] = data["fitted_to_type"] or ""
    for name, value in data.items():
        setattr(serial, name, value)
    if bool(serial.fitted_to_type) != bool(serial.fitted_to_id):
        raise ValidationFailed(
            "Where it is fitted needs both parts.",
            errors={"fitted_to_id": ["fitted_to_type and fitted_to_id go together."]},
        )
    serial.save()
    audit_update(actor=actor, instance=serial, before=before, company_id=serial.company_id)
    return serial


@transaction.atomic
def serial_delete(*, actor: Any, serial: Serial) -> None:
    """Only a serial that never entered stock may go; others are part of the ledger's story."""
    if serial.status != SerialStatus.REGISTERED or serial.last_entry_id is not None:
        raise Conflict("A serial that has moved with stock cannot be deleted.")
    audit_record(
        actor=actor,
        action="delete",
        resource_type="inventory.serial",
        resource_id=serial.pk,
        company_id=serial.company_id,
    )
    serial.delete()
