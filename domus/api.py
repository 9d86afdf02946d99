"""The one NinjaAPI of Domus. Every app's router is mounted here under ``/api/v1/``;
``domus.core.routing`` serves the same operations under ``/api/`` and at the
original systems' paths (``domus.api_compat``, docs/compatibility.md)."""

from importlib.metadata import version

from domus.accounts.auth import JWTAuth
from domus.api_examples import API_EXAMPLES
from domus.core.errors import install_error_handlers
from domus.core.openapi import DomusAPI
from domus.core.openapi_contract import install_openapi_contract
from domus.core.parsing import DomusParser
from domus.core.query import forbid_unknown_parameters
from domus.core.throttling import MethodRateLimit

api = DomusAPI(
    title="Domus API",
    version=version("domus"),  # the installed package's version (pyproject.toml)
    description=(
        "One backend for real-estate businesses. Successes answer the resource itself "
        "(no envelope); errors answer `{detail, code, errors}`. Lists are paginated with "
        "`page`/`page_size` or `limit`/`offset` (`skip`)."
    ),
    urls_namespace="api",
    openapi_url="/schema/",
    docs_url="/docs/",
    auth=JWTAuth(),
    throttle=[MethodRateLimit()],
    parser=DomusParser(),
    examples=API_EXAMPLES,
)
install_error_handlers(api)
api.add_decorator(forbid_unknown_parameters, mode="view")
install_openapi_contract(api)

api.add_router("/accounts/", "domus.accounts.api.router")
api.add_router("/organizations/", "domus.organizations.api.router")
api.add_router("/properties/", "domus.properties.geocode_api.router")
api.add_router("/properties/", "domus.properties.api.router")
api.add_router("/crm/", "domus.crm.api.router")
api.add_router("/sales/", "domus.sales.api.router")
api.add_router("/leasing/", "domus.leasing.api.router")
api.add_router("/finance/", "domus.finance.api.router")
api.add_router("/communications/", "domus.communications.api.router")
api.add_router("/inventory/", "domus.inventory.api.router")
api.add_router("/marketing/", "domus.marketing.api.router")
api.add_router("/analytics/", "domus.analytics.api.router")
api.add_router("/reports/", "domus.analytics.reports.api.router")
api.add_router("/audit/", "domus.audit.api.router")
api.add_router("/ops/", "domus.ops.api.router")
api.add_router("/ops/", "domus.ops.performance_api.router")
api.add_router("/attendance/", "domus.attendance.api.router")
api.add_router("/documents/", "domus.documents.api.router")
api.add_router("/assistant/", "domus.assistant.api.router")
api.add_router("/maintenance/", "domus.maintenance.api.router")
