"""Adapters to the outside world (payments, geocoding, messaging, ...), each behind a
small interface so the rest of Domus never talks HTTP to a provider directly."""
