"""Seed paths that are not themselves canonical, and the canonical operation each one
serves (DESIGN.md "Route map"). Paths are relative to ``/api/`` or ``/api/v1/``,
without slashes at either end; ``<name>`` matches one path segment.

More specific paths come first: the first match wins.
"""

from domus.core.routing import Alias

ALIASES: list[Alias] = [
    # accounts (seeds 000, 001, 002, 004)
    Alias("accounts/auth/signup", "accounts/auth/register", "000"),
    Alias("accounts/auth/routes", "ops/routes/accounts", "000"),
    Alias("accounts/profile/update", "accounts/me", "000"),
    Alias("accounts/profile", "accounts/me", "000/001"),
    Alias("auth/login", "accounts/auth/token", "001/002/004"),
    Alias("auth/refresh", "accounts/auth/token/refresh", "001/002"),
    Alias("auth/logout", "accounts/auth/logout", "001/002/004"),
    Alias("auth/verify", "accounts/auth/token/verify", "001"),
    Alias("auth/register", "accounts/auth/register", "004"),
    Alias("auth/me", "accounts/me", "004"),
    Alias("auth/change-password", "accounts/auth/change-password", "001"),
    Alias("auth/forgot-password", "accounts/auth/forgot-password", "001"),
    Alias("auth/reset-password", "accounts/auth/reset-password", "001"),
    Alias("token/refresh", "accounts/auth/token/refresh", "004"),
    Alias("token/verify", "accounts/auth/token/verify", "004"),
    Alias("users/<id>", "accounts/users/<id>", "004"),
    Alias("users", "accounts/users", "004"),
    # organizations (seeds 001, 004)
    Alias("companies/<id>/onboard", "organizations/companies/<id>/onboard", "001"),
    Alias("companies/<id>", "organizations/companies/<id>", "001"),
    Alias("companies", "organizations/companies", "001"),
    Alias("stores/<id>", "organizations/branches/<id>", "004"),
    Alias("stores", "organizations/branches", "004"),
    # properties (seed 001: "projects" are listings)
    Alias("projects/<id>/units/<unit_id>", "properties/<id>/units/<unit_id>", "001"),
    Alias("projects/<id>/units", "properties/<id>/units", "001"),
    Alias("projects/<id>", "properties/<id>", "001"),
    Alias("projects", "properties", "001"),
    # crm (seeds 002, 004)
    Alias("clients/<id>", "crm/clients/<id>", "002"),
    Alias("clients", "crm/clients", "002"),
    Alias("marketing/contact", "crm/contact", "004"),
    Alias("marketing/schedule-call", "crm/schedule-call", "004"),
    Alias("stats/lead-quality", "crm/stats/lead-quality", "003"),
    Alias("stats/lead-score", "crm/stats/lead-score", "003"),
    Alias("stats/conversion-funnel", "crm/stats/conversion-funnel", "003"),
    # sales (seeds 001, 002)
    Alias("transactions/<id>/status", "sales/deals/<id>/status", "002"),
    Alias("transactions/<id>", "sales/deals/<id>", "002"),
    Alias("transactions", "sales/deals", "002"),
    # leasing and finance (seeds 000, 001, 004)
    Alias("properties/payments/mpesa/stk/<id>", "finance/payments/mpesa/stk/<id>", "000"),
    Alias("properties/payments/mpesa/callback/<token>", "finance/payments/mpesa/callback/<token>", "000"),
    Alias("properties/payments/mpesa/callback", "finance/payments/mpesa/callback", "000"),
    Alias("properties/payments/status/<id>", "finance/payments/status/<id>", "000"),
    Alias("properties/payments/admin-list", "finance/payments/admin-list", "000"),
    Alias("properties/payments/<id>/retry", "finance/payments/<id>/retry", "000"),
    Alias("properties/payments", "finance/payments", "000"),
    Alias("invoices/<id>", "finance/invoices/<id>", "004"),
    Alias("invoices", "finance/invoices", "004"),
    Alias("payments/<id>", "finance/payments/<id>", "004"),
    Alias("payments", "finance/payments", "004"),
    # communications (seeds 000, 003)
    Alias("properties/support/tickets/stats", "communications/tickets/stats", "000"),
    Alias("properties/support/tickets/<id>/reply", "communications/tickets/<id>/reply", "000"),
    Alias("properties/support/tickets/<id>/assign", "communications/tickets/<id>/assign", "000"),
    Alias("properties/support/tickets/<id>/close", "communications/tickets/<id>/close", "000"),
    Alias("properties/support/tickets/<id>", "communications/tickets/<id>", "000"),
    Alias("properties/support/tickets", "communications/tickets", "000"),
    Alias("communication/send/<lead_id>", "communications/send/<lead_id>", "003"),
    Alias("communication/preferences", "communications/preferences", "003"),
    Alias("communication/send-bulk", "communications/send-bulk", "003"),
    # analytics (seed 003)
    Alias("stats/price-trends", "analytics/stats/price-trends", "003"),
    # audit (seeds 003, 004)
    Alias("logs/export", "audit/logs/export", "004"),
    Alias("logs/<id>", "audit/logs/<id>", "004"),
    Alias("logs", "audit/logs", "004"),
    # ops (seed 002)
    Alias("health/details", "ops/health/details", "002"),
    Alias("health/ready", "ops/health/ready"),  # the readiness probe beside the seed's liveness path
    Alias("health", "ops/health", "002"),
]
