"""API rate limits: per client (its user) and per address for calls without a token.

Rates are read from ``settings.API_THROTTLE_RATES`` on every request (DRF's own classes copy
them once at import), so the environment and tests can change them.
"""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class ClientRateThrottle(UserRateThrottle):
    scope = "client"

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_RATES.get(self.scope)


class AnonymousRateThrottle(AnonRateThrottle):
    scope = "anonymous"

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_RATES.get(self.scope)
