"""Who is calling: API tokens (knox) and the lockout on admin sign-ins (django-axes)."""

from axes.backends import AxesStandaloneBackend
from knox.auth import TokenAuthentication


class ApiTokenAuthentication(TokenAuthentication):
    """knox tokens (stored hashed, shown once) with the Bearer prefix of ``REST_KNOX``."""


class AdminLoginLockout(AxesStandaloneBackend):
    """django-axes' lockout after repeated failed sign-ins, for sign-ins from a client.

    The admin's login form always passes its request. ``authenticate()`` called by code
    without one (a shell, a test) has no client address to lock out, so it is left to the
    other backends instead of failing.
    """

    def authenticate(self, request=None, *args, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)
