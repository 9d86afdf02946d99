"""Every write of the CRM: clients, leads (dedupe, round-robin, scoring), activities, capture."""

from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from django.db import connection, transaction
from django.utils import timezone

from domus.accounts.selectors import active_user, active_user_for_field
from domus.audit.services import (
    audit_create,
    audit_snapshot,
    audit_update,
    audited_rows,
    creation_member,
    insert_audited,
)
from domus.core.events import actor_id, event_payload, publish
from domus.core.exceptions import NotFound, UnknownReference, ValidationFailed, reject_unknown_fields
from domus.core.money import quantize
from domus.core.phones import normalize_phone
from domus.core.policies import is_admin
from domus.crm import selectors
from domus.crm.models import (
    LEAD_STAGES,
    Client,
    Lead,
    LeadActivity,
    LeadActivityKind,
    LeadSource,
    LeadStatus,
)
from domus.crm.scoring import ScoreInput, score_lead
from domus.organizations.selectors import (
    COMPANY_WORKER_ROLES,
    company_exists,
    company_roles,
    platform_default_company_id,
    user_company_role,
)
from domus.properties.selectors import listing_get_for_actor

LEAD_CAPTURED = "lead.captured"
LEAD_ASSIGNED = "lead.assigned"
LEAD_CHANGED = "lead.changed"
CLIENT_FIELDS = frozenset(
    {
        "kind",
        "name",
        "organization_name",
        "email",
        "phone",
        "budget_min",
        "budget_max",
        "currency",
        "locations",
        "property_types",
        "bedrooms_min",
        "tags",
        "notes",
    }
)
LEAD_FIELDS = frozenset({"name", "email", "phone", "message", "budget_min", "budget_max", "lost_reason"})


def _event(name: str, *, row: Any, company_id: UUID | None, actor: Any, recipients: list[Any]) -> None:
    publish(name, event_payload(row, actor=actor, recipients=recipients, company_id=company_id))


def _changed(lead: Lead, *, activity: str = "") -> None:
    """Tell other apps (marketing's segments and sequences) that a lead changed."""
    publish(
        LEAD_CHANGED,
        {"id": str(lead.pk), "company_id": str(lead.company_id), "status": lead.status, "activity": activity},
    )


def _money(value: Decimal | None) -> Decimal | None:
    return quantize(value) if value is not None else None


def _check_budget(budget_min: Decimal | None, budget_max: Decimal | None) -> None:
    if budget_min is not None and budget_max is not None and budget_min > budget_max:
        raise ValidationFailed("Invalid budget.", errors={"budget_min": ["Must not be above budget_max."]})


def _worker_of(company_id: UUID, user_id: UUID, field: str) -> Any:
    """The active user ``user_id`` when they work for the company (agent, staff, branch head)."""
    user = active_user(user_id)
    if user is None or user_company_role(user, company_id) not in COMPANY_WORKER_ROLES:
        raise UnknownReference("Unknown agent.", errors={field: ["Not an active agent or staff of this company."]})
    return user


def _company_of(actor: Any, company_id: UUID | None, roles: dict[UUID, str] | None = None) -> UUID:
    """The company a new client or lead belongs to: the one given (the actor must work for
    it), else the actor's only company. ``roles``: the actor's ``company_roles`` when the
    caller has read them already (no query then)."""
    if company_id is None:
        known = roles if roles is not None else company_roles(actor)
        roles = {cid: role for cid, role in known.items() if role in COMPANY_WORKER_ROLES}
        if len(roles) != 1:
            raise ValidationFailed("Which company?", errors={"company_id": ["Required: you work for several or none."]})
        return next(iter(roles))
    # A membership is only active in a live company: the role alone says it exists.
    if is_admin(actor):
        works_there = company_exists(company_id)
    else:
        role = roles.get(company_id) if roles is not None else user_company_role(actor, company_id)
        works_there = role in COMPANY_WORKER_ROLES
    if not works_there:
        raise UnknownReference("Unknown company.", errors={"company_id": ["Not a company you work for."]})
    return company_id


# Clients -------------------------------------------------------------------------------


@transaction.atomic
def client_create(
    *,
    actor: Any,
    name: str,
    company_id: UUID | None = None,
    assigned_agent_id: UUID | None = None,
    user_id: UUID | None = None,
    **fields: Any,
) -> Client:
    """Create a client of the actor's company; an agent creating one becomes its agent."""
    reject_unknown_fields(fields, CLIENT_FIELDS, "client")
    company_id = _company_of(actor, company_id)
    client = Client(company_id=company_id, name=name.strip(), **{k: v for k, v in fields.items() if v is not None})
    client.email = (client.email or "").lower()
    client.phone = normalize_phone(client.phone)
    client.budget_min, client.budget_max = _money(client.budget_min), _money(client.budget_max)
    _check_budget(client.budget_min, client.budget_max)
    if assigned_agent_id is not None:
        client.assigned_agent = _worker_of(company_id, assigned_agent_id, "assigned_agent_id")
    elif user_company_role(actor, company_id) == "agent":
        client.assigned_agent = actor
    if user_id is not None:
        client.user = active_user_for_field(user_id, field="user_id")
    client.save()
    audit_create(actor=actor, instance=client, company_id=company_id)
    return client


@transaction.atomic
def client_update(*, actor: Any, client: Client, **fields: Any) -> Client:
    """Change a client's attributes, preferences or assigned agent."""
    assigned_given = "assigned_agent_id" in fields
    assigned_agent_id = fields.pop("assigned_agent_id", None)
    user_given = "user_id" in fields
    user_id = fields.pop("user_id", None)
    reject_unknown_fields(fields, CLIENT_FIELDS, "client")
    client = Client.objects.select_for_update().get(pk=client.pk)
    before = audit_snapshot(client)
    for name, value in fields.items():
        if value is None and name not in {"budget_min", "budget_max", "bedrooms_min"}:
            raise ValidationFailed("Invalid value.", errors={name: ["May not be null."]})
        setattr(client, name, value)
    client.email = (client.email or "").lower()
    client.phone = normalize_phone(client.phone)
    client.budget_min, client.budget_max = _money(client.budget_min), _money(client.budget_max)
    _check_budget(client.budget_min, client.budget_max)
    if assigned_given:
        client.assigned_agent = (
            _worker_of(client.company_id, assigned_agent_id, "assigned_agent_id") if assigned_agent_id else None
        )
    if user_given:
        client.user = active_user_for_field(user_id, field="user_id") if user_id else None
    client.save()
    audit_update(actor=actor, instance=client, before=before, company_id=client.company_id)
    return client


# Leads ---------------------------------------------------------------------------------


def _rescore(lead: Lead) -> None:
    """Recompute the lead's score and breakdown in memory (the caller saves)."""
    now = timezone.now()
    listing = lead.listing if lead.listing_id else None
    data = ScoreInput(
        source=lead.source,
        name=lead.name,
        email=lead.email,
        phone=lead.phone,
        message=lead.message,
        budget_min=lead.budget_min,
        budget_max=lead.budget_max,
        listing_price=listing.price if listing is not None else None,
        activity_count=lead.activity_count,
        last_touch_at=lead.last_activity_at or lead.created_at or now,
    )
    lead.score, lead.score_breakdown = score_lead(data, now=now)
    lead.scored_at = now


def _set_status(lead: Lead, status: str, lost_reason: str | None) -> None:
    if status == LeadStatus.LOST:
        reason = (lost_reason if lost_reason is not None else lead.lost_reason).strip()
        if not reason:
            raise ValidationFailed("A lost lead needs a reason.", errors={"lost_reason": ["Required when lost."]})
        lead.lost_reason = reason
    else:
        lead.lost_reason = ""
        lead.stage_reached = max(lead.stage_reached, LEAD_STAGES.index(status))
    lead.status = status


def _listing_for(actor: Any, listing_id: UUID, company_id: UUID | None) -> Any:
    try:
        listing = listing_get_for_actor(actor=actor, listing_id=listing_id)
    except NotFound:
        raise UnknownReference("Unknown listing.", errors={"listing_id": ["No such listing."]}) from None
    if company_id is not None and listing.company_id != company_id:
        raise UnknownReference("Unknown listing.", errors={"listing_id": ["Not a listing of this company."]})
    return listing


def _merge(lead: Lead, *, capture: dict[str, Any]) -> None:
    """Update an existing lead with a new capture of the same person: the newer e-mail
    and phone win (so the next capture by either finds this lead), the message is
    appended, other gaps are filled."""
    if not lead.name and capture["name"]:
        lead.name = capture["name"]
    for field in ("email", "phone"):
        if capture[field]:
            setattr(lead, field, capture[field])
    if capture["message"]:
        lead.message = f"{lead.message}\n\n{capture['message']}".strip()
    for field in ("listing", "client", "user", "budget_min", "budget_max"):
        if getattr(lead, field) is None and capture[field] is not None:
            setattr(lead, field, capture[field])
    if capture["preferred_call_at"] is not None:
        lead.preferred_call_at = capture["preferred_call_at"]
    if lead.budget_min is not None and lead.budget_max is not None and lead.budget_min > lead.budget_max:
        lead.budget_min, lead.budget_max = lead.budget_max, lead.budget_min
    if lead.status == LeadStatus.LOST:
        # A lost lead who gets in touch again is back in play.
        lead.status, lead.lost_reason = LeadStatus.NEW, ""
    lead.merged_count += 1


def lead_create(
    *,
    actor: Any,
    company_id: UUID,
    name: str,
    email: str = "",
    phone: str = "",
    message: str = "",
    source: str = LeadSource.MANUAL,
    listing: Any = None,
    client_id: UUID | None = None,
    user: Any = None,
    assigned_agent_id: UUID | None = None,
    budget_min: Decimal | None = None,
    budget_max: Decimal | None = None,
    preferred_call_at: Any = None,
) -> tuple[Lead, bool]:
    """Create a lead, or merge it into the company's lead with the same e-mail or phone.
    Unassigned leads go round-robin to the company's active agents. Answers the lead and
    whether it is new.

    On PostgreSQL, outside a caller's transaction, a new person's lead is written in one
    statement (the person's locks, the duplicate check, the round-robin turn, the lead
    and its audit row: ``selectors.lead_insert_unless_duplicate``); when it finds a
    duplicate it writes nothing and the merge runs in a transaction of its own."""
    email = (email or "").strip().lower()
    phone = normalize_phone(phone)
    budget_min, budget_max = _money(budget_min), _money(budget_max)
    _check_budget(budget_min, budget_max)
    client = None
    if client_id is not None:
        client = selectors.client_for_company(client_id=client_id, company_id=company_id)
        if client is None:
            raise UnknownReference("Unknown client.", errors={"client_id": ["Not a client of this company."]})
    agent = _worker_of(company_id, assigned_agent_id, "assigned_agent_id") if assigned_agent_id else None
    capture = {
        "name": name.strip(),
        "email": email,
        "phone": phone,
        "message": message,
        "listing": listing,
        "client": client,
        "user": user,
        "budget_min": budget_min,
        "budget_max": budget_max,
        "preferred_call_at": preferred_call_at,
    }
    if (email or phone) and connection.vendor == "postgresql" and not connection.in_atomic_block:
        lead = _new_lead(company_id=company_id, source=source, capture=capture, agent=agent)
        if _insert_unless_duplicate(actor=actor, lead=lead, take_turn=agent is None):
            _announce(lead, actor=actor, assigned=lead.assigned_agent_id is not None)
            return lead, True
    return _create_or_merge(actor=actor, company_id=company_id, source=source, capture=capture, agent=agent)


def _new_lead(*, company_id: UUID, source: str, capture: dict[str, Any], agent: Any) -> Lead:
    """A new lead's row, scored (not saved)."""
    lead = Lead(company_id=company_id, source=source, created_at=timezone.now(), **capture)
    if agent is not None:
        lead.assigned_agent = agent
    _rescore(lead)
    return lead


def _insert_unless_duplicate(*, actor: Any, lead: Lead, take_turn: bool) -> bool:
    """Write the new ``lead`` with its audit row in one statement, unless the person is
    already a lead of the company (then nothing is written: False). With ``take_turn``
    the round-robin turn taken in that statement gives its agent: a random placeholder
    stands for it in the rows until the statement knows it."""
    placeholder = uuid4()
    if take_turn:
        lead.assigned_agent_id = placeholder
    rows, _ = audited_rows(actor=actor, instance=lead, company_id=lead.company_id)
    identity = selectors.lead_insert_unless_duplicate(
        company_id=lead.company_id,
        email=lead.email,
        phone=lead.phone,
        take_turn=take_turn,
        statement=rows.statement(),
        placeholder=placeholder,
        # No agent: the audit row's changes leave the agent out, as for a lead saved without one.
        null_member=creation_member("assigned_agent", placeholder) if take_turn else "",
    )
    if identity.duplicate_id is not None:
        return False
    rows.saved()
    if take_turn:
        lead.assigned_agent_id = identity.turn_agent_id
    return True


def _announce(lead: Lead, *, actor: Any, assigned: bool) -> None:
    """Tell the agent a lead was given to (when it was), and the other apps."""
    if assigned:
        _event(LEAD_ASSIGNED, row=lead, company_id=lead.company_id, actor=actor, recipients=[lead.assigned_agent_id])
    _changed(lead)


@transaction.atomic
def _create_or_merge(
    *, actor: Any, company_id: UUID, source: str, capture: dict[str, Any], agent: Any
) -> tuple[Lead, bool]:
    """``lead_create`` in a transaction: the person's locks, the duplicate check and a new
    lead's round-robin turn first, then the new lead or the merge."""
    # Captures of one person queue here (so a second one merges); other people's go on.
    # A new lead without a chosen agent takes its round-robin turn in the same statement.
    identity = selectors.lead_identity_lock(
        company_id=company_id, email=capture["email"], phone=capture["phone"], take_turn=agent is None
    )
    if identity.duplicate_id is not None:
        lead = selectors.lead_for_update(identity.duplicate_id)
        before = audit_snapshot(lead)
        _merge(lead, capture=capture)
        created = False
    else:
        lead = Lead(company_id=company_id, source=source, created_at=timezone.now(), **capture)
        before = None
        created = True
    newly_assigned = False
    if agent is not None and lead.assigned_agent_id != agent.pk:
        lead.assigned_agent = agent
        newly_assigned = True
    _rescore(lead)
    if agent is None and lead.assigned_agent_id is None:
        # The round-robin cursor's row lock lasts until commit: moved last, just before
        # the lead's and its audit row's writes, so racing leads wait for those only.
        next_agent_id = identity.turn_agent_id if identity.turn_taken else selectors.assignment_next(company_id)
        if next_agent_id is not None:
            lead.assigned_agent_id = next_agent_id
            newly_assigned = True
    if created:  # the lead and its audit row: one statement on PostgreSQL
        insert_audited(actor=actor, instance=lead, company_id=company_id)
    else:
        lead.save()
        audit_update(actor=actor, instance=lead, before=before, action="merge", company_id=company_id)
    _announce(lead, actor=actor, assigned=newly_assigned)
    return lead, created


def lead_enter(
    *,
    actor: Any,
    company_id: UUID | None = None,
    listing_id: UUID | None = None,
    roles: dict[UUID, str] | None = None,
    **fields: Any,
) -> tuple[Lead, bool]:
    """A lead entered by an agent or staff member of the company (their only one when
    ``company_id`` is left out); see ``lead_create``. ``roles``: the actor's
    ``company_roles``, when the caller read them for its permission check."""
    company_id = _company_of(actor, company_id, roles)
    listing = _listing_for(actor, listing_id, company_id) if listing_id is not None else None
    return lead_create(actor=actor, company_id=company_id, listing=listing, **fields)


def lead_capture(
    *,
    actor: Any,
    source: str,
    name: str,
    email: str | None,
    phone: str,
    message: str,
    listing_id: UUID | None,
    company_id: UUID | None,
    budget_min: Decimal | None = None,
    budget_max: Decimal | None = None,
    preferred_call_at: Any = None,
    agent_id: UUID | None = None,
) -> LeadActivity:
    """A public form: creates or updates the lead of the listing's company (or of
    ``company_id``, else of the platform's default company), records the submission as
    the lead's activity, and tells the assigned agent. Answers the submission (its id is
    the form's reference: the lead's id is never shown to the public, so a form cannot
    tell whether someone was already a lead). ``agent_id`` (the web's form on an agent's
    page) gives a new lead to that agent of the company rather than the next in turn."""
    listing = None
    if listing_id is not None:
        listing = _listing_for(actor, listing_id, None)
        if listing.company_id is None:
            raise UnknownReference("Unknown listing.", errors={"listing_id": ["This listing takes no enquiries."]})
        company_id = listing.company_id
    elif company_id is None:
        company_id = platform_default_company_id()
        if company_id is None:
            raise ValidationFailed(
                "Which company?", errors={"listing_id": ["Give the listing_id or the company_id the message is for."]}
            )
    elif not company_exists(company_id):
        raise UnknownReference("Unknown company.", errors={"company_id": ["No such company."]})
    user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        lead, _ = lead_create(
            actor=user,
            company_id=company_id,
            name=name,
            email=email or "",
            phone=phone,
            message=message,
            source=source,
            listing=listing,
            user=user,
            budget_min=budget_min,
            budget_max=budget_max,
            preferred_call_at=preferred_call_at,
            assigned_agent_id=agent_id,
        )
        submission = lead_activity_create(actor=user, lead=lead, kind=LeadActivityKind.FORM, note=message)
        _event(LEAD_CAPTURED, row=lead, company_id=company_id, actor=user, recipients=[lead.assigned_agent_id])
    return submission


@transaction.atomic
def lead_update(*, actor: Any, lead: Lead, **fields: Any) -> Lead:
    """Change a lead: its data, status (``lost`` needs a reason), listing, client or agent.
    The score is recomputed."""
    status = fields.pop("status", None)
    listing_given = "listing_id" in fields
    listing_id = fields.pop("listing_id", None)
    client_given = "client_id" in fields
    client_id = fields.pop("client_id", None)
    agent_given = "assigned_agent_id" in fields
    agent_id = fields.pop("assigned_agent_id", None)
    reject_unknown_fields(fields, LEAD_FIELDS, "lead")
    lead = selectors.lead_for_update(lead.pk)
    before = audit_snapshot(lead)
    old_agent_id = lead.assigned_agent_id
    for name, value in fields.items():
        if name in {"budget_min", "budget_max"}:
            value = _money(value)
        elif value is None:
            raise ValidationFailed("Invalid value.", errors={name: ["May not be null."]})
        setattr(lead, name, value)
    lead.email = (lead.email or "").lower()
    lead.phone = normalize_phone(lead.phone)
    _check_budget(lead.budget_min, lead.budget_max)
    if status is not None and status != lead.status:
        _set_status(lead, status, fields.get("lost_reason"))
    elif lead.status != LeadStatus.LOST:
        lead.lost_reason = ""
    if listing_given:
        lead.listing = _listing_for(actor, listing_id, lead.company_id) if listing_id else None
    if client_given:
        lead.client = None
        if client_id is not None:
            lead.client = selectors.client_for_company(client_id=client_id, company_id=lead.company_id)
            if lead.client is None:
                raise UnknownReference("Unknown client.", errors={"client_id": ["Not a client of this company."]})
    if agent_given:
        lead.assigned_agent = _worker_of(lead.company_id, agent_id, "assigned_agent_id") if agent_id else None
    _rescore(lead)
    lead.save()
    audit_update(actor=actor, instance=lead, before=before, company_id=lead.company_id)
    if lead.assigned_agent_id is not None and lead.assigned_agent_id != old_agent_id:
        _event(LEAD_ASSIGNED, row=lead, company_id=lead.company_id, actor=actor, recipients=[lead.assigned_agent_id])
    _changed(lead)
    return lead


@transaction.atomic
def lead_activity_create(*, actor: Any, lead: Lead, kind: str, note: str = "") -> LeadActivity:
    """Record a call, e-mail, meeting, viewing or note on a lead; engagement and recency
    feed its score, which is recomputed."""
    lead = selectors.lead_for_update(lead.pk)
    before = audit_snapshot(lead, ["activity_count", "score"])
    activity = LeadActivity.objects.create(lead=lead, kind=kind, note=note, actor=actor if actor_id(actor) else None)
    lead.activity_count += 1
    lead.last_activity_at = activity.created_at
    _rescore(lead)
    lead.save()
    audit_create(actor=actor, instance=activity, company_id=lead.company_id)
    audit_update(actor=actor, instance=lead, before=before, action="activity", company_id=lead.company_id)
    _changed(lead, activity=kind)
    return activity


@transaction.atomic
def lead_rescore(*, lead: Lead) -> Lead:
    """Recompute and store one lead's score (recency decays with time)."""
    lead = selectors.lead_for_update(lead.pk)
    _rescore(lead)
    lead.save(update_fields=["score", "score_breakdown", "scored_at", "updated_at"])
    return lead


@transaction.atomic
def lead_mark_won(*, actor: Any, lead_id: UUID) -> Lead | None:
    """Sales closed a deal of this lead: it is won (the funnel counts it)."""
    lead = Lead.objects.filter(pk=lead_id).first()
    if lead is None or lead.status == LeadStatus.WON:
        return lead
    return lead_update(actor=actor, lead=lead, status=LeadStatus.WON)


def leads_rescore_for_listing(*, listing_id: UUID) -> int:
    """Recompute the scores of the leads linked to a listing (its price moves their budget
    fit); answers how many."""
    count = 0
    for lead in selectors.leads_of_listing(listing_id=listing_id):
        lead_rescore(lead=lead)
        count += 1
    return count


def leads_rescore_stale() -> int:
    """Recompute the scores whose recency points may have decayed since they were stored
    (the nightly job); leads untouched for longer than the recency window never change."""
    count = 0
    for lead in selectors.leads_with_stale_recency():
        lead_rescore(lead=lead)
        count += 1
    return count
