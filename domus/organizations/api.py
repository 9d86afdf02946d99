"""Organizations API: companies and their onboarding, memberships, branches (the back
office's "stores"). Reads are scoped by the selectors; writes check the policies."""

from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from domus.accounts.auth import optional_auth
from domus.accounts.selectors import active_user_for_field
from domus.core.errors import ErrorOut
from domus.core.exceptions import UnknownReference, ValidationFailed
from domus.core.policies import require
from domus.organizations import policies, selectors, services
from domus.organizations.schemas import (
    BranchFields,
    BranchFilters,
    BranchIn,
    BranchOut,
    BranchPatchIn,
    CompanyFilters,
    CompanyIn,
    CompanyOut,
    CompanyPatchIn,
    InvitationOut,
    MembershipFilters,
    MembershipIn,
    MembershipOut,
    MembershipPatchIn,
    OnboardIn,
)

router = Router(tags=["organizations"])

COMPANY_STAFF = {"x-permission": "company staff or admin"}
PUBLIC_BRANCHES = {"x-permission": "public (inactive branches: company staff or admin)"}
READ_ERRORS = {401: ErrorOut, 404: ErrorOut}
WRITE_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


# Companies ----------------------------------------------------------------------------


@router.get(
    "/companies/",
    response={200: list[CompanyOut], 400: ErrorOut, 401: ErrorOut},
    summary="Companies the caller belongs to (all of them for platform admins)",
    openapi_extra={"x-permission": "company members (own companies) or admin"},
)
@paginate
def company_list(request: HttpRequest, filters: Query[CompanyFilters]):
    return selectors.company_list_for_actor(actor=request.auth, filters=filters)


@router.post(
    "/companies/",
    response={201: CompanyOut, **WRITE_ERRORS},
    summary="Create a company (in draft); the creator becomes its staff member",
    openapi_extra={"x-permission": "admin, staff, owner or agent"},
)
def company_create(request: HttpRequest, payload: CompanyIn):
    require(policies.can_create_company(request.auth), "Customers and tenants cannot create companies.")
    return Status(201, services.company_create(actor=request.auth, **payload.model_dump(exclude_unset=True)))


@router.get(
    "/companies/{company_id}/",
    response={200: CompanyOut, **READ_ERRORS},
    summary="A company",
    openapi_extra={"x-permission": "company members or admin"},
)
def company_detail(request: HttpRequest, company_id: UUID):
    return selectors.company_get_for_actor(actor=request.auth, company_id=company_id)


def _company_update(request: HttpRequest, company_id: UUID, data: dict):
    company = selectors.company_get_for_actor(actor=request.auth, company_id=company_id)
    require(policies.can_manage_company(request.auth, company), "Only the company's staff can change it.")
    return services.company_update(actor=request.auth, company=company, **data)


@router.put(
    "/companies/{company_id}/",
    response={200: CompanyOut, **WRITE_ERRORS},
    summary="Update a company (name required; the status moves only through onboard)",
    openapi_extra=COMPANY_STAFF,
)
def company_put(request: HttpRequest, company_id: UUID, payload: CompanyIn):
    return _company_update(request, company_id, payload.model_dump(exclude_unset=True))


@router.patch(
    "/companies/{company_id}/",
    response={200: CompanyOut, **WRITE_ERRORS},
    summary="Update some of a company's fields (the status moves only through onboard)",
    openapi_extra=COMPANY_STAFF,
)
def company_patch(request: HttpRequest, company_id: UUID, payload: CompanyPatchIn):
    return _company_update(request, company_id, payload.model_dump(exclude_unset=True))


@router.delete(
    "/companies/{company_id}/",
    response={204: None, **READ_ERRORS, 403: ErrorOut, 409: ErrorOut},
    summary="Soft-delete a company",
    description=(
        "Refused with 409 while the company has active leases or published listings (`errors` counts them per "
        "kind: `leases`, `listings`); a company that is not yet active has its listings unpublished first."
    ),
    openapi_extra={"x-permission": "admin, or company staff while the company is a draft"},
)
def company_delete(request: HttpRequest, company_id: UUID):
    company = selectors.company_get_for_actor(actor=request.auth, company_id=company_id)
    require(
        policies.can_delete_company(request.auth, company),
        "Only a platform admin can delete a company, or its staff while it is still a draft.",
    )
    services.company_delete(actor=request.auth, company=company)
    return Status(204, None)


@router.post(
    "/companies/{company_id}/onboard/",
    response={200: CompanyOut, **WRITE_ERRORS},
    summary="Move onboarding one step: submit, verify, activate, or reject (back to draft)",
    description=(
        "draft -submit-> submitted -verify-> verified -activate-> active; submitted -reject-> draft. "
        "Without `step`, the next forward step applies. Submitting needs the company's name, legal name, "
        "registration number, e-mail, phone, address, city and country; activating needs an active branch "
        "(a company that never had one gets its head office, code HQ, from its address); "
        "rejecting needs a `note`. Verify and reject are for platform admins."
    ),
    openapi_extra={"x-permission": "company staff or admin (verify, reject: admin)"},
)
def company_onboard(request: HttpRequest, company_id: UUID, payload: OnboardIn):
    company = selectors.company_get_for_actor(actor=request.auth, company_id=company_id)
    step = payload.step or company.default_onboarding_step()
    if step is not None:
        require(
            policies.can_onboard(request.auth, company, step),
            f"You may not {step} this company"
            + (": only a platform admin can." if step in policies.ADMIN_ONLY_STEPS else "."),
        )
    return services.company_onboard(actor=request.auth, company=company, step=step, note=payload.note)


# Memberships --------------------------------------------------------------------------


@router.get(
    "/companies/{company_id}/members/",
    response={200: list[MembershipOut], 400: ErrorOut, **READ_ERRORS},
    summary="The members of a company",
    openapi_extra={"x-permission": "company members or admin"},
)
@paginate
def membership_list(request: HttpRequest, company_id: UUID, filters: Query[MembershipFilters]):
    return selectors.membership_list_for_actor(actor=request.auth, company_id=company_id, filters=filters)


def _branch_for(company, branch_id: UUID | None):
    if branch_id is None:
        return None
    branch = selectors.branch_of_company(company=company, branch_id=branch_id)
    if branch is None:
        raise UnknownReference(
            "The branch does not belong to this company.", errors={"branch_id": ["Not a branch of this company."]}
        )
    return branch


@router.post(
    "/companies/{company_id}/members/",
    response={201: MembershipOut, **WRITE_ERRORS},
    summary="Invite a user into a company with a role (optionally at one of its branches)",
    description=(
        "The membership is created with `status: invited` and grants nothing until the user accepts it "
        "(POST /organizations/invitations/{id}/accept/); the user is notified, and their e-mail is not shown "
        "until then. A platform admin's addition is accepted at once."
    ),
    openapi_extra=COMPANY_STAFF,
)
def membership_create(request: HttpRequest, company_id: UUID, payload: MembershipIn):
    company = selectors.company_get_for_actor(actor=request.auth, company_id=company_id)
    require(policies.can_manage_company(request.auth, company), "Only the company's staff can add members.")
    user = active_user_for_field(payload.user_id, field="user_id")
    branch = _branch_for(company, payload.branch_id)
    membership = services.membership_create(
        actor=request.auth, company=company, user=user, role=payload.role, branch=branch
    )
    return Status(201, membership)


@router.get(
    "/members/{membership_id}/",
    response={200: MembershipOut, **READ_ERRORS},
    summary="One membership",
    openapi_extra={"x-permission": "company members or admin"},
)
def membership_detail(request: HttpRequest, membership_id: UUID):
    return selectors.membership_get_for_actor(actor=request.auth, membership_id=membership_id)


@router.patch(
    "/members/{membership_id}/",
    response={200: MembershipOut, **WRITE_ERRORS},
    summary="Change a member's role, branch or active flag",
    openapi_extra=COMPANY_STAFF,
)
def membership_patch(request: HttpRequest, membership_id: UUID, payload: MembershipPatchIn):
    membership = selectors.membership_get_for_actor(actor=request.auth, membership_id=membership_id)
    require(policies.can_manage_company(request.auth, membership.company), "Only the company's staff can do this.")
    data = payload.model_dump(exclude_unset=True)
    if "branch_id" in data:
        data["branch"] = _branch_for(membership.company, data.pop("branch_id"))
    return services.membership_update(actor=request.auth, membership=membership, **data)


@router.delete(
    "/members/{membership_id}/",
    response={204: None, **WRITE_ERRORS},
    summary="Remove a member from a company",
    openapi_extra=COMPANY_STAFF,
)
def membership_delete(request: HttpRequest, membership_id: UUID):
    membership = selectors.membership_get_for_actor(actor=request.auth, membership_id=membership_id)
    require(policies.can_manage_company(request.auth, membership.company), "Only the company's staff can do this.")
    services.membership_delete(actor=request.auth, membership=membership)
    return Status(204, None)


# Invitations --------------------------------------------------------------------------

INVITEE = {"x-permission": "the invited user"}


@router.get(
    "/invitations/",
    response={200: list[InvitationOut], 401: ErrorOut},
    summary="My pending invitations to join companies",
    openapi_extra=INVITEE,
)
@paginate
def invitation_list(request: HttpRequest):
    return selectors.invitation_list_for_user(actor=request.auth)


@router.post(
    "/invitations/{invitation_id}/accept/",
    response={200: MembershipOut, **READ_ERRORS},
    summary="Accept an invitation: the membership takes effect",
    openapi_extra=INVITEE,
)
def invitation_accept(request: HttpRequest, invitation_id: UUID):
    invitation = selectors.invitation_get_for_user(actor=request.auth, invitation_id=invitation_id)
    return services.membership_accept(actor=request.auth, invitation=invitation)


@router.post(
    "/invitations/{invitation_id}/decline/",
    response={204: None, **READ_ERRORS},
    summary="Decline an invitation: it is removed",
    openapi_extra=INVITEE,
)
def invitation_decline(request: HttpRequest, invitation_id: UUID):
    invitation = selectors.invitation_get_for_user(actor=request.auth, invitation_id=invitation_id)
    services.membership_decline(actor=request.auth, invitation=invitation)
    return Status(204, None)


# Branches -----------------------------------------------------------------------------


@router.get(
    "/branches/",
    auth=optional_auth,
    response={200: list[BranchOut], 400: ErrorOut, 401: ErrorOut},
    summary="Branches (stores): active ones for everyone; inactive ones too for their company's staff",
    openapi_extra=PUBLIC_BRANCHES,
)
@paginate
def branch_list(request: HttpRequest, filters: Query[BranchFilters]):
    return selectors.branch_list_for_actor(actor=request.auth, filters=filters)


@router.post(
    "/branches/",
    response={201: BranchOut, **WRITE_ERRORS},
    summary="Open a branch of a company",
    openapi_extra=COMPANY_STAFF,
)
def branch_create(request: HttpRequest, payload: BranchIn):
    company_id = payload.company_id or selectors.default_company_id(request.auth, selectors.COMPANY_STAFF_ROLES)
    if company_id is None:
        raise ValidationFailed("Which company?", errors={"company_id": ["Required: name one of your companies."]})
    company = selectors.company_get_for_actor(actor=request.auth, company_id=company_id)
    require(policies.can_manage_company(request.auth, company), "Only the company's staff can open branches.")
    data = payload.model_dump(exclude={"company_id"})
    return Status(201, services.branch_create(actor=request.auth, company=company, **data))


@router.get(
    "/branches/{branch_id}/",
    auth=optional_auth,
    response={200: BranchOut, **READ_ERRORS},
    summary="A branch",
    openapi_extra=PUBLIC_BRANCHES,
)
def branch_detail(request: HttpRequest, branch_id: UUID):
    return selectors.branch_get_for_actor(actor=request.auth, branch_id=branch_id)


def _branch_update(request: HttpRequest, branch_id: UUID, data: dict):
    branch = selectors.branch_get_for_actor(actor=request.auth, branch_id=branch_id)
    require(policies.can_manage_company(request.auth, branch.company), "Only the company's staff can do this.")
    return services.branch_update(actor=request.auth, branch=branch, **data)


@router.put(
    "/branches/{branch_id}/",
    response={200: BranchOut, **WRITE_ERRORS},
    summary="Update a branch (name and code required)",
    openapi_extra=COMPANY_STAFF,
)
def branch_put(request: HttpRequest, branch_id: UUID, payload: BranchFields):
    return _branch_update(request, branch_id, payload.model_dump(exclude_unset=True))


@router.patch(
    "/branches/{branch_id}/",
    response={200: BranchOut, **WRITE_ERRORS},
    summary="Update some of a branch's fields",
    openapi_extra=COMPANY_STAFF,
)
def branch_patch(request: HttpRequest, branch_id: UUID, payload: BranchPatchIn):
    return _branch_update(request, branch_id, payload.model_dump(exclude_unset=True))


@router.delete(
    "/branches/{branch_id}/",
    response={204: None, **READ_ERRORS, 403: ErrorOut},
    summary="Soft-delete a branch",
    openapi_extra=COMPANY_STAFF,
)
def branch_delete(request: HttpRequest, branch_id: UUID):
    branch = selectors.branch_get_for_actor(actor=request.auth, branch_id=branch_id)
    require(policies.can_manage_company(request.auth, branch.company), "Only the company's staff can do this.")
    services.branch_delete(actor=request.auth, branch=branch)
    return Status(204, None)
