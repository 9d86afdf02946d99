"""The readable set the retrieval ranks within is the document and article lists' rule: the
statement compiled once per shape answers, for every kind of caller, exactly what the list
selectors answer, and a change of permission counts on the very next question."""

from datetime import timedelta

from django.utils import timezone

from domus.accounts.tests.factories import UserFactory
from domus.assistant import selectors
from domus.assistant.tests.helpers import current_version_id
from domus.core.roles import Role
from domus.documents.tests.fixtures import pdf_bytes, upload
from domus.organizations.tests.factories import MembershipFactory

DOCS = "/api/v1/documents/"
ARTICLES = "/api/v1/documents/knowledge/"


def _by_the_list_rule(actor) -> tuple[set[str], set[str]]:
    """What the document and article list selectors answer (the caller's companies read first)."""
    versions, articles = selectors.readable_sources(actor)
    return {v.hex for v in versions}, {a.hex for a in articles}


def _compiled(actor) -> tuple[set[str], set[str]]:
    versions, articles = selectors.readable_source_keys(actor)
    assert len(versions) == len(set(versions))
    assert len(articles) == len(set(articles))
    return set(versions), set(articles)


def _version(client, document_id: str) -> str:
    return current_version_id(client, document_id).replace("-", "")


def test_the_compiled_readable_set_is_the_list_rule_for_every_kind_of_caller(
    client_for, staff, agent, tenant, owner, other_staff, stranger, lease, listing, company, monkeypatch
):
    client = client_for(staff)
    documents = {
        "lease": upload(client, pdf_bytes("Lease."), name="l.pdf", lease_id=lease.pk).json()["id"],
        "internal": upload(client, pdf_bytes("Notes."), name="n.pdf", lease_id=lease.pk, is_internal="true").json()[
            "id"
        ],
        "listing": upload(client, pdf_bytes("Plan."), name="p.pdf", listing_id=listing.pk).json()["id"],
        "shared": upload(client, pdf_bytes("Shared."), name="s.pdf").json()["id"],
    }
    versions = {name: _version(client, document_id) for name, document_id in documents.items()}
    expires = timezone.now() + timedelta(hours=1)
    client.post_json(f"{DOCS}{documents['shared']}/share/", {"user_id": str(stranger.pk)})
    client.post_json(
        f"{DOCS}{documents['shared']}/share/",
        {"company_id": str(other_staff.memberships.get().company_id), "expires_at": expires.isoformat()},
    )
    article = {"title": "Rubbish", "body": "Bins go out on Tuesdays.", "is_published": True}
    published = client.post_json(ARTICLES, article).json()["id"].replace("-", "")
    client.post_json(ARTICLES, {**article, "title": "Draft", "is_published": False})
    admin = UserFactory(role=Role.ADMIN)

    readers = {
        staff: {"lease", "internal", "listing", "shared"},
        agent: set(),  # an agent of the company: not staff, no linked object of theirs
        tenant: {"lease"},  # not the internal note
        owner: {"lease", "listing"},
        other_staff: {"shared"},  # through their company's share
        stranger: {"shared"},  # through their own share
        admin: {"lease", "internal", "listing", "shared"},
    }
    for reader, names in readers.items():
        found = _compiled(reader)
        assert found == _by_the_list_rule(reader), reader.role
        assert found[0] == {versions[name] for name in names}, reader.role
    assert published in _compiled(tenant)[1]  # a tenant of the company reads its published articles
    assert published not in _compiled(other_staff)[1]
    assert selectors.readable_source_keys(None) == ([], [])

    # Permission changes count on the next question: nothing readable is cached.
    monkeypatch.setattr(timezone, "now", lambda: expires + timedelta(seconds=1))
    assert _compiled(other_staff) == _by_the_list_rule(other_staff) == (set(), set())  # the share expired
    monkeypatch.undo()
    shares = client.get(f"{DOCS}{documents['shared']}/shares/").json()["results"]
    (personal,) = [share for share in shares if share["user_id"] == str(stranger.pk)]
    assert client.delete(f"{DOCS}{documents['shared']}/shares/{personal['id']}/").status_code == 204
    assert _compiled(stranger) == _by_the_list_rule(stranger) == (set(), set())  # the share was withdrawn
    joined = MembershipFactory(company=company, role=Role.STAFF, user=UserFactory(role=Role.STAFF))
    assert _compiled(joined.user)[0] == {versions[name] for name in readers[admin]}  # a new member reads at once
    joined.is_active = False
    joined.save()
    assert _compiled(joined.user) == _by_the_list_rule(joined.user) == (set(), set())  # and a former one nothing
