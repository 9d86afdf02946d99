"""Paths of the original systems Domus replaces that are not themselves canonical, and
the canonical operation each one serves (docs/compatibility.md describes the systems and
their differences). Paths are relative to ``/api/`` or ``/api/v1/``, without slashes at
either end; ``<name>`` matches one path segment. The third value is the key of the
system (or systems, ``/``-separated) the path comes from:

- ``realty-mpesa``: a Django real-estate backend with M-Pesa payments
- ``rems``: a Django REST Framework real-estate management system
- ``crm``: a FastAPI real-estate CRM
- ``stats-comms``: a statistics, communication and audit API
- ``backoffice``: a Django back office for stores, catalog, bookings and attendance

More specific paths come first: the first match wins.
"""

from domus.core.compat_schema import System
from domus.core.routing import Alias

ALIASES: list[Alias] = [
    # accounts: the login, token and profile paths of every system
    Alias("accounts/auth/signup", "accounts/auth/register", "realty-mpesa"),
    Alias("accounts/auth/routes", "ops/routes/accounts", "realty-mpesa"),
    Alias("accounts/profile/update", "accounts/me", "realty-mpesa"),
    Alias("accounts/profile", "accounts/me", "realty-mpesa/rems"),
    Alias("auth/login", "accounts/auth/token", "rems/crm/backoffice"),
    Alias("auth/refresh", "accounts/auth/token/refresh", "rems/crm"),
    Alias("auth/logout", "accounts/auth/logout", "rems/crm/backoffice"),
    Alias("auth/verify", "accounts/auth/token/verify", "rems"),
    Alias("auth/register", "accounts/auth/register", "backoffice"),
    Alias("auth/<username>/activate", "accounts/auth/<username>/activate", "backoffice"),
    Alias("auth/me", "accounts/me", "backoffice"),
    Alias("auth/change-password", "accounts/auth/change-password", "rems"),
    Alias("auth/forgot-password", "accounts/auth/forgot-password", "rems"),
    Alias("auth/reset-password", "accounts/auth/reset-password", "rems"),
    Alias("token/refresh", "accounts/auth/token/refresh", "backoffice"),
    Alias("token/verify", "accounts/auth/token/verify", "backoffice"),
    Alias("users/<id>", "accounts/users/<id>", "backoffice"),
    Alias("users", "accounts/users", "backoffice"),
    # organizations: the management system's companies, the back office's stores
    Alias("companies/<id>/onboard", "organizations/companies/<id>/onboard", "rems"),
    Alias("companies/<id>", "organizations/companies/<id>", "rems"),
    Alias("companies", "organizations/companies", "rems"),
    Alias("stores/<id>", "organizations/branches/<id>", "backoffice"),
    Alias("stores", "organizations/branches", "backoffice"),
    # properties: the management system's "projects" are listings
    Alias("projects/<id>/units/<unit_id>", "properties/<id>/units/<unit_id>", "rems"),
    Alias("projects/<id>/units", "properties/<id>/units", "rems"),
    Alias("projects/<id>", "properties/<id>", "rems"),
    Alias("projects", "properties", "rems"),
    # crm: the CRM's clients, the back office's contact forms, the statistics API's lead stats
    Alias("clients/<id>", "crm/clients/<id>", "crm"),
    Alias("clients", "crm/clients", "crm"),
    Alias("marketing/contact", "crm/contact", "backoffice"),
    Alias("marketing/schedule-call", "crm/schedule-call", "backoffice"),
    Alias("stats/lead-quality", "crm/stats/lead-quality", "stats-comms"),
    Alias("stats/lead-score", "crm/stats/lead-score", "stats-comms"),
    Alias("stats/conversion-funnel", "crm/stats/conversion-funnel", "stats-comms"),
    # sales: the CRM's transactions are deals
    Alias("transactions/<id>/status", "sales/deals/<id>/status", "crm"),
    Alias("transactions/<id>", "sales/deals/<id>", "crm"),
    Alias("transactions", "sales/deals", "crm"),
    # finance: the M-Pesa backend's payments, the back office's invoices and payments
    Alias("properties/payments/mpesa/stk/<id>", "finance/payments/mpesa/stk/<id>", "realty-mpesa"),
    Alias("properties/payments/mpesa/callback/<token>", "finance/payments/mpesa/callback/<token>", "realty-mpesa"),
    Alias("properties/payments/mpesa/callback", "finance/payments/mpesa/callback", "realty-mpesa"),
    Alias("properties/payments/status/<id>", "finance/payments/status/<id>", "realty-mpesa"),
    Alias("properties/payments/admin-list", "finance/payments/admin-list", "realty-mpesa"),
    Alias("properties/payments/<id>/retry", "finance/payments/<id>/retry", "realty-mpesa"),
    Alias("properties/payments", "finance/payments", "realty-mpesa"),
    Alias("invoices/<id>", "finance/invoices/<id>", "backoffice"),
    Alias("invoices", "finance/invoices", "backoffice"),
    Alias("payments/<id>", "finance/payments/<id>", "backoffice"),
    Alias("payments", "finance/payments", "backoffice"),
    # communications: the M-Pesa backend's support tickets, the statistics API's outreach
    Alias("properties/support/tickets/stats", "communications/tickets/stats", "realty-mpesa"),
    Alias("properties/support/tickets/<id>/reply", "communications/tickets/<id>/reply", "realty-mpesa"),
    Alias("properties/support/tickets/<id>/assign", "communications/tickets/<id>/assign", "realty-mpesa"),
    Alias("properties/support/tickets/<id>/close", "communications/tickets/<id>/close", "realty-mpesa"),
    Alias("properties/support/tickets/<id>", "communications/tickets/<id>", "realty-mpesa"),
    Alias("properties/support/tickets", "communications/tickets", "realty-mpesa"),
    Alias("communication/send/<lead_id>", "communications/send/<lead_id>", "stats-comms"),
    Alias("communication/preferences", "communications/preferences", "stats-comms"),
    Alias("communication/send-bulk", "communications/send-bulk", "stats-comms"),
    # inventory: the back office's catalog, spare parts and stock
    Alias("departments/<id>", "inventory/departments/<id>", "backoffice"),
    Alias("departments", "inventory/departments", "backoffice"),
    Alias("categories/<id>", "inventory/categories/<id>", "backoffice"),
    Alias("categories", "inventory/categories", "backoffice"),
    Alias("subcategories/<id>", "inventory/subcategories/<id>", "backoffice"),
    Alias("subcategories", "inventory/subcategories", "backoffice"),
    Alias("products/<id>", "inventory/products/<id>", "backoffice"),
    Alias("products", "inventory/products", "backoffice"),
    Alias("variants/<id>", "inventory/variants/<id>", "backoffice"),
    Alias("variants", "inventory/variants", "backoffice"),
    Alias("units/<id>", "inventory/units/<id>", "backoffice"),
    Alias("units", "inventory/units", "backoffice"),
    Alias("qualities/<id>", "inventory/qualities/<id>", "backoffice"),
    Alias("qualities", "inventory/qualities", "backoffice"),
    Alias("brands/<id>", "inventory/brands/<id>", "backoffice"),
    Alias("brands", "inventory/brands", "backoffice"),
    Alias("spares/<id>", "inventory/spares/<id>", "backoffice"),
    Alias("spares", "inventory/spares", "backoffice"),
    Alias("stock-ledgers/<id>", "inventory/stock-ledgers/<id>", "backoffice"),
    Alias("stock-ledgers", "inventory/stock-ledgers", "backoffice"),
    Alias("stock-entries/<id>", "inventory/stock-entries/<id>", "backoffice"),
    Alias("stock-entries", "inventory/stock-entries", "backoffice"),
    Alias("serials/<id>", "inventory/serials/<id>", "backoffice"),
    Alias("serials", "inventory/serials", "backoffice"),
    Alias("price-logs/<id>", "inventory/price-logs/<id>", "backoffice"),
    Alias("price-logs", "inventory/price-logs", "backoffice"),
    Alias("inventory-config", "inventory/inventory-config", "backoffice"),
    # marketing: the CRM's campaigns (``marketing/campaigns`` is canonical), sequences and social posts
    Alias("nurturing/sequences/<id>/pause", "marketing/sequences/<id>/pause", "crm"),
    Alias("nurturing/sequences/<id>", "marketing/sequences/<id>", "crm"),
    Alias("nurturing/sequences", "marketing/sequences", "crm"),
    Alias("social/posts/<id>", "marketing/social/posts/<id>", "crm"),
    Alias("social/posts", "marketing/social/posts", "crm"),
    # maintenance: the back office's repair bookings, issue presets and questionnaires
    Alias("bookings/<id>", "maintenance/bookings/<id>", "backoffice"),
    Alias("bookings", "maintenance/bookings", "backoffice"),
    Alias("issues/<id>", "maintenance/issues/<id>", "backoffice"),
    Alias("issues", "maintenance/issues", "backoffice"),
    Alias("otherissues/<id>", "maintenance/otherissues/<id>", "backoffice"),
    Alias("otherissues", "maintenance/otherissues", "backoffice"),
    Alias("questions/<id>", "maintenance/questions/<id>", "backoffice"),
    Alias("questions", "maintenance/questions", "backoffice"),
    Alias("responses/<id>", "maintenance/responses/<id>", "backoffice"),
    Alias("responses", "maintenance/responses", "backoffice"),
    # ops: the CRM's runtime and Celery metrics
    Alias("performance/runtime", "ops/performance/runtime", "crm"),
    Alias("performance/celery", "ops/performance/celery", "crm"),
    # analytics: the statistics API's price trends
    Alias("stats/price-trends", "analytics/stats/price-trends", "stats-comms"),
    # analytics: the management system's dashboards (the CRM's ``analytics/summary`` is canonical)
    Alias("dashboard/overview", "analytics/dashboard/overview", "rems"),
    Alias("dashboard/stats", "analytics/dashboard/stats", "rems"),
    Alias("dashboard/revenue", "analytics/dashboard/revenue", "rems"),
    Alias("dashboard/properties", "analytics/dashboard/properties", "rems"),
    Alias("dashboard/users", "analytics/dashboard/users", "rems"),
    Alias("dashboard/activity", "analytics/dashboard/activity", "rems"),
    # audit: the back office's logs (the statistics API's ``audit/logs`` is canonical)
    Alias("logs/export", "audit/logs/export", "backoffice"),
    Alias("logs/<id>", "audit/logs/<id>", "backoffice"),
    Alias("logs", "audit/logs", "backoffice"),
    # documents and the assistant: the CRM's documents, knowledge, AI, chat, review and feedback
    # paths, and the M-Pesa backend's GPT helper (``documents/<id>`` of the management system
    # and the CRM is canonical)
    Alias("documents/upload", "documents", "crm"),
    Alias("documents/reindex", "assistant/index/reindex", "crm"),
    Alias("admin/knowledge/<id>", "documents/knowledge/<id>", "crm"),
    Alias("admin/knowledge", "documents/knowledge", "crm"),
    Alias("ai/assist/task/<id>", "assistant/jobs/<id>", "crm"),
    Alias("ai/assist/task", "assistant/assist/task", "crm"),
    Alias("ai/assist/preview", "assistant/assist/preview", "crm"),
    Alias("ai/assist", "assistant/assist", "crm"),
    Alias("chat/sessions/<id>/messages", "assistant/chat/sessions/<id>/messages", "crm"),
    Alias("chat/sessions/<id>", "assistant/chat/sessions/<id>", "crm"),
    Alias("chat/sessions", "assistant/chat/sessions", "crm"),
    Alias("expertise/reviews/<id>", "assistant/reviews/<id>", "crm"),
    Alias("expertise/reviews", "assistant/reviews", "crm"),
    Alias("feedback/export", "assistant/feedback/export", "crm"),
    Alias("feedback", "assistant/feedback", "crm"),
    Alias("accounts/auth/gpt", "assistant/assist", "realty-mpesa"),
    # ops: the CRM's data operations and maintenance
    Alias("data/import", "ops/data/import", "crm"),
    Alias("data/status", "ops/data/status", "crm"),
    Alias("database/optimize", "ops/database/optimize", "crm"),
    Alias("database/plan", "ops/database/plan", "crm"),
    Alias("search/reindex", "ops/search/reindex", "crm"),
    # ops: the CRM's health checks
    Alias("health/details", "ops/health/details", "crm"),
    Alias("health/ready", "ops/health/ready"),  # the readiness probe beside the CRM's liveness path
    Alias("health", "ops/health", "crm"),
]


# The systems, for their own schemas (``/api/compat/<key>/schema/``): how their clients write
# paths, and the canonical paths those clients call as they are (``<x>``: any parameter).
SYSTEMS: list[System] = [
    System(
        key="realty-mpesa",
        title="a Django real-estate backend with M-Pesa payments",
        canonical=(
            "accounts/auth/token",
            "accounts/auth/token/refresh",
            "accounts/auth/register",
            "accounts/auth/logout",
            "accounts/auth/<x>/activate",
            "accounts/me",
            "accounts/users",
            "accounts/users/<x>",
            "accounts/profiles",
            "accounts/profiles/<x>",
            "accounts/agent-profiles",
            "accounts/agent-profiles/<x>",
            "properties",
            "properties/<x>",
            "properties/geocode",
            "properties/visits",
            "properties/visits/<x>",
            "communications/conversations",
            "communications/conversations/start_conversation",
            "communications/conversations/unread_count",
            "communications/conversations/<x>/messages",
            "communications/conversations/<x>/send_message",
            "communications/messages",
            "communications/messages/<x>/mark_read",
            "communications/notifications",
            "communications/notifications/<x>",
        ),
    ),
    System(
        key="rems",
        title="a Django REST Framework real-estate management system",
        canonical=(
            "accounts/users",
            "accounts/users/<x>",
            "finance/invoices",
            "finance/invoices/<x>",
            "finance/invoices/<x>/send",
            "finance/transactions",
            "finance/payouts",
            "sales/contracts",
            "sales/contracts/<x>",
            "sales/offers",
            "sales/commissions",
            "documents/*",
        ),
        envelope="rems",
    ),
    System(
        key="crm",
        title="a FastAPI real-estate CRM",
        trailing_slash=False,
        canonical=(
            "properties",
            "properties/<x>",
            "marketing/campaigns",
            "marketing/campaigns/<x>/launch",
            "analytics/summary",
            "reports/cma",
            "reports/performance",
            "analytics/engagement",
        ),
    ),
    System(key="stats-comms", title="a statistics, communication and audit API", canonical=("audit/logs",)),
    System(
        key="backoffice",
        title="a Django back office for stores, catalog, bookings and attendance",
        prefix="/api/",
        trailing_slash=False,
        slashed=("marketing/", "invoices", "payments", "logs"),
        canonical=("attendance/*",),
    ),
]
