"""Offers, contracts, deals with status history, and commissions."""
