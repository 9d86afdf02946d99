"""Reads of clients and leads, each scoped to what the actor may see, and the pipeline stats."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Avg, Case, Count, IntegerField, Q, QuerySet, UUIDField, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from domus.core.compiled import ParamQuery
from domus.core.exceptions import NotFound
from domus.core.filtering import filter_list, first_instant, last_instant
from domus.core.locks import after_locks, lock_key, write_after_locks
from domus.core.policies import is_admin
from domus.core.roles import Role
from domus.core.scope import Period, Scope, rollup_rows
from domus.crm.models import LEAD_STAGES, AssignmentCursor, Client, Lead, LeadActivity, LeadSource, LeadStatus
from domus.crm.schemas import ClientFilters, LeadFilters, StatsFilters
from domus.crm.scoring import RECENCY_WINDOW
from domus.organizations.selectors import (
    COMPANY_STAFF_ROLES,
    company_member_user_ids,
    company_roles,
    staff_company_ids,
)

SCORE_BUCKETS: tuple[tuple[int, int], ...] = ((0, 19), (20, 39), (40, 59), (60, 79), (80, 100))


@dataclass(frozen=True)
class LeadContact:
    """How to reach a lead (communications uses it); ``user_id`` is None when the lead has no account."""

    id: UUID
    name: str
    email: str
    phone: str
    company_id: UUID
    user_id: UUID | None


# Tenancy -------------------------------------------------------------------------------


def _authenticated(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False))


def _company_agents(company_id: UUID) -> QuerySet:
    """Active users holding an active agent membership of the company, in a stable order."""
    return (
        get_user_model()
        .objects.filter(is_active=True, id__in=company_member_user_ids(company_id, [Role.AGENT]))
        .order_by("id")
    )


@dataclass(frozen=True)
class LeadIdentity:
    """What ``lead_identity_lock`` read: the lead a capture merges into (None: a new
    lead), and, when it also took the new lead's round-robin turn, the agent the turn
    gave (None for a company without active agents)."""

    duplicate_id: UUID | None
    turn_taken: bool = False
    turn_agent_id: UUID | None = None


def lead_identity_lock(*, company_id: UUID, email: str, phone: str, take_turn: bool = False) -> LeadIdentity:
    """Serialise, until commit, the captures of one person in one company, and answer
    the lead a new capture of them merges into: the company's newest lead with this
    e-mail or phone, read once the locks are held, so it sees every capture of the person
    committed before. On PostgreSQL a transaction advisory lock per e-mail and per phone
    given (taken in a fixed order), so two captures that could merge into each other
    queue while captures of other people run side by side; the locks and the read are
    one statement (``domus.core.locks``), and with ``take_turn`` a capture that finds no
    duplicate moves the round-robin cursor in it too (``assignment_next``'s upsert, whose
    row lock then lasts until commit: the caller's next write should be its last).
    Without e-mail and phone there is nothing to merge into: no lock, no read. SQLite
    writes one transaction at a time by itself: the read alone. The read is compiled
    once per shape (with e-mail, phone or both: ``domus.core.compiled``)."""
    if not email and not phone:
        return LeadIdentity(None)
    if connection.vendor != "postgresql":
        found = _DUPLICATE[bool(email), bool(phone)].values(**_identity_values(company_id, email, phone))
        return LeadIdentity(found[0][0] if found else None)
    keys, read = _identity_read(company_id, email, phone, take_turn=take_turn)
    guarded, params = after_locks(keys, *read)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {guarded}", params)
        (answer,) = cursor.fetchone()
    return _identity(answer, take_turn=take_turn)


def lead_insert_unless_duplicate(
    *,
    company_id: UUID,
    email: str,
    phone: str,
    take_turn: bool,
    statement: tuple[str, list[Any]],
    placeholder: UUID,
    null_member: str = "",
) -> LeadIdentity:
    """``lead_identity_lock`` and, when the person is no lead of the company yet, the new
    lead's ``statement`` (its row and its audit row), in one statement outside any
    transaction (``domus.core.locks.write_after_locks``): a new lead is one round trip,
    atomic, and its locks last until it ends. With ``take_turn`` the round-robin turn's
    agent (or NULL, ``null_member`` then taken out of the audit row's changes) replaces
    ``placeholder`` in the rows. Nothing is written when a
    duplicate is found: the caller merges in a transaction. PostgreSQL only, with an
    e-mail or a phone."""
    keys, read = _identity_read(company_id, email, phone, take_turn=take_turn)
    return _identity(write_after_locks(keys, read, statement, placeholder, null_member), take_turn=take_turn)


def _identity_values(company_id: UUID, email: str, phone: str) -> dict[str, Any]:
    return {"company": company_id} | ({"email": email} if email else {}) | ({"phone": phone} if phone else {})


def _identity_read(
    company_id: UUID, email: str, phone: str, *, take_turn: bool
) -> tuple[list[int], tuple[str, list[Any]]]:
    """The person's advisory lock keys (sorted) and the read that follows them: the
    duplicate's id as ``"d:<id>"``, else ``"a:"`` followed, with ``take_turn``, by the
    agent the round-robin turn gave (nothing for a company without active agents)."""
    identity = (("email", email), ("phone", phone))
    keys = sorted({lock_key("crm.lead", company_id, kind, value) for kind, value in identity if value})
    read, params = _DUPLICATE[bool(email), bool(phone)].sql(**_identity_values(company_id, email, phone))
    turn, turn_params = "SELECT NULL::uuid AS last_agent_id", []
    if take_turn:
        turn, turn_params = _turn_sql(company_id, when="NOT EXISTS (SELECT 1 FROM duplicate)")
    read = (
        f"WITH duplicate (id) AS ({read}), turn AS ({turn}) "  # noqa: S608 - compiled SQL, values bound
        "SELECT COALESCE('d:' || (SELECT id FROM duplicate)::text, "
        "'a:' || (SELECT last_agent_id FROM turn)::text, 'a:')"
    )
    return keys, (read, [*params, *turn_params])


def _identity(answer: str, *, take_turn: bool) -> LeadIdentity:
    kind, _, found = answer.partition(":")
    if kind == "d":
        return LeadIdentity(UUID(found))
    return LeadIdentity(None, turn_taken=take_turn, turn_agent_id=UUID(found) if found else None)


def _duplicate(*, company: UUID, email: str = "", phone: str = "") -> QuerySet:
    return _duplicate_of(company_id=company, email=email, phone=phone).values_list("pk")[:1]


_DUPLICATE = {
    (True, True): ParamQuery(_duplicate, company=UUID, email=str, phone=str),
    (True, False): ParamQuery(_duplicate, company=UUID, email=str),
    (False, True): ParamQuery(_duplicate, company=UUID, phone=str),
}


def assignment_next(company_id: UUID) -> UUID | None:
    """Move the company's round-robin cursor to the active agent after the one who got
    the last lead (wrapping round; the first when the last one left) and answer that
    agent; None, and nothing written or locked, when the company has no active agent.
    One statement (an upsert: the company's first lead creates the cursor), atomic on
    its own: racing leads each move the cursor one step, in turn. Its row lock lasts
    until commit, so a service runs it as late as it can (just before its last writes)."""
    upsert, params = _turn_sql(company_id)
    with connection.cursor() as cursor:
        cursor.execute(upsert, params)
        row = cursor.fetchone()
    if row is None or row[0] is None:
        return None
    return row[0] if isinstance(row[0], UUID) else UUID(row[0])


def _turn_sql(company_id: UUID, *, when: str = "true") -> tuple[str, list[Any]]:
    """The cursor's move (``assignment_next``) as SQL and its parameters, made only
    ``when`` the SQL condition holds; it answers ``last_agent_id``. The company's agents
    are a ``WITH`` query read by both the insert and the update (planned once, not twice:
    about a third of the statement's planning)."""
    sql, params = _AGENT_IDS.sql(company=company_id)
    table = connection.ops.quote_name(AssignmentCursor._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    company = _UUID.get_db_prep_value(company_id, connection)
    upsert = (
        # Names from the model, the agents' SQL from Django's compiler; every value bound.
        f"WITH agent AS ({sql}) "  # noqa: S608
        f"INSERT INTO {table} (company_id, last_agent_id, updated_at) "
        f"SELECT %s, head.id, %s FROM (SELECT id FROM agent ORDER BY id LIMIT 1) AS head WHERE {when} "
        f"ON CONFLICT (company_id) DO UPDATE SET updated_at = excluded.updated_at, last_agent_id = COALESCE("
        f"(SELECT agent.id FROM agent WHERE agent.id > {table}.last_agent_id ORDER BY agent.id LIMIT 1), "
        "excluded.last_agent_id) RETURNING last_agent_id"
    )
    return upsert, [*params, company, now]


_UUID = UUIDField()
_AGENT_IDS = ParamQuery(lambda company: _company_agents(company).values("id"), company=UUID)


def _scoped(queryset: QuerySet, actor: Any, agent_field: str) -> QuerySet:
    """Admins see every row; staff their companies' rows; agents the rows assigned to them."""
    if is_admin(actor):
        return queryset
    if not _authenticated(actor):
        return queryset.none()
    roles = company_roles(actor)
    staff = {cid for cid, role in roles.items() if role in COMPANY_STAFF_ROLES}
    if staff and len(staff) == len(roles):
        # One plain condition keeps the (company, score) indexes usable for big lists.
        return queryset.filter(company_id__in=staff)
    return queryset.filter(Q(company_id__in=staff) | Q(**{agent_field: actor.pk}))


# Clients -------------------------------------------------------------------------------


def client_visible_to(actor: Any) -> QuerySet[Client]:
    return _scoped(Client.objects.all(), actor, "assigned_agent_id")


def client_list_for_actor(*, actor: Any, filters: ClientFilters) -> QuerySet[Client]:
    queryset = client_visible_to(actor)
    if filters.tag:
        # The JSON text of the list holds each tag quoted; this works on SQLite and PostgreSQL alike.
        queryset = queryset.filter(tags__icontains=f'"{filters.tag}"')
    if filters.client_type is not None:
        queryset = queryset.filter(kind=filters.client_type)
    return filter_list(
        queryset,
        filters,
        exact_fields=("kind", "assigned_agent_id", "company_id"),
        search_fields=["name", "email", "phone", "organization_name"],
        ordering_fields=["name", "created_at", "updated_at"],
        default_ordering=["-created_at", "-pk"],
    )


def client_get_for_actor(*, actor: Any, client_id: UUID) -> Client:
    client = client_visible_to(actor).filter(pk=client_id).first()
    if client is None:
        raise NotFound("Client not found.")
    return client


def client_for_company(*, client_id: UUID, company_id: UUID) -> Client | None:
    return Client.objects.filter(pk=client_id, company_id=company_id).first()


def client_of_user_for_company(*, user_id: UUID, company_id: UUID) -> Client | None:
    """The company's client record of a Domus user, when it has one."""
    return Client.objects.filter(user_id=user_id, company_id=company_id).order_by("created_at").first()


# Leads ---------------------------------------------------------------------------------


def client_postal_lines(client_id: UUID) -> list[str]:
    """A client's name (and organisation) and, when the client is a user of Domus, the
    postal address of their profile; else their e-mail, for a document addressed to them."""
    from domus.accounts.selectors import user_postal_lines

    client = Client.all_objects.filter(pk=client_id).first()
    if client is None:
        return []
    lines = [client.name, client.organization_name]
    address = user_postal_lines(client.user_id)[1:] if client.user_id else []
    return [line for line in (*lines, *(address or [client.email])) if line]


def lead_visible_to(actor: Any) -> QuerySet[Lead]:
    """Admins see every lead; company staff their companies' leads; agents the leads assigned to them."""
    return _scoped(Lead.objects.all(), actor, "assigned_agent_id")


def lead_contacts(*, actor: Any, lead_ids: list[UUID]) -> dict[UUID, LeadContact]:
    """Contact details of the leads among ``lead_ids`` that ``actor`` may see, by lead id."""
    rows = (
        lead_visible_to(actor)
        .filter(id__in=list(lead_ids))
        .values_list("id", "name", "email", "phone", "company_id", "user_id")
    )
    return {row[0]: LeadContact(*row) for row in rows}


def lead_list_for_actor(*, actor: Any, filters: LeadFilters) -> QuerySet[Lead]:
    queryset = lead_visible_to(actor)
    if filters.min_score is not None:
        queryset = queryset.filter(score__gte=filters.min_score)
    if filters.max_score is not None:
        queryset = queryset.filter(score__lte=filters.max_score)
    return filter_list(
        queryset,
        filters,
        exact_fields=("status", "source", "assigned_agent_id", "listing_id", "client_id", "company_id"),
        search_fields=["name", "email", "phone"],
        ordering_fields=["score", "created_at", "updated_at", "name", "last_activity_at"],
        default_ordering=["-created_at", "-pk"],
    )


def lead_get_for_actor(*, actor: Any, lead_id: UUID) -> Lead:
    lead = lead_visible_to(actor).filter(pk=lead_id).first()
    if lead is None:
        raise NotFound("Lead not found.")
    return lead


def lead_for_update(lead_id: UUID) -> Lead:
    return Lead.objects.select_for_update(of=("self",)).select_related("listing").get(pk=lead_id)


def _duplicate_of(*, company_id: UUID, email: str, phone: str) -> QuerySet[Lead] | None:
    """The company's leads with this e-mail or phone, newest first (None without either)."""
    condition = Q()
    if email:
        condition |= Q(email=email)  # stored lower-cased, so the (company, email) index serves it
    if phone:
        condition |= Q(phone=phone)
    if not condition:
        return None
    return Lead.objects.filter(condition, company_id=company_id).order_by("-created_at", "-pk")


def lead_activity_list(*, lead: Lead) -> QuerySet[LeadActivity]:
    return lead.activities.order_by("-created_at", "-pk")


def lead_ids_for_user(*, user_id: UUID, company_id: UUID) -> list[UUID]:
    return list(Lead.objects.filter(user_id=user_id, company_id=company_id).values_list("id", flat=True))


# Pipeline stats ------------------------------------------------------------------------


def _stats_leads(actor: Any, filters: StatsFilters) -> QuerySet[Lead]:
    """Leads of the companies ``actor`` runs as staff (any company, or the one asked, for admins)."""
    queryset = Lead.objects.all() if is_admin(actor) else Lead.objects.filter(company_id__in=staff_company_ids(actor))
    if filters.company_id is not None:
        queryset = queryset.filter(company_id=filters.company_id)
    if filters.start_date is not None:
        queryset = queryset.filter(created_at__gte=first_instant(filters.start_date))
    if filters.end_date is not None:
        queryset = queryset.filter(created_at__lte=last_instant(filters.end_date))
    return queryset


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def lead_quality_stats(*, actor: Any, filters: StatsFilters) -> dict[str, Any]:
    """Per source: lead count, average score and the share of leads won."""
    rows = (
        _stats_leads(actor, filters)
        .values("source")
        .annotate(count=Count("id"), average_score=Avg("score"), won=Count("id", filter=Q(status=LeadStatus.WON)))
        .order_by()
    )
    by_source = {row["source"]: row for row in rows}
    sources = []
    for source in LeadSource.values:
        row = by_source.get(source, {"count": 0, "average_score": None, "won": 0})
        sources.append(
            {
                "source": source,
                "count": row["count"],
                "average_score": round(float(row["average_score"] or 0), 2),
                "won": row["won"],
                "conversion_rate": _rate(row["won"], row["count"]),
            }
        )
    return {
        "start_date": filters.start_date,
        "end_date": filters.end_date,
        "total": sum(s["count"] for s in sources),
        "sources": sources,
    }


def lead_score_stats(*, actor: Any, filters: StatsFilters) -> dict[str, Any]:
    """How many leads fall in each score bucket."""
    bucket = Case(
        *[When(score__gte=low, score__lte=high, then=index) for index, (low, high) in enumerate(SCORE_BUCKETS)],
        output_field=IntegerField(),
    )
    rows = _stats_leads(actor, filters).annotate(bucket=bucket).values("bucket").annotate(count=Count("id")).order_by()
    counts = {row["bucket"]: row["count"] for row in rows}
    total = sum(counts.values())
    buckets = [
        {
            "label": f"{low}-{high}",
            "min": low,
            "max": high,
            "count": counts.get(i, 0),
            "share": _rate(counts.get(i, 0), total),
        }
        for i, (low, high) in enumerate(SCORE_BUCKETS)
    ]
    return {"total": total, "buckets": buckets}


def conversion_funnel_stats(*, actor: Any, filters: StatsFilters) -> dict[str, Any]:
    """Leads that reached each pipeline stage, and the rate from the stage before."""
    leads = _stats_leads(actor, filters)
    aggregates = leads.aggregate(
        lost=Count("id", filter=Q(status=LeadStatus.LOST)),
        **{f"stage_{i}": Count("id", filter=Q(stage_reached__gte=i)) for i in range(len(LEAD_STAGES))},
    )
    stages = []
    previous: int | None = None
    for index, stage in enumerate(LEAD_STAGES):
        count = aggregates[f"stage_{index}"]
        stages.append(
            {
                "stage": stage,
                "count": count,
                "conversion_rate": 1.0 if previous is None and count else _rate(count, previous or 0),
            }
        )
        previous = count
    total = aggregates["stage_0"]
    won = aggregates[f"stage_{len(LEAD_STAGES) - 1}"]
    return {"total": total, "lost": aggregates["lost"], "overall_conversion_rate": _rate(won, total), "stages": stages}


def leads_of_listing(*, listing_id: UUID) -> QuerySet[Lead]:
    return Lead.objects.filter(listing_id=listing_id).order_by("pk")


def leads_with_stale_recency() -> QuerySet[Lead]:
    """Leads touched within the recency window (30 days) whose score is a day old or more."""
    now = timezone.now()
    touched = Coalesce("last_activity_at", "created_at")
    return (
        Lead.objects.annotate(touched_at=touched)
        .filter(touched_at__gte=now - RECENCY_WINDOW - timedelta(days=1), scored_at__lte=now - timedelta(days=1))
        .order_by("pk")
    )


# Dashboard -----------------------------------------------------------------------------------


def lead_kpis(*, company_id: UUID | None, since: datetime) -> dict[str, int]:
    """Live dashboard counters of one company's leads (every company's with None): new
    since ``since`` (the start of the day) and still open (neither won nor lost)."""
    leads = Lead.objects.all() if company_id is None else Lead.objects.filter(company_id=company_id)
    return leads.aggregate(
        leads_today=Count("pk", filter=Q(created_at__gte=since)),
        leads_open=Count("pk", filter=~Q(status__in=(LeadStatus.WON, LeadStatus.LOST))),
    )


def contact_company_ids(user_id: UUID) -> set[UUID]:
    """The companies that hold ``user_id`` as a client or a lead."""
    clients = Client.objects.filter(user_id=user_id).values_list("company_id", flat=True)
    leads = Lead.objects.filter(user_id=user_id).values_list("company_id", flat=True)
    return set(clients) | set(leads)


def contact_company_ids_queries(user_id: Any) -> list[QuerySet]:
    """``contact_company_ids`` as two subqueries of ``company_id`` (clients, leads)."""
    return [
        Client.objects.filter(user_id=user_id).values("company_id"),
        Lead.objects.filter(user_id=user_id).values("company_id"),
    ]


def company_leads(company_id: UUID) -> QuerySet[Lead]:
    """Every lead of a company, for other apps to filter (marketing's segments)."""
    return Lead.objects.filter(company_id=company_id)


def leads_for_messages(lead_ids: list[UUID]) -> QuerySet[Lead]:
    """Leads with what a message to them may name: their agent, listing and company."""
    return Lead.objects.filter(id__in=list(lead_ids)).select_related("assigned_agent", "listing", "company")


def lead_ids_with_address(*, email: str = "", phone: str = "") -> list[UUID]:
    """The leads (of any company) with this e-mail (as stored: lower-cased) or phone
    (as stored: E.164), for matching an inbound message to its sender."""
    condition = Q(email=email) if email else Q(phone=phone) if phone else None
    if condition is None:
        return []
    return list(Lead.objects.filter(condition).values_list("id", flat=True)[:50])


def lead_ids_of_user(user_id: UUID) -> list[UUID]:
    """The leads (of any company) that are this user."""
    return list(Lead.objects.filter(user_id=user_id).values_list("id", flat=True))


def lead_brief(lead_id: UUID) -> Lead | None:
    return Lead.objects.filter(pk=lead_id).select_related("assigned_agent").first()


def lead_dashboard_rows(*, scope: Scope, period: Period) -> list[dict[str, Any]]:
    """Leads in ``scope`` (an agent's: assigned to them; an owner's: on their listings)
    per status and source: how many, and how many came in during ``period`` (one query)."""
    rows = (
        Lead.objects.filter(scope.q(agent=("assigned_agent_id",), owner=("listing__owner_id",)))
        .order_by()
        .values("status", "source")
        .annotate(count=Count("pk"), new=Count("pk", filter=period.q("created_at")))
    )
    return list(rows)


def lead_rollup_rows(*, company_ids: list[UUID | None] | None = None) -> list[dict[str, Any]]:
    """The dashboards' roll-up counters of leads (``domus.core.scope.rollup_rows``): per
    status and source now, and per day they came in (two queries)."""
    return rollup_rows(
        Lead.objects.all(),
        company_ids=company_ids,
        keys=("status", "source"),
        measures={"state": (None, Q()), "created": ("created_at", Q())},
    )
