"""Reads of companies, memberships and branches; the tenancy scope of every app."""

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import CharField, Count, OuterRef, Q, QuerySet, StringAgg, Subquery, Value
from django.db.models.functions import Cast, Concat

from domus.core.compiled import PkQuery
from domus.core.exceptions import Conflict, NotFound, ValidationFailed
from domus.core.filtering import filter_list
from domus.core.policies import is_admin
from domus.core.roles import Role
from domus.core.scope import Period
from domus.organizations.models import Branch, Company, Membership
from domus.organizations.schemas import BranchFilters, CompanyFilters, MembershipFilters

# Tenancy helpers other apps use -------------------------------------------------------

# Who runs a company's back office, and who works for it (agents too).
COMPANY_STAFF_ROLES = frozenset({Role.STAFF, Role.BRANCH_HEAD})
COMPANY_WORKER_ROLES = COMPANY_STAFF_ROLES | {Role.AGENT}


def _active_memberships(user: Any) -> QuerySet[Membership]:
    """Accepted, active memberships of live companies: an invitation grants nothing."""
    return Membership.objects.filter(
        user=user, is_active=True, status=Membership.Status.ACCEPTED, company__deleted_at__isnull=True
    )


def company_ids_for_user(user) -> set[UUID]:
    """Ids of the companies ``user`` is an active member of."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(company_roles(user))


def company_exists(company_id: UUID) -> bool:
    return Company.objects.filter(pk=company_id).exists()


def company_currency(company_id: UUID) -> str | None:
    """The company's currency (ISO 4217), its books' home currency; None for no such company."""
    return Company.objects.filter(pk=company_id).values_list("currency", flat=True).first()


def company_country(company_id: UUID) -> str:
    """The company's country (ISO 3166-1 alpha-2; empty when unknown)."""
    return Company.objects.filter(pk=company_id).values_list("country", flat=True).first() or ""


def company_member_user_ids(company_id: UUID, roles: Iterable[str]) -> QuerySet:
    """A subquery of the users holding an accepted, active membership of the live company
    with one of ``roles`` (invitations do not count)."""
    return Membership.objects.filter(
        company_id=company_id,
        role__in=list(roles),
        is_active=True,
        status=Membership.Status.ACCEPTED,
        company__deleted_at__isnull=True,
    ).values("user_id")


def company_is_active(company_id: UUID | None) -> bool:
    """The company exists, is not deleted and has finished onboarding (``active``)."""
    return company_id is not None and Company.objects.filter(pk=company_id, status=Company.Status.ACTIVE).exists()


def company_require_active(
    company_id: UUID | None, *, field: str = "company_id", doing: str = "do this", lock: bool = False
) -> None:
    """409 unless the company is live and ``active``: a company in onboarding, suspended
    or deleted publishes nothing, invoices nobody, notifies no outsider and takes no money,
    visits or offers. ``None`` (no company) passes: the caller decides what that means.

    With ``lock`` (inside a transaction) the company row is held with ``FOR NO KEY
    UPDATE`` until commit: a concurrent deletion (which locks the row ``FOR UPDATE``)
    either waits for this write, and then counts it, or commits first, and this check
    then reads the deleted row and refuses."""
    if company_id is None:
        return
    companies = Company.all_objects.select_for_update(no_key=True) if lock else Company.all_objects
    row = companies.filter(pk=company_id).values("status", "deleted_at").first()
    if row is not None and row["deleted_at"] is None and row["status"] == Company.Status.ACTIVE:
        return
    state = "deleted" if row is None or row["deleted_at"] is not None else row["status"]
    detail = f"The company is {state}, not active: it cannot {doing}."
    raise Conflict(detail, errors={field: [detail]})


def company_ids_related_to(user_id: UUID) -> set[UUID]:
    """The companies ``user_id`` has a relationship with that the user took part in: an
    accepted membership, a lease beyond its draft (tenant or owner), or being one of the
    company's clients or leads. Staff may notify and invoice only these users."""
    # Imported here: crm and leasing build on this module.
    from domus.crm.selectors import contact_company_ids
    from domus.leasing.selectors import lease_party_company_ids

    members = _active_memberships(user_id).values_list("company_id", flat=True)
    return set(members) | lease_party_company_ids(user_id) | contact_company_ids(user_id)


def company_ids_related_to_queries(user_id: Any) -> list[QuerySet]:
    """``company_ids_related_to`` as subqueries of ``company_id`` (a company is related when
    one of them holds it): for a statement that resolves the relationship in the database."""
    from domus.crm.selectors import contact_company_ids_queries
    from domus.leasing.selectors import lease_party_company_ids_query

    members = _active_memberships(user_id).values("company_id")
    return [members, lease_party_company_ids_query(user_id), *contact_company_ids_queries(user_id)]


def company_require_related(company_id: UUID, user_id: UUID, *, field: str, doing: str) -> None:
    """400 unless ``user_id`` has a relationship with the company (``company_ids_related_to``)."""
    if company_id not in company_ids_related_to(user_id):
        detail = f"This user has no relationship with the company (member, lease, client or lead): cannot {doing}."
        raise ValidationFailed(detail, errors={field: [detail]})


def user_sees_all_companies(user) -> bool:
    """Platform admins see every company's rows."""
    return is_admin(user)


def user_company_role(user: Any, company_id: UUID) -> str | None:
    """``user``'s role in the company (``"staff"``, ``"agent"``, ...), or ``None`` when
    they are not an active member of it (or it is deleted)."""
    if not getattr(user, "is_authenticated", False):
        return None
    known = _roles_read_with(user)
    if known is not None and isinstance(company_id, UUID):
        return known.get(company_id)
    return _active_memberships(user).filter(company_id=company_id).values_list("role", flat=True).first()


# Run on most authenticated requests: compiled to SQL once (``domus.core.compiled``).
_ROLES = PkQuery(lambda pk: _active_memberships(pk).values_list("company_id", "role"))
_COMPANIES = PkQuery(
    lambda pk: (
        _active_memberships(pk)
        .order_by("company__name", "company_id")
        .values_list("company_id", "company__name", "role")
    )
)


def company_roles(user: Any) -> dict[UUID, str]:
    """``user``'s role in each company they are an active member of: read with the user
    when it was (``roles_with_user``), else one query."""
    if not getattr(user, "is_authenticated", False):
        return {}
    known = _roles_read_with(user)
    return dict(known) if known is not None else dict(_ROLES.values(user.pk))


# The caller's roles, read with the caller ----------------------------------------------
#
# Most authenticated requests ask for the caller's roles (a permission, a list's scope):
# the request's read of its user brings them along (``roles_with_user``), one round trip
# fewer. They stay good until a membership or a company is written in this process
# (``forget_roles_read``, from those models' signals): a request that changes them and
# looks again reads them again. Only a request's user keeps them (``remember_roles_read``):
# one that lives longer (a WebSocket's) would miss a change made by another process.


class _Writes:
    """How many membership and company writes this process has made (only compared)."""

    count = 0


ROLES_WITH_USER = "company_roles_read"
_ROLES_SEEN = "_company_roles_seen"


def roles_with_user() -> dict[str, Subquery]:
    """An annotation of a ``User`` queryset: the user's ``company_id:role`` pairs, comma
    separated (``remember_roles_read`` takes them). One correlated subquery, on the index
    of memberships by user."""
    pairs = (
        Membership.objects.filter(
            user=OuterRef("pk"), is_active=True, status=Membership.Status.ACCEPTED, company__deleted_at__isnull=True
        )
        .order_by()
        .values("user")
        .annotate(
            pairs=StringAgg(
                Concat(Cast("company_id", CharField()), Value(":"), "role", output_field=CharField()),
                delimiter=Value(","),
            )
        )
        .values("pairs")
    )
    return {ROLES_WITH_USER: Subquery(pairs, output_field=CharField())}


def remember_roles_read(user: Any) -> None:
    """Keep the roles the user was read with (``roles_with_user``) on the instance, for
    ``company_roles`` and the helpers built on it, until the next membership or company
    write. For a user read for one request only."""
    text = getattr(user, ROLES_WITH_USER, None) or ""
    roles = {}
    for pair in text.split(",") if text else ():
        company_id, _, role = pair.partition(":")
        roles[UUID(company_id)] = role
    user.__dict__[_ROLES_SEEN] = (_Writes.count, roles)


def forget_roles_read(**_: Any) -> None:
    """Every user's roles read before now are stale (a membership or company was written)."""
    _Writes.count += 1


def _roles_read_with(user: Any) -> dict[UUID, str] | None:
    seen = user.__dict__.get(_ROLES_SEEN) if hasattr(user, "__dict__") else None
    if seen is None or seen[0] != _Writes.count:
        return None
    return seen[1]


def user_companies(user: Any) -> list[dict[str, Any]]:
    """The companies ``user`` is an accepted, active member of, as ``{id, name, role}``
    by name: what a client shows to let a user of several companies pick one."""
    if not getattr(user, "is_authenticated", False) or _roles_read_with(user) == {}:
        return []  # the roles read with the user say there is no company to name
    return [{"id": cid, "name": name, "role": role} for cid, name, role in _COMPANIES.values(user.pk)]


def platform_default_company_id() -> UUID | None:
    """The platform's default company: the active one named by ``DEFAULT_COMPANY_SLUG``,
    else the only active company; ``None`` when there is none or several."""
    active = Company.objects.filter(status=Company.Status.ACTIVE)
    if settings.DEFAULT_COMPANY_SLUG:
        return active.filter(slug=settings.DEFAULT_COMPANY_SLUG).values_list("pk", flat=True).first()
    ids = list(active.values_list("pk", flat=True)[:2])
    return ids[0] if len(ids) == 1 else None


def default_company_id(user: Any, roles: frozenset[str] | None = None) -> UUID | None:
    """The company a create without ``company_id`` is for: the caller's only company
    (counting memberships with one of ``roles`` when given), else, for a platform admin,
    the platform's default company; ``None`` when that is not one company."""
    memberships = company_roles(user)
    ids = [cid for cid, role in memberships.items() if roles is None or role in roles]
    if len(ids) == 1:
        return ids[0]
    if not ids and is_admin(user):
        return platform_default_company_id()
    return None


def company_ids_with_roles(user: Any, roles: frozenset[str]) -> set[UUID]:
    """The companies where ``user`` holds one of ``roles`` (one query, unless the user was
    read with them)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    known = _roles_read_with(user)
    if known is not None:
        return {company_id for company_id, role in known.items() if role in roles}
    return set(_active_memberships(user).filter(role__in=roles).values_list("company_id", flat=True))


def company_ids_for_user_query(user: Any) -> QuerySet:
    """``company_ids_for_user`` as a subquery of ``company_id`` (``user`` authenticated)."""
    return _active_memberships(user).values("company_id")


def staff_company_ids_query(user: Any) -> QuerySet:
    """``staff_company_ids`` as a subquery of ``company_id`` (``user`` authenticated)."""
    return _active_memberships(user).filter(role__in=sorted(COMPANY_STAFF_ROLES)).values("company_id")


def staff_company_ids(user: Any) -> set[UUID]:
    """The companies ``user`` runs as staff or branch head."""
    return company_ids_with_roles(user, COMPANY_STAFF_ROLES)


def is_company_staff(user: Any, company_id: UUID | None) -> bool:
    """A platform admin, or staff / branch head of the company."""
    return is_admin(user) or (company_id is not None and user_company_role(user, company_id) in COMPANY_STAFF_ROLES)


def is_company_worker(user: Any, company_id: UUID | None) -> bool:
    """A platform admin, or staff, branch head or agent of the company."""
    return is_admin(user) or (company_id is not None and user_company_role(user, company_id) in COMPANY_WORKER_ROLES)


def _company_ids_with_role(user: Any, role: str) -> QuerySet:
    """A subquery of the ids of the companies where ``user`` holds ``role``."""
    return _active_memberships(user).filter(role=role).values("company_id")


# Companies ----------------------------------------------------------------------------


def company_visible_to(actor: Any) -> QuerySet[Company]:
    """The live companies ``actor`` may read: all for platform admins, else those they
    are an active member of."""
    if user_sees_all_companies(actor):
        return Company.objects.all()
    if not getattr(actor, "is_authenticated", False):
        return Company.objects.none()
    return Company.objects.filter(id__in=_active_memberships(actor).values("company_id"))


def _letterhead(company: Company) -> list[str]:
    place = ", ".join(part for part in (company.city, company.country) if part)
    lines = (
        company.legal_name or company.name,
        company.address,
        place,
        f"Registration no. {company.registration_number}" if company.registration_number else "",
        f"Tax ID {company.tax_id}" if company.tax_id else "",
    )
    return [line for line in lines if line]


def company_letterheads(company_ids: Iterable[UUID]) -> dict[UUID, list[str]]:
    """The lines a document issued by each company is headed with (one query): its legal
    name (or name), street address, city and country, registration number and tax id
    (the ones it has). Deleted companies included: their old documents still name them."""
    return {company.pk: _letterhead(company) for company in Company.all_objects.filter(pk__in=set(company_ids))}


def company_letterhead(company_id: UUID | str) -> list[str]:
    """The letterhead lines of one company (see ``company_letterheads``); [] when unknown."""
    key = UUID(str(company_id))
    return company_letterheads([key]).get(key, [])


def company_deleted_named(name: str) -> Company | None:
    """The most recently soft-deleted company called ``name`` (for restoring it), or None."""
    return Company.all_objects.dead().filter(name=name).order_by("-deleted_at").first()


def company_list_for_actor(*, actor: Any, filters: CompanyFilters) -> QuerySet[Company]:
    queryset = company_visible_to(actor)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.country:
        queryset = queryset.filter(country__iexact=filters.country.strip())
    if filters.city:
        queryset = queryset.filter(city__iexact=filters.city.strip())
    return filter_list(
        queryset,
        filters,
        search_fields=["name", "legal_name"],
        ordering_fields=["name", "created_at"],
        default_ordering=["-created_at", "-pk"],
    )


def company_get_for_actor(*, actor: Any, company_id: UUID) -> Company:
    """The company if ``actor`` may read it; the same 404 whether it is missing,
    deleted or another tenant's."""
    company = company_visible_to(actor).filter(pk=company_id).first()
    if company is None:
        raise NotFound("Company not found.")
    return company


# Memberships --------------------------------------------------------------------------


def membership_list_for_actor(*, actor: Any, company_id: UUID, filters: MembershipFilters) -> QuerySet[Membership]:
    """The members and pending invitations of a company the actor may read (404
    otherwise). ``search`` matches names and usernames, and e-mails of accepted members
    only: an invitation must not confirm a stranger's address."""
    company = company_get_for_actor(actor=actor, company_id=company_id)
    queryset = Membership.objects.filter(company=company).select_related("user")
    if filters.search and filters.search.strip():
        term = filters.search.strip()
        queryset = queryset.filter(
            Q(user__username__icontains=term)
            | Q(user__first_name__icontains=term)
            | Q(user__last_name__icontains=term)
            | Q(status=Membership.Status.ACCEPTED, user__email__icontains=term)
        )
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.role:
        queryset = queryset.filter(role=filters.role)
    if filters.is_active is not None:
        queryset = queryset.filter(is_active=filters.is_active)
    if filters.branch:
        queryset = queryset.filter(branch_id=filters.branch)
    return filter_list(
        queryset,
        filters,
        ordering_fields=["created_at", "role"],
        default_ordering=["created_at", "pk"],
    )


def membership_get_for_actor(*, actor: Any, membership_id: UUID) -> Membership:
    """A membership of a company the actor may read; 404 otherwise."""
    membership = (
        Membership.objects.select_related("user", "company")
        .filter(pk=membership_id, company__in=company_visible_to(actor))
        .first()
    )
    if membership is None:
        raise NotFound("Membership not found.")
    return membership


def invitation_list_for_user(*, actor: Any) -> QuerySet[Membership]:
    """The caller's pending invitations to live companies, newest first."""
    if not getattr(actor, "is_authenticated", False):
        return Membership.objects.none()
    return (
        Membership.objects.filter(user=actor, status=Membership.Status.INVITED, company__deleted_at__isnull=True)
        .select_related("company", "invited_by")
        .order_by("-created_at", "-pk")
    )


def invitation_get_for_user(*, actor: Any, invitation_id: UUID) -> Membership:
    """One of the caller's pending invitations; the same 404 for anyone else's."""
    invitation = invitation_list_for_user(actor=actor).filter(pk=invitation_id).first()
    if invitation is None:
        raise NotFound("Invitation not found.")
    return invitation


def branch_of_company(*, company: Company, branch_id: UUID) -> Branch | None:
    """A live branch of ``company``, or ``None``."""
    return Branch.objects.filter(pk=branch_id, company=company).first()


# Branches -----------------------------------------------------------------------------


def branch_visible_to(actor: Any) -> QuerySet[Branch]:
    """Live branches of live companies: active ones for everyone, inactive ones too for
    platform admins and the company's staff."""
    queryset = Branch.objects.filter(company__deleted_at__isnull=True).select_related("company")
    if user_sees_all_companies(actor):
        return queryset
    if not getattr(actor, "is_authenticated", False):
        return queryset.filter(is_active=True)
    return queryset.filter(Q(is_active=True) | Q(company_id__in=_company_ids_with_role(actor, Role.STAFF)))


def branch_list_for_actor(*, actor: Any, filters: BranchFilters) -> QuerySet[Branch]:
    queryset = branch_visible_to(actor)
    if filters.company:
        queryset = queryset.filter(company_id=filters.company)
    if filters.is_headquarters is not None:
        queryset = queryset.filter(is_headquarters=filters.is_headquarters)
    if filters.is_active is not None:
        queryset = queryset.filter(is_active=filters.is_active)
    if filters.city:
        queryset = queryset.filter(city__iexact=filters.city.strip())
    return filter_list(
        queryset,
        filters,
        search_fields=["name", "code", "city", "address"],
        ordering_fields=["name", "code", "created_at"],
        default_ordering=["name", "pk"],
    )


def branch_get_for_actor(*, actor: Any, branch_id: UUID) -> Branch:
    """A branch the actor may read; the same 404 whether it is missing, deleted or hidden."""
    branch = branch_visible_to(actor).filter(pk=branch_id).first()
    if branch is None:
        raise NotFound("Branch not found.")
    return branch


def company_has_active_branch(company: Company) -> bool:
    return Branch.objects.filter(company=company, is_active=True).exists()


def company_ever_had_branch(company: Company) -> bool:
    """Whether the company has or had any branch (closed and deleted ones count)."""
    return Branch.all_objects.filter(company=company).exists()


def company_staff_count(company: Company, *, exclude: Membership | None = None) -> int:
    """Active ``staff`` members of ``company`` (other than ``exclude``)."""
    queryset = Membership.objects.filter(
        company=company, role=Role.STAFF, is_active=True, status=Membership.Status.ACCEPTED
    )
    if exclude is not None:
        queryset = queryset.exclude(pk=exclude.pk)
    return queryset.count()


def branch_scope_of_head(user: Any) -> tuple[set[UUID], set[UUID]]:
    """What a branch head heads, from their accepted ``branch_head`` memberships: the
    branch ids named on them, and the company ids of those naming no branch (which head
    every branch of the company)."""
    if not getattr(user, "is_authenticated", False):
        return set(), set()
    branches: set[UUID] = set()
    companies: set[UUID] = set()
    for branch_id, company_id in (
        _active_memberships(user).filter(role=Role.BRANCH_HEAD).values_list("branch_id", "company_id")
    ):
        if branch_id is None:
            companies.add(company_id)
        else:
            branches.add(branch_id)
    return branches, companies


def branch_exists(branch_id: UUID) -> bool:
    return Branch.objects.filter(pk=branch_id, company__deleted_at__isnull=True).exists()


def branches_with_company(branch_ids: Iterable[UUID]) -> QuerySet[Branch]:
    """Live branches by id, with their company (for their coordinates and country)."""
    return Branch.objects.filter(pk__in=list(branch_ids)).select_related("company")


def member_dashboard_rows(*, company_ids: Iterable[UUID], period: Period) -> list[dict[str, Any]]:
    """Accepted, active memberships of the companies per role: how many, and how many
    joined (were created) during ``period`` (one query)."""
    rows = (
        Membership.objects.filter(company_id__in=sorted(company_ids), is_active=True, status=Membership.Status.ACCEPTED)
        .order_by()
        .values("role")
        .annotate(count=Count("pk"), new=Count("pk", filter=period.q("created_at")))
    )
    return list(rows)
