"""The do-not-contact list as a guard of every send of the communications service
(``MESSAGING_SEND_GUARDS``): one-off sends, campaigns and sequences alike."""

from typing import Any
from uuid import UUID

from domus.marketing.selectors import dnc_blocked


def do_not_contact_refusals(*, channel: str, recipients: list[tuple[UUID, UUID, str]]) -> dict[UUID, Any]:
    return dnc_blocked(channel=channel, recipients=recipients)
