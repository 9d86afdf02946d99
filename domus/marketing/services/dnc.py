"""The do-not-contact list: per channel or every channel, by address or by lead."""

from typing import Any
from uuid import UUID

from django.db import transaction

from domus.audit.services import audit_create, audit_record
from domus.communications.addresses import normalize_address
from domus.core.exceptions import ValidationFailed
from domus.crm.selectors import company_leads
from domus.marketing.models import DoNotContact
from domus.marketing.services.common import company_for


def _normalised(channel: str, address: str) -> str:
    address = address.strip()
    if not address:
        return ""
    if channel:
        return normalize_address(channel, address)
    return normalize_address("email" if "@" in address else "sms", address)


@transaction.atomic
def dnc_add(
    *,
    actor: Any,
    channel: str = "",
    address: str = "",
    lead_id: UUID | None = None,
    reason: str = "",
    company_id: UUID | None = None,
    company_known: bool = False,
) -> tuple[DoNotContact, bool]:
    """Put an address or a lead on the company's do-not-contact list (``channel`` blank:
    every channel). The lead's nurturing walks end (opt-out). Answers ``(entry, created)``."""
    from domus.marketing.services.sequences import enrolments_exit_for_lead

    company_id = company_id if company_known else company_for(actor, company_id)
    channel = channel or ""
    normalised = _normalised(channel, address)
    if address.strip() and len(normalised) < 3:
        raise ValidationFailed("Bad address.", errors={"address": ["Not an e-mail, phone number or chat id."]})
    if lead_id is not None and not company_leads(company_id).filter(pk=lead_id).exists():
        raise ValidationFailed("Unknown lead.", errors={"lead_id": ["Not a lead of this company."]})
    lookup = {"company_id": company_id, "channel": channel}
    lookup.update({"address": normalised} if normalised else {"lead_id": lead_id, "address": ""})
    entry, created = DoNotContact.objects.get_or_create(
        **lookup,
        defaults={
            "reason": reason,
            "created_by": actor if getattr(actor, "is_authenticated", False) else None,
            "lead_id": lead_id,
        },
    )
    if created:
        audit_create(actor=actor, instance=entry, company_id=company_id)
    lead_ids = [lead_id] if lead_id else []
    if normalised:
        field = "email" if "@" in normalised else "phone"
        lead_ids += list(company_leads(company_id).filter(**{field: normalised}).values_list("id", flat=True))
    for lid in set(lead_ids):
        enrolments_exit_for_lead(lead_id=lid, reason="opt_out")
    return entry, created


@transaction.atomic
def dnc_remove(*, actor: Any, entry: DoNotContact) -> None:
    audit_record(
        actor=actor,
        action="delete",
        resource_type=DoNotContact._meta.label_lower,
        resource_id=entry.pk,
        company_id=entry.company_id,
        changes={
            "address": {"before": entry.address, "after": None},
            "channel": {"before": entry.channel, "after": None},
        },
    )
    entry.delete()
