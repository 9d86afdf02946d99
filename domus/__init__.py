"""Domus: one backend for real-estate businesses."""

from domus.celery import app as celery_app

__all__ = ["celery_app"]
