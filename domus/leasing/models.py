"""Leases, rent schedules and tenants."""
