"""Serials fitted at a property: the service API the maintenance side calls once it has
issued serialized parts for a job on a unit or listing. It writes only the fitting
history and the serial's ``fitted_to``; the stock ledger is not touched (the issue entry
already recorded the movement).

    serials_fit(*, actor, entry, serial_numbers, listing_id, unit_id) -> list[SerialFitting]
"""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from domus.audit.services import audit_record
from domus.core.exceptions import Conflict, ValidationFailed
from domus.inventory.models import FittedKind, Serial, SerialFitting, SerialStatus, StockEntry
from domus.inventory.services.stock import StockError


@transaction.atomic
def serials_fit(
    *,
    actor: Any,
    entry: StockEntry,
    part_id: UUID,
    serial_numbers: Sequence[str],
    listing_id: UUID | None,
    unit_id: UUID | None,
) -> list[SerialFitting]:
    """Record that the serials ``entry`` issued are fitted at ``unit_id`` (and its
    listing): each serial's fitting elsewhere ends now, a new one starts here, and the
    serial points at the unit. Serials not issued by ``entry`` are a 409."""
    numbers = list(dict.fromkeys(serial_numbers))
    if not numbers:
        return []
    if listing_id is None and unit_id is None:
        raise ValidationFailed("Fit serials at a unit or a listing.", errors={"unit_id": ["Required."]})
    serials = list(
        Serial.objects.select_for_update()
        .filter(part_id=part_id, serial_number__in=numbers, status=SerialStatus.ISSUED, last_entry=entry)
        .order_by("pk")
    )
    if len(serials) != len(numbers):
        raise Conflict("Some serials were not issued for this job.", errors={"reason": [StockError.SERIAL]})
    now = timezone.now()
    fitted_by = actor if getattr(actor, "is_authenticated", False) else None
    SerialFitting.objects.filter(serial__in=serials, removed_at__isnull=True).update(removed_at=now, updated_at=now)
    rows = SerialFitting.objects.bulk_create(
        SerialFitting(
            serial=serial,
            part_id=part_id,
            company_id=entry.company_id,
            listing_id=listing_id,
            unit_id=unit_id,
            job_id=entry.job_id,
            entry=entry,
            fitted_at=now,
            fitted_by=fitted_by,
        )
        for serial in serials
    )
    if unit_id is not None:
        Serial.objects.filter(pk__in=[s.pk for s in serials]).update(
            fitted_to_type=FittedKind.UNIT, fitted_to_id=unit_id, updated_at=now
        )
    audit_record(
        actor=actor,
        action="fit",
        resource_type=SerialFitting._meta.label_lower,
        resource_id=str(entry.pk),
        changes={
            "serials": {"before": None, "after": sorted(s.serial_number for s in serials)},
            "unit_id": {"before": None, "after": str(unit_id) if unit_id else None},
            "listing_id": {"before": None, "after": str(listing_id) if listing_id else None},
        },
        company_id=entry.company_id,
    )
    return rows
