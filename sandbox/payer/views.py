"""The sandbox payer's HTTP endpoints: FHIR JSON in, FHIR JSON out, no PracOps token.

Views only parse, call one service and format; an injected fault (SandboxFault) answers 500
or 503 before anything is read, or lets the request be processed and answers it late.
"""

from __future__ import annotations

import time
from functools import wraps
from typing import Any, Callable

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from pracops.fhir import jsontext
from pracops.fhir.outcome import Issue, operation_outcome
from sandbox.payer import selectors, services
from sandbox.payer.models import SandboxFault
from sandbox.payer.pas import PasRequestError
from sandbox.payer.subscriptions import SubscriptionError

FHIR_JSON = "application/fhir+json"
JSON_TYPES = ("application/fhir+json", "application/json", "application/json+fhir")


class BadBody(Exception):
    def __init__(self, status: int, issue: Issue):
        self.status, self.issue = status, issue


def fhir_response(body: dict, status: int = 200, **headers: str) -> HttpResponse:
    response = HttpResponse(jsontext.dumps(body), status=status, content_type=FHIR_JSON)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def outcome_response(status: int, issues: list[Issue]) -> HttpResponse:
    return fhir_response(operation_outcome(issues), status)


def _read_body(request: HttpRequest) -> Any:
    content_type = (request.content_type or "").split(";")[0].strip().lower()
    if content_type not in JSON_TYPES:
        raise BadBody(415, Issue("not-supported", f"{content_type or 'a body without a Content-Type'} is not "
                                                  f"supported; send {FHIR_JSON}"))
    try:
        return jsontext.loads(request.body)
    except ValueError as exc:
        # The parser's message gives a position, never the text around it.
        raise BadBody(400, Issue("structure", f"the body is not JSON: {str(exc).split(':')[0]}")) from None


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("sandbox_payer:base"))


def with_faults(operation: str) -> Callable:
    """Apply the next injected fault for ``operation`` around a view."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            fault = services.take_fault(operation)
            if fault is not None and fault.kind in (SandboxFault.HTTP_500, SandboxFault.HTTP_503):
                status = int(fault.kind)
                headers = {"Retry_After": "1"} if status == 503 else {}
                return fhir_response(operation_outcome([Issue(
                    "transient" if status == 503 else "exception",
                    "the payer is unavailable (injected fault)" if status == 503
                    else "the payer failed (injected fault)")]), status, **headers)
            try:
                response = view(request, *args, **kwargs)
            except BadBody as bad:
                response = outcome_response(bad.status, [bad.issue])
            if fault is not None:
                time.sleep(fault.delay_seconds)
            return response

        return wrapped

    return decorate


@require_http_methods(["GET"])
def capabilities(request: HttpRequest) -> HttpResponse:
    """GET metadata: what this payer's server offers (a CapabilityStatement)."""
    return fhir_response({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-01-01",
        "kind": "instance",
        "software": {"name": "PracOps sandbox payer"},
        "implementation": {"description": "Sandbox Da Vinci PAS payer", "url": _base_url(request)},
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "resource": [
                {"type": "Claim", "operation": [
                    {"name": "submit", "definition": "http://hl7.org/fhir/us/davinci-pas/OperationDefinition/Claim-submit"},
                    {"name": "inquire", "definition": "http://hl7.org/fhir/us/davinci-pas/OperationDefinition/Claim-inquiry"},
                ]},
                {"type": "ClaimResponse", "interaction": [{"code": "read"}]},
                {"type": "Subscription", "interaction": [{"code": "create"}, {"code": "read"}, {"code": "delete"}]},
            ],
        }],
    })


@csrf_exempt
@require_http_methods(["POST"])
@with_faults("submit")
def submit(request: HttpRequest) -> HttpResponse:
    """POST Claim/$submit: a PAS request Bundle -> 200 and the PAS response Bundle."""
    try:
        bundle = services.submit_claim(bundle=_read_body(request), base_url=_base_url(request))
    except PasRequestError as exc:
        return outcome_response(400, exc.issues)
    return fhir_response(bundle)


@csrf_exempt
@require_http_methods(["POST"])
@with_faults("inquire")
def inquire(request: HttpRequest) -> HttpResponse:
    """POST Claim/$inquire: a PAS inquiry Bundle -> 200 and the current response, 404 when unknown."""
    try:
        bundle = services.inquire_claim(bundle=_read_body(request))
    except PasRequestError as exc:
        return outcome_response(400, exc.issues)
    if bundle is None:
        return outcome_response(404, [Issue("not-found", "no prior authorization request with this identifier, "
                                                         "patient and provider is known")])
    return fhir_response(bundle)


@csrf_exempt
@require_http_methods(["GET"])
def claim_response(request: HttpRequest, tracking_id: str) -> HttpResponse:
    """GET ClaimResponse/{id}: the current answer (what an id-only notification points at)."""
    claim = selectors.claim_by_tracking_id(tracking_id)
    if claim is None:
        return outcome_response(404, [Issue("not-found", "ClaimResponse is not known")])
    return fhir_response(claim.response_bundle["entry"][0]["resource"])


@csrf_exempt
@require_http_methods(["POST"])
@with_faults("subscription")
def subscriptions(request: HttpRequest) -> HttpResponse:
    """POST Subscription: a PAS rest-hook Subscription -> 201 (active) or 400."""
    base_url = _base_url(request)
    try:
        subscription = services.create_subscription(resource=_read_body(request), base_url=base_url)
    except SubscriptionError as exc:
        return outcome_response(400, exc.issues)
    return fhir_response(subscription.resource, 201, Location=f"{base_url}Subscription/{subscription.public_id}")


@csrf_exempt
@require_http_methods(["GET", "DELETE"])
@with_faults("subscription")
def subscription(request: HttpRequest, public_id: str) -> HttpResponse:
    """GET or DELETE Subscription/{id}."""
    if request.method == "DELETE":
        if not services.delete_subscription(public_id=public_id):
            return outcome_response(404, [Issue("not-found", f"Subscription/{public_id} is not known")])
        return HttpResponse(status=204)
    found = selectors.subscription_by_id(public_id)
    if found is None:
        return outcome_response(404, [Issue("not-found", f"Subscription/{public_id} is not known")])
    return fhir_response({**found.resource, "status": found.status})
