"""Fixtures of the claim-file tests (support.py)."""

from tests.billing.submission.support import case, sandbox  # noqa: F401
