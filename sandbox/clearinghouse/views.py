"""The sandbox clearinghouse's HTTP endpoints (documented in sandbox/clearinghouse/__init__.py).

Views only check the submitter, parse, call one service or selector and format; an injected
fault (ClearinghouseFault) answers 500 or 503 before anything is read, or lets the request be
processed and answers it late.
"""

from __future__ import annotations

import time
from functools import wraps
from typing import Any, Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from sandbox.clearinghouse import selectors, services
from sandbox.clearinghouse.models import ClearinghouseFault, ResponseFile
from sandbox.clearinghouse.received import NotX12

X12_TYPES = ("application/edi-x12", "application/x12", "text/plain")
MAX_LIMIT = 500
MAX_ID = 2**62  # beyond any row id, and within every database's integers


def error(status: int, code: str, detail: str, **more: Any) -> JsonResponse:
    response = JsonResponse({"error": code, "detail": detail, **more}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Submitter realm="sandbox clearinghouse"'
    return response


def submitter_view(operation: str) -> Callable:
    """The view's submitter (from X-Submitter-Id and X-Submitter-Secret) as its second argument,
    after the next injected fault for ``operation`` is applied; 401 when they do not match."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            fault = services.take_fault(operation)
            if fault is not None and fault.kind in (ClearinghouseFault.HTTP_500, ClearinghouseFault.HTTP_503):
                response = error(int(fault.kind), "unavailable" if fault.kind == "503" else "server error",
                                 "the clearinghouse is unavailable (injected fault)" if fault.kind == "503"
                                 else "the clearinghouse failed (injected fault)")
                if fault.kind == "503":
                    response["Retry-After"] = "1"
                return response
            submitter = request.headers.get("X-Submitter-Id", "")
            if not services.submitter_may_send(submitter, request.headers.get("X-Submitter-Secret", "")):
                response = error(401, "unauthorized", "X-Submitter-Id and X-Submitter-Secret do not name a submitter")
            else:
                response = view(request, submitter, *args, **kwargs)
            if fault is not None:
                time.sleep(fault.delay_seconds)
            return response

        return wrapped

    return decorate


@require_http_methods(["GET"])
def service(request: HttpRequest) -> HttpResponse:
    """GET: what this clearinghouse offers (no credentials needed)."""
    return JsonResponse({
        "name": "PracOps sandbox clearinghouse",
        "clearinghouse_id": settings.SANDBOX_CLEARINGHOUSE_ID,
        "accepts": ["837P 005010X222A1", "837P 005010X222A2"],
        "returns": [kind for kind, _ in ResponseFile.KINDS],
        "endpoints": {"submit": "submissions", "list": "files", "download": "files/{id}",
                      "acknowledge": "files/{id}/acknowledge"},
    })


@csrf_exempt
@require_http_methods(["POST"])
@submitter_view("submit")
def submit(request: HttpRequest, submitter: str) -> HttpResponse:
    """POST submissions: an 837P interchange -> 201 with its 999's verdict and the files written."""
    limit = settings.SANDBOX_CLEARINGHOUSE_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return error(413, "too large", f"a file may hold at most {limit} bytes")
    try:
        body = request.body
    except RequestDataTooBig:
        return error(413, "too large", f"a file may hold at most {limit} bytes")
    if len(body) > limit:
        return error(413, "too large", f"a file may hold at most {limit} bytes")
    if not body:
        return error(400, "not x12", "the body is empty: send the interchange")
    if (request.content_type or "").lower() not in X12_TYPES:
        return error(415, "unsupported media type", f"send the interchange as {X12_TYPES[0]}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return error(400, "not x12", "the body is not UTF-8 text")
    try:
        receipt = services.receive_file(submitter=submitter, text=text)
    except NotX12 as exc:
        return error(400, "not x12", str(exc))
    except services.Duplicate as duplicate:
        earlier = duplicate.submission
        return error(409, "duplicate", f"interchange control number {earlier.interchange_control} was received "
                                       f"from this submitter before; it is not processed again",
                     submission=earlier.pk, interchange_control=earlier.interchange_control,
                     received=earlier.received_at.isoformat())
    accepted = sum(1 for c in receipt.claims if c.status == c.ACCEPTED)
    return JsonResponse({
        "submission": receipt.submission.pk, "interchange_control": receipt.submission.interchange_control,
        "status": receipt.submission.status,
        "claims": {"accepted": accepted, "rejected": len(receipt.claims) - accepted},
        "files": [{"id": f.pk, "kind": f.kind, "name": f.name} for f in receipt.files],
    }, status=201)


@require_http_methods(["GET"])
@submitter_view("list")
def files(request: HttpRequest, submitter: str) -> HttpResponse:
    """GET files?after=&limit=: the submitter's files not yet acknowledged."""
    try:
        after = int(request.GET.get("after") or 0)
        limit = int(request.GET.get("limit") or 100)
    except ValueError:
        return error(400, "bad cursor", "after and limit are whole numbers")
    if after < 0 or not 1 <= limit <= MAX_LIMIT or after > MAX_ID:
        return error(400, "bad cursor", f"after is 0 or more; limit is 1 to {MAX_LIMIT}")
    listed = selectors.mailbox(submitter, after=after, limit=limit)
    return JsonResponse({
        "files": [{"id": f.pk, "kind": f.kind, "name": f.name, "created": f.created_at.isoformat(),
                   "submission": f.submission_id, "size": f.size} for f in listed],
        "cursor": listed[-1].pk if listed else after,
    })


@require_http_methods(["GET"])
@submitter_view("download")
def download(request: HttpRequest, submitter: str, file_id: int) -> HttpResponse:
    """GET files/<id>: the file's text."""
    found = selectors.response_file(submitter, file_id) if file_id <= MAX_ID else None
    if found is None:
        return error(404, "not found", "this submitter has no such file")
    response = HttpResponse(found.text, content_type=found.media_type)
    response["Content-Disposition"] = f'attachment; filename="{found.name}"'
    return response


@csrf_exempt
@require_http_methods(["POST"])
@submitter_view("acknowledge")
def acknowledge(request: HttpRequest, submitter: str, file_id: int) -> HttpResponse:
    """POST files/<id>/acknowledge: collected; no longer listed."""
    if file_id > MAX_ID or not services.acknowledge_file(submitter=submitter, file_id=file_id):
        return error(404, "not found", "this submitter has no such file")
    return HttpResponse(status=204)
