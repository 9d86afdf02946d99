"""Changing one's e-mail address: asked for with the password, done only from a link
sent to the new address, with the old address told at each step."""

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction

from domus.accounts.models import User
from domus.accounts.services.authentication import USER, account_mail_queue, password_confirm
from domus.accounts.services.mails import EMAIL_CHANGE_SALT
from domus.accounts.services.users import _save_or_explain, _taken, normalize_email
from domus.audit.services import audit_record, audit_snapshot, audit_update
from domus.core.exceptions import ValidationFailed

INVALID_EMAIL_CHANGE = "This confirmation link is invalid or has expired."


@transaction.atomic
def email_change_request(*, user: User, password: str, new_email: str) -> None:
    """Ask to move ``user`` to ``new_email``; nothing changes yet.

    Needs the current password (wrong answers count towards the login lockout). The old
    address is told of the request. When the new address is free it gets a signed,
    expiring confirmation link; when it already has an account, that account's owner is
    told instead. The caller answers the same either way.
    """
    password_confirm(user=user, password=password)
    new_email = normalize_email(new_email)
    try:
        validate_email(new_email)
    except DjangoValidationError:
        raise ValidationFailed(
            "Enter a valid e-mail address.", errors={"new_email": ["Enter a valid e-mail address."]}
        ) from None
    if new_email == user.email:
        raise ValidationFailed(
            "This is already your e-mail address.", errors={"new_email": ["This is already your e-mail address."]}
        )
    owner = User.all_objects.filter(email__iexact=new_email).first()
    if owner is None:
        account_mail_queue("email_change_confirm", user, new_email)
    elif owner.deleted_at is None:
        account_mail_queue("address_in_use", owner)
    account_mail_queue("email_change_requested", user, new_email)
    audit_record(actor=user, action="email_change_requested", resource_type=USER, resource_id=user.pk)


@transaction.atomic
def email_change_confirm(*, token: str) -> User:
    """Apply the change a confirmation link was sent for, and tell the old address. A
    forged, expired or spent link (the address has changed since), or one whose new
    address has meanwhile been taken, gets one 400 that does not say which."""
    invalid = ValidationFailed(INVALID_EMAIL_CHANGE, errors={"token": [INVALID_EMAIL_CHANGE]})
    try:
        claim = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=settings.ACCOUNT_TOKEN_HOURS * 3600)
    except signing.BadSignature:
        raise invalid from None
    user = User.objects.select_for_update().filter(pk=claim.get("user"), is_active=True).first()
    if user is None or user.email != claim.get("from") or _taken("email", claim["to"], exclude=user):
        raise invalid
    before = audit_snapshot(user)
    old_email, user.email = user.email, claim["to"]
    _save_or_explain(user, update_fields=["email", "updated_at"])
    audit_update(actor=user, instance=user, before=before, action="email_change")
    account_mail_queue("email_changed", user, old_email)
    return user
