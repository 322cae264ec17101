"""The rest-hook endpoint payers notify when a request's decision changes (Da Vinci PAS
subscriptions): ``POST /priorauth/pas/notifications/<token>/``.

The payer holds no PracOps API token: the per-install secret in the URL
(``PRIORAUTH_NOTIFICATION_TOKEN``) is what it was given when PracOps subscribed. A notification
is only a hint: the requests it names are asked about ($inquire) in the background, so a
forged notification can make PracOps ask a payer, never change a request by itself.
"""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from priorauth.services import NotificationRefused, receive_notification
from pracops.fhir.outcome import Issue, operation_outcome

FHIR_JSON = "application/fhir+json"


@csrf_exempt
def pas_notification(request: HttpRequest, token: str) -> JsonResponse:
    """Every answer is an OperationOutcome: 404 for a wrong secret (as for no endpoint at all),
    405 for a method other than POST, 413 for a body over ``PRIORAUTH_NOTIFICATION_MAX_BYTES``,
    400 for a body that is not a notification Bundle, 200 with the number of requests to check."""
    expected = settings.PRIORAUTH_NOTIFICATION_TOKEN
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        return _outcome(404, "not-found", "no such notification endpoint")
    if request.method != "POST":
        response = _outcome(405, "not-supported", "a notification is POSTed")
        response["Allow"] = "POST"
        return response
    limit = settings.PRIORAUTH_NOTIFICATION_MAX_BYTES
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return _outcome(400, "invalid", "the Content-Length header is not a number")
    if declared > limit:
        return _outcome(413, "too-costly", f"a notification is at most {limit} bytes")
    body = request.read(limit + 1)  # a body sent without a length is bounded too
    if len(body) > limit:
        return _outcome(413, "too-costly", f"a notification is at most {limit} bytes")
    try:
        payload = json.loads(body or b"null")
    except (ValueError, RecursionError):
        return _outcome(400, "invalid", "the body is not JSON")
    try:
        queued = receive_notification(body=payload)
    except NotificationRefused as exc:
        return _outcome(400, "invalid", str(exc))
    return _outcome(200, "informational", f"{len(queued)} request(s) will be checked with the payer",
                    severity="information")


def _outcome(status: int, code: str, why: str, *, severity: str = "error") -> JsonResponse:
    return JsonResponse(operation_outcome([Issue(code, why, severity=severity)]), status=status,
                        content_type=FHIR_JSON)
