"""Two onboarding steps racing on one company: the row lock lets exactly one apply."""

import threading

import pytest
from django.conf import settings
from django.db import connection

from domus.organizations.models import Company
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory


@pytest.mark.postgres
@pytest.mark.skipif(not settings.IS_POSTGRES, reason="row locks (select_for_update) need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submits_make_one_transition(client_for, audit_log, settings):
    settings.RATE_LIMITS_ENABLED = False
    company = CompanyFactory(status=Company.Status.DRAFT, activated_at=None)
    staff = MembershipFactory(company=company).user
    clients = [client_for(staff), client_for(staff)]
    url = f"/api/v1/organizations/companies/{company.id}/onboard/"
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def submit(client) -> None:
        try:
            start.wait(timeout=10)
            statuses.append(client.post_json(url, {"step": "submit"}).status_code)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=submit, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [200, 409]
    assert Company.objects.get(pk=company.pk).status == Company.Status.SUBMITTED
    assert audit_log.objects.filter(company_id=company.id, action="onboard.submit").count() == 1
