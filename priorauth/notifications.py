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
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from priorauth.services import NotificationRefused, receive_notification
from pracops.fhir.outcome import Issue, operation_outcome

FHIR_JSON = "application/fhir+json"


@csrf_exempt
@require_POST
def pas_notification(request: HttpRequest, token: str) -> JsonResponse:
    expected = settings.PRIORAUTH_NOTIFICATION_TOKEN
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        raise Http404("no such notification endpoint")
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        return _refused("the body is not JSON")
    try:
        queued = receive_notification(body=body)
    except NotificationRefused as exc:
        return _refused(str(exc))
    return JsonResponse(operation_outcome([Issue(
        "informational", f"{len(queued)} request(s) will be checked with the payer", severity="information")]),
        content_type=FHIR_JSON)


def _refused(why: str) -> JsonResponse:
    return JsonResponse(operation_outcome([Issue("invalid", why)]), status=400, content_type=FHIR_JSON)
