"""Offers, contracts, deals with status history, and commissions."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from domus.core.models import BaseModel, SoftDeleteModel
from domus.core.money import currency_field, money_field


class OfferStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    COUNTERED = "countered", "Countered"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"
    EXPIRED = "expired", "Expired"


OPEN_OFFER_STATUSES = (OfferStatus.PENDING,)


class OfferParty(models.TextChoices):
    BUYER = "buyer", "Buyer"
    SELLER = "seller", "Seller"


class Offer(BaseModel):
    """An amount offered for a listing (or one of its units). A counter-offer is a new row
    whose ``parent`` is the offer it answers, so the chain keeps every step."""

    company = models.ForeignKey("organizations.Company", on_delete=models.PROTECT, related_name="sales_offers")
    listing = models.ForeignKey("properties.Listing", on_delete=models.PROTECT, related_name="sales_offers")
    unit = models.ForeignKey(
        "properties.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="sales_offers"
    )
    client = models.ForeignKey("crm.Client", null=True, blank=True, on_delete=models.SET_NULL, related_name="offers")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="sales_offers"
    )
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="counters")
    made_by = models.CharField(max_length=10, choices=OfferParty.choices, default=OfferParty.BUYER)
    amount = money_field()
    currency = currency_field()
    conditions = models.TextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=OfferStatus.choices, default=OfferStatus.PENDING)
    responded_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(BaseModel.Meta):
        indexes = [
            models.Index(fields=["company", "-created_at"], name="offer_company_created"),
            models.Index(fields=["listing", "status"], name="offer_listing_status"),
            models.Index(fields=["status", "expires_at"], name="offer_status_expires"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="offer_amount_positive"),
            models.CheckConstraint(condition=Q(status__in=OfferStatus.values), name="offer_status_valid"),
            models.CheckConstraint(condition=Q(made_by__in=OfferParty.values), name="offer_made_by_valid"),
            # At most one accepted offer for a whole listing, and one for each unit.
            models.UniqueConstraint(
                fields=["listing"],
                condition=Q(status="accepted", unit__isnull=True),
                name="offer_one_accepted_per_listing",
            ),
            models.UniqueConstraint(
                fields=["unit"], condition=Q(status="accepted", unit__isnull=False), name="offer_one_accepted_per_unit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} on {self.listing_id} ({self.status})"


class ContractKind(models.TextChoices):
    SALE = "sale", "Sale"
    LEASE = "lease", "Lease"


class ContractStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    SIGNED = "signed", "Signed"
    VOID = "void", "Void"


class Contract(SoftDeleteModel):
    """The agreement drawn from an accepted offer. Once signed it never changes: the
    SHA-256 of its document is recorded with who signed, when and from where."""

    company = models.ForeignKey("organizations.Company", on_delete=models.PROTECT, related_name="sales_contracts")
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="contracts")
    listing = models.ForeignKey("properties.Listing", on_delete=models.PROTECT, related_name="sales_contracts")
    kind = models.CharField(max_length=10, choices=ContractKind.choices, default=ContractKind.SALE)
    title = models.CharField(max_length=200)
    parties = models.JSONField(default=list, help_text='[{"role": "buyer", "name": "...", "email": "..."}]')
    terms = models.TextField(blank=True)
    price = money_field()
    currency = currency_field()
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    completion_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=ContractStatus.choices, default=ContractStatus.DRAFT)
    sent_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_ip = models.GenericIPAddressField(null=True, blank=True)
    document = models.FileField(upload_to="contracts/%Y/%m/", blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(SoftDeleteModel.Meta):
        indexes = [models.Index(fields=["company", "-created_at"], name="contract_company_created")]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="contract_price_not_negative"),
            models.CheckConstraint(condition=Q(status__in=ContractStatus.values), name="contract_status_valid"),
            models.CheckConstraint(condition=Q(kind__in=ContractKind.values), name="contract_kind_valid"),
            models.CheckConstraint(
                condition=~Q(status="signed")
                | (Q(signed_at__isnull=False, signed_by__isnull=False) & ~Q(document_sha256="")),
                name="contract_signed_has_signature",
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="contract_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"


class DealStatus(models.TextChoices):
    LEAD = "lead", "Lead"
    VIEWING = "viewing", "Viewing"
    OFFER = "offer", "Offer"
    UNDER_CONTRACT = "under_contract", "Under contract"
    CLOSED_WON = "closed_won", "Closed won"
    CLOSED_LOST = "closed_lost", "Closed lost"


DEAL_TRANSITIONS: dict[str, tuple[str, ...]] = {
    DealStatus.LEAD: (DealStatus.VIEWING, DealStatus.OFFER, DealStatus.CLOSED_LOST),
    DealStatus.VIEWING: (DealStatus.OFFER, DealStatus.CLOSED_LOST),
    DealStatus.OFFER: (DealStatus.VIEWING, DealStatus.UNDER_CONTRACT, DealStatus.CLOSED_LOST),
    DealStatus.UNDER_CONTRACT: (DealStatus.OFFER, DealStatus.CLOSED_WON, DealStatus.CLOSED_LOST),
    DealStatus.CLOSED_WON: (),
    DealStatus.CLOSED_LOST: (),
}
CLOSED_DEAL_STATUSES = (DealStatus.CLOSED_WON, DealStatus.CLOSED_LOST)


class Deal(BaseModel):
    """A sale or letting moving through the pipeline (the CRM's "transactions")."""

    company = models.ForeignKey("organizations.Company", on_delete=models.PROTECT, related_name="sales_deals")
    listing = models.ForeignKey("properties.Listing", on_delete=models.PROTECT, related_name="sales_deals")
    unit = models.ForeignKey("properties.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey("crm.Client", null=True, blank=True, on_delete=models.SET_NULL, related_name="deals")
    lead = models.ForeignKey("crm.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="deals")
    offer = models.ForeignKey(Offer, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals")
    contract = models.ForeignKey(Contract, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals")
    title = models.CharField(max_length=200, blank=True)
    amount = money_field()
    currency = currency_field()
    commission_rate = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, help_text="Percent; blank: the agent's rate."
    )
    listing_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    selling_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=20, choices=DealStatus.choices, default=DealStatus.LEAD)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(BaseModel.Meta):
        indexes = [
            models.Index(fields=["company", "status", "-created_at"], name="deal_company_status"),
            models.Index(fields=["selling_agent", "-created_at"], name="deal_selling_agent"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="deal_amount_not_negative"),
            models.CheckConstraint(condition=Q(status__in=DealStatus.values), name="deal_status_valid"),
            models.CheckConstraint(
                condition=Q(commission_rate__isnull=True) | Q(commission_rate__gte=0, commission_rate__lte=100),
                name="deal_commission_rate_range",
            ),
            # One sale (an accepted offer, or the signed contract drawn from it) closes one deal.
            models.UniqueConstraint(fields=["offer"], condition=Q(status="closed_won"), name="deal_one_won_per_offer"),
        ]

    def __str__(self) -> str:
        return f"{self.title or self.listing_id} ({self.status})"

    def allowed_next_statuses(self) -> list[str]:
        return [str(s) for s in DEAL_TRANSITIONS.get(self.status, ())]


class DealStatusChange(models.Model):
    """One move of a deal: who, when, from, to and why (the CRM's ``transaction_history``)."""

    id = models.BigAutoField(primary_key=True)
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    note = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [models.Index(fields=["deal", "changed_at"], name="deal_history_deal_time")]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.from_status or '-'} -> {self.to_status}"


class CommissionRole(models.TextChoices):
    LISTING_AGENT = "listing_agent", "Listing agent"
    SELLING_AGENT = "selling_agent", "Selling agent"
    COMPANY = "company", "Company"


class CommissionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    PAID = "paid", "Paid"


class Commission(BaseModel):
    """One share of a closed deal's commission."""

    company = models.ForeignKey("organizations.Company", on_delete=models.PROTECT, related_name="sales_commissions")
    deal = models.ForeignKey(Deal, on_delete=models.PROTECT, related_name="commissions")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="sales_commissions"
    )
    role = models.CharField(max_length=20, choices=CommissionRole.choices)
    rate = models.DecimalField(max_digits=5, decimal_places=2, help_text="Commission rate of the deal, percent.")
    share = models.DecimalField(max_digits=5, decimal_places=2, help_text="This row's share of it, percent.")
    amount = money_field()
    currency = currency_field()
    status = models.CharField(max_length=10, choices=CommissionStatus.choices, default=CommissionStatus.PENDING)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta(BaseModel.Meta):
        indexes = [
            models.Index(fields=["company", "status", "-created_at"], name="commission_company_status"),
            models.Index(fields=["agent", "-created_at"], name="commission_agent_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="commission_amount_not_negative"),
            models.CheckConstraint(condition=Q(status__in=CommissionStatus.values), name="commission_status_valid"),
            models.CheckConstraint(condition=Q(role__in=CommissionRole.values), name="commission_role_valid"),
            models.UniqueConstraint(fields=["deal", "role"], name="commission_one_per_deal_role"),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(approved_at__isnull=False), name="commission_approved_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(paid_at__isnull=False), name="commission_paid_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.amount} {self.currency} ({self.status})"
