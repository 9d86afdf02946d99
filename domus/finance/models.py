"""Invoices, payments (M-Pesa and manual), the double-entry ledger and owner payouts."""
