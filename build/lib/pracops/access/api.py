"""The REST API's shared pieces: JSON error bodies and the caller's identity."""

from __future__ import annotations

import logging

from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler

from pracops.access.roles import ROLES, roles_of
from pracops.access.throttling import refused_login_wait
from pracops.audit.models import AuditEvent
from pracops.audit.services import failed_login_detail, record_failed_login

logger = logging.getLogger("pracops.api")


def json_exception_handler(exc, context):
    """DRF errors as ``{"error": {"status", "code", "detail"}}``; unexpected ones as a 500 body."""
    response = exception_handler(exc, context)
    if response is None:
        # A defect, not the client's fault: logged (scrubbed by pracops.logging), never echoed.
        request = context.get("request")
        logger.error("Internal Server Error: %s", getattr(request, "path", ""), exc_info=exc)
        return Response({"error": {"status": 500, "code": "server_error", "detail": "internal server error"}},
                        status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    code = getattr(exc, "default_code", "error")
    if response.status_code == 401:
        record_failed_login(source=AuditEvent.Source.REST_API, request=context.get("request"),
                            detail=failed_login_detail(exc))
        wait = refused_login_wait(context["request"], context["view"])
        if wait is not None:
            response.status_code, code = 429, "throttled"
            response.data = {"detail": "too many refused calls; try again later"}
            response["Retry-After"] = str(int(wait))
            del response["WWW-Authenticate"]
    detail = response.data
    if isinstance(detail, dict) and set(detail) == {"detail"}:
        detail = detail["detail"]
    response.data = {"error": {"status": response.status_code, "code": code, "detail": detail}}
    return response


class Pagination(LimitOffsetPagination):
    """limit/offset paging that refuses what the database cannot count to, instead of failing."""

    max_limit = 1000
    max_offset = 2 ** 62

    def get_limit(self, request):
        return min(self._whole_number(request, self.limit_query_param, self.default_limit), self.max_limit)

    def get_offset(self, request):
        offset = self._whole_number(request, self.offset_query_param, 0)
        if offset > self.max_offset:
            raise ValidationError({self.offset_query_param: f"expected at most {self.max_offset}"})
        return offset

    @staticmethod
    def _whole_number(request, name: str, default: int) -> int:
        raw = request.query_params.get(name, "").strip()
        if not raw:
            return default
        if not (raw.isascii() and raw.isdigit()):
            raise ValidationError({name: "expected a whole number"})
        return int(raw) if len(raw) <= 19 else 10 ** 19  # past any maximum; int() of 5,000 digits refuses


class MeView(APIView):
    """Who the token belongs to and what its roles allow."""

    def get(self, request):
        roles = sorted(roles_of(request.user))
        grants = {
            role: {t: sorted(i) for t, i in ROLES[role].items()} for role in roles
        }
        return Response(
            {"username": request.user.get_username(), "roles": roles, "grants": grants,
             "superuser": request.user.is_superuser},
            status=status.HTTP_200_OK,
        )
