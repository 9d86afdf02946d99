"""The CRM's fixtures (a company with staff and agents, a customer, a listing) serve sales too."""

from domus.crm.tests.conftest import (  # noqa: F401
    _no_rate_limits,
    agent,
    agent2,
    company,
    customer,
    listing,
    other_company,
    other_staff,
    staff,
)
