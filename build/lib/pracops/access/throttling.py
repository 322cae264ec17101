"""API rate limits: per client (its user) and per address for calls without a token.

Rates are read from ``settings.API_THROTTLE_RATES`` on every request (DRF's own classes copy
them once at import), so the environment and tests can change them.
"""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class _RateFromSettings:
    """The rate of ``rate_scope`` (the throttle's own scope unless set), read on every request."""

    rate_scope: str | None = None

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_RATES.get(self.rate_scope or self.scope)


class ClientRateThrottle(_RateFromSettings, UserRateThrottle):
    scope = "client"


class AnonymousRateThrottle(_RateFromSettings, AnonRateThrottle):
    scope = "anonymous"


class RefusedLoginThrottle(_RateFromSettings, AnonRateThrottle):
    """Calls refused 401 (no, bad or expired token), counted per address.

    DRF checks permissions and tokens before rates, so without this a caller could try
    tokens, or call the REST API without one, as fast as it liked. Same rate as anonymous
    calls, counted apart from them.
    """

    scope = "refused_login"
    rate_scope = "anonymous"


def refused_login_wait(request, view) -> float | None:
    """Count a refused call against its address: None while under the rate, else seconds to wait."""
    throttle = RefusedLoginThrottle()
    if throttle.allow_request(request, view):
        return None
    return throttle.wait() or 1.0
