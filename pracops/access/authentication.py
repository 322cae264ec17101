"""API token authentication: hashed, revocable tokens sent as ``Authorization: Bearer <token>``."""

from knox.auth import TokenAuthentication


class ApiTokenAuthentication(TokenAuthentication):
    def authenticate_header(self, request) -> str:
        return 'Bearer realm="pracops"'
