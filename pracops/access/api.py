"""The REST API's shared pieces: JSON error bodies and the caller's identity."""

from __future__ import annotations

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler

from pracops.access.roles import ROLES, roles_of
from pracops.access.throttling import refused_login_wait
from pracops.audit.models import AuditEvent
from pracops.audit.services import failed_login_detail, record_failed_login


def json_exception_handler(exc, context):
    """DRF errors as ``{"error": {"status", "code", "detail"}}``; unexpected ones as a 500 body."""
    response = exception_handler(exc, context)
    if response is None:
        return None
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
