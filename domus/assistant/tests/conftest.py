"""Fixtures of the assistant tests (those of documents)."""

from domus.documents.tests.fixtures import *  # noqa: F403
