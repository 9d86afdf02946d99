"""Fixtures of the documents tests."""

from domus.documents.tests.fixtures import *  # noqa: F403
