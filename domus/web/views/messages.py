"""Messages: a signed-in person's conversations (the communications app's), one
conversation's thread with a reply form, and a tenant's "write to my manager" (the agent
of the leased listing, else whoever made the lease)."""

from uuid import UUID

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from domus.communications.schemas import ConversationFilters, MessageFilters
from domus.communications.selectors import (
    conversation_get_for_actor,
    conversation_list_for_actor,
    message_list_for_actor,
)
from domus.communications.services import conversation_start, message_send
from domus.core.exceptions import DomusError
from domus.leasing.schemas import LeaseFilters
from domus.leasing.selectors import lease_get_for_actor, lease_list_for_actor
from domus.web.views.common import member_page, messages_of

LIST_LIMIT = 100
THREAD_LIMIT = 50
BODY_MAX = 10_000


def _my_leases(request: HttpRequest):
    return (
        lease_list_for_actor(actor=request.user, filters=LeaseFilters(tenant_id=request.user.pk))
        .select_related("listing")
        .order_by("-start_date")[:LIST_LIMIT]
    )


@require_GET
@member_page
def inbox(request: HttpRequest) -> HttpResponse:
    rows = conversation_list_for_actor(actor=request.user, filters=ConversationFilters())[:LIST_LIMIT]
    return render(request, "web/messages/inbox.html", {"conversations": rows, "leases": _my_leases(request)})


def _thread(request: HttpRequest, conversation) -> list:
    newest = message_list_for_actor(actor=request.user, filters=MessageFilters(conversation_id=conversation.pk))
    return list(reversed(newest.select_related("sender")[:THREAD_LIMIT]))


@require_http_methods(["GET", "POST"])
@member_page
def conversation(request: HttpRequest, conversation_id: UUID) -> HttpResponse:
    """A thread; a POST adds a reply. htmx gets the thread part alone (the page polls it
    every few seconds, and a reply swaps it in)."""
    found = conversation_get_for_actor(actor=request.user, conversation_id=conversation_id)
    errors: list[str] = []
    if request.method == "POST":
        body = request.POST.get("body", "")[:BODY_MAX]
        try:
            message_send(actor=request.user, conversation=found, body=body)
        except DomusError as error:
            errors = messages_of(error)
        else:
            if not request.htmx:
                return redirect("web-conversation", conversation_id=found.pk)
    context = {"conversation": found, "thread": _thread(request, found), "errors": errors}
    template = "web/messages/_thread.html" if request.htmx else "web/messages/conversation.html"
    return render(request, template, context, status=400 if errors else 200)


@require_POST
@member_page
def write_to_manager(request: HttpRequest) -> HttpResponse:
    """Start (or reopen) the conversation with the manager of one of the tenant's leases."""
    lease = lease_get_for_actor(actor=request.user, lease_id=UUID(request.POST.get("lease", "")))
    manager_id = lease.listing.agent_id or lease.created_by_id
    if lease.tenant_id != request.user.pk or manager_id is None:
        flash.error(request, _("This lease has no manager to write to."))
        return redirect("web-messages")
    try:
        found, _created = conversation_start(
            actor=request.user,
            participant_ids=[manager_id],
            listing_id=lease.listing_id,
            title=lease.listing.title,
            message=request.POST.get("body", "")[:BODY_MAX],
        )
    except DomusError as error:
        for message in messages_of(error):
            flash.error(request, message)
        return redirect("web-messages")
    return redirect("web-conversation", conversation_id=found.pk)
