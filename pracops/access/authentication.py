"""API token authentication: hashed, revocable tokens sent as ``Authorization: Bearer <token>``."""

from knox.auth import TokenAuthentication


class ApiTokenAuthentication(TokenAuthentication):
    """knox tokens (stored hashed, shown once) with the Bearer prefix of ``REST_KNOX``."""
