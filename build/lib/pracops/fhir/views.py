"""The FHIR R4 REST API under ``/fhir/``: parse the request, call one service, answer in FHIR."""

from __future__ import annotations

import logging

import orjson
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, transaction
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from pracops.access.roles import allowed, reach_of
from pracops.access.throttling import refused_login_wait
from pracops.audit.models import AuditEvent
from pracops.audit.services import (
    failed_login_detail, record_access, record_bundle, record_bundle_entries, record_failed_login,
)
from pracops.fhir import jsontext
from pracops.fhir.capability import capability_statement
from pracops.fhir.outcome import FhirError, Issue, operation_outcome
from pracops.fhir.renderers import FhirJsonRenderer, LenientNegotiation, PlainJsonRenderer
from pracops.fhir.subsetting import SUMMARY_MODES
from pracops.pending_work import enqueue_on_commit
from pracops.records import selectors
from pracops.records.models import BundleSubmission
from pracops.records.registry import KINDS, SUPPORTED_TYPES
from pracops.records.services import create_resource, delete_resource, update_resource
from pracops.records.services.bundles import history_bundle, parse_etag, process_bundle, searchset, unsupported_type
from pracops.records.services.resources import patch_resource, update_resource_where
from pracops.records.tasks import process_bundle_submission

logger = logging.getLogger("pracops.fhir")

JSON_TYPES = ("application/fhir+json", "application/json", "application/json+fhir")
JSON_PATCH = "application/json-patch+json"
SUBTYPE = {"C": "create", "R": "read", "U": "update", "D": "delete", "E": "search"}


def base_url(request) -> str:
    return settings.FHIR_BASE_URL.rstrip("/") or request.build_absolute_uri("/fhir").rstrip("/")


def _element_with_nul(node, path: str) -> str | None:
    """The path of a key or string in a JSON value that holds a NUL byte, if any does."""
    stack = [(node, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return where
        elif isinstance(item, dict):
            for key, value in item.items():
                if "\x00" in key:
                    return f"{where}.{key.replace(chr(0), '?')}"
                stack.append((value, f"{where}.{key}"))
        elif isinstance(item, list):
            stack.extend((value, f"{where}[{i}]") for i, value in enumerate(item))
    return None


class FhirView(APIView):
    renderer_classes = [FhirJsonRenderer, PlainJsonRenderer]
    content_negotiation_class = LenientNegotiation
    permission_classes = [AllowAny]  # each handler checks its interaction with ``require``

    audit_action = ""
    audit_type = ""
    audit_id = ""

    def require(self, interaction: str, resource_type: str, why: str = "") -> None:
        user = self.request.user
        if user is None or not user.is_authenticated:
            raise exceptions.NotAuthenticated()
        if not allowed(user, interaction, resource_type):
            raise exceptions.PermissionDenied(
                f"your role may not {interaction} {resource_type}" + (f" ({why})" if why else "")
            )

    def require_reach(self, resource: dict, *, sending: bool) -> None:
        """Refuse a resource whose contained resources or conditional references the role may not touch."""
        for interaction, resource_type, why in reach_of(resource, sending=sending):
            self.require(interaction, resource_type, why)

    def resource_type_or_404(self, resource_type: str) -> str:
        if resource_type not in KINDS:
            raise FhirError(404, Issue(
                "not-supported",
                f"{resource_type!r} is not a supported resource type; supported types: {', '.join(SUPPORTED_TYPES)}",
            ))
        return resource_type

    def read_body(self, request) -> dict:
        body = self.read_json(request, JSON_TYPES)
        if not isinstance(body, dict) or not isinstance(body.get("resourceType"), str):
            raise FhirError(400, Issue("structure", "the body must be a FHIR resource: a JSON object with a resourceType"))
        return body

    def read_json(self, request, content_types: tuple[str, ...]):
        """The body parsed as JSON, after checking its size and that its Content-Type is one of ``content_types``."""
        limit = settings.FHIR_MAX_BODY_BYTES
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            raise FhirError(413, Issue("too-costly", f"the body is larger than {limit} bytes"))
        content_type = (request.content_type or "").split(";")[0].strip().lower()
        # A resource sent without a Content-Type is read as JSON; a patch must say what it is.
        if content_type not in content_types and (content_type or content_types != JSON_TYPES):
            raise FhirError(415, Issue("not-supported", f"{content_type or 'a body without a Content-Type'} is not supported; send {content_types[0]}"))
        try:
            raw = request.body
        except RequestDataTooBig as exc:
            raise FhirError(413, Issue("too-costly", f"the body is larger than {limit} bytes")) from exc
        if len(raw) > limit:
            raise FhirError(413, Issue("too-costly", f"the body is larger than {limit} bytes"))
        try:
            body = jsontext.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise FhirError(400, Issue("structure", f"the body is not valid JSON: {exc.msg} at position {exc.pos}")) from exc
        if b"\\u0000" in raw:  # JSON carries a NUL byte only escaped, so most bodies are not walked
            root = body.get("resourceType") if isinstance(body, dict) else None
            element = _element_with_nul(body, root.replace("\x00", "") if isinstance(root, str) else "")
            if element:
                # Legal JSON, but no FHIR string holds it and PostgreSQL refuses it in text and jsonb.
                element = element.lstrip(".")
                raise FhirError(400, Issue("value", f"{element}: NUL bytes (\\u0000) are not allowed",
                                           expression=element))
        return body

    def read_resource_of_type(self, request, resource_type: str) -> dict:
        """The body, which must be a resource of the type the URL names."""
        body = self.read_body(request)
        if body["resourceType"] != resource_type:
            if body["resourceType"] not in KINDS:
                raise unsupported_type(body["resourceType"])
            raise FhirError(400, Issue(
                "invalid", f"a {body['resourceType']} was sent to /{resource_type}; the types must match"
            ))
        return body

    def audit(self, *, action: str, resource_type: str, resource_id: str = "", patient_id: str = "",
              patients=(), query: str = "", entities=(), outcome: str = "0", detail: str = "",
              subtype: str = "") -> None:
        record_access(
            user=self.request.user, source=AuditEvent.Source.FHIR_API, action=action,
            subtype=subtype or SUBTYPE[action], resource_type=resource_type, resource_id=resource_id,
            patient_id=patient_id, patients=patients, query=query, entities=entities, outcome=outcome,
            outcome_detail=detail, request=self.request,
        )

    def handle_exception(self, exc):
        if isinstance(exc, FhirError):
            status, outcome = exc.status, exc.outcome()
        elif isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            status = 401
            outcome = operation_outcome([Issue("login", "authentication required: send Authorization: Bearer <token>")])
        elif isinstance(exc, exceptions.PermissionDenied):
            status, outcome = 403, operation_outcome([Issue("forbidden", str(exc.detail))])
        elif isinstance(exc, exceptions.MethodNotAllowed):
            status, outcome = 405, operation_outcome([Issue("not-supported", str(exc.detail))])
        elif isinstance(exc, exceptions.Throttled):
            status, outcome = 429, operation_outcome([Issue("throttled", str(exc.detail))])
        elif isinstance(exc, exceptions.APIException):
            status, outcome = exc.status_code, operation_outcome([Issue("processing", str(exc.detail))])
        else:
            # A defect, not the client's fault. The last resort: the client gets an OperationOutcome
            # that says nothing of the cause; the log (scrubbed by pracops.logging) keeps the traceback.
            logger.error("Internal Server Error: %s", self.request.path, exc_info=exc)
            status = 500
            outcome = operation_outcome([Issue("exception", "the server failed to process the request")])
        if self.audit_action and getattr(self.request, "user", None) is not None:
            try:
                with transaction.atomic():
                    self.audit(action=self.audit_action, resource_type=self.audit_type, resource_id=self.audit_id,
                               outcome="4" if status < 500 else "8", detail=f"HTTP {status}",
                               subtype=getattr(self, "audit_subtype", ""))
            except DatabaseError as audit_exc:  # the failure may have been the database's
                logger.error("the refused request could not be audited", exc_info=audit_exc)
        elif status == 401:
            record_failed_login(source=AuditEvent.Source.FHIR_API, request=self.request,
                                detail=failed_login_detail(exc),
                                resource_type=self.audit_type or self.kwargs.get("resource_type", ""))
            wait = refused_login_wait(self.request, self)
            if wait is not None:
                status = 429
                outcome = operation_outcome([Issue("throttled", "too many refused calls; try again later")])
                exc.wait = wait
        response = Response(outcome, status=status)
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="pracops"'
        if status == 429 and getattr(exc, "wait", None):
            response["Retry-After"] = str(int(exc.wait))
        return response

    def resource_response(self, record, resource: dict, status: int = 200) -> Response:
        prefer = self.request.META.get("HTTP_PREFER", "")
        body = resource
        if "return=minimal" in prefer:
            body = None
        elif "return=OperationOutcome" in prefer:
            body = operation_outcome([Issue("informational", "ok", severity="information")])
        response = Response(body, status=status)
        response["ETag"] = f'W/"{record.version_id}"'
        response["Last-Modified"] = record.last_updated.strftime("%a, %d %b %Y %H:%M:%S GMT")
        if status == 201 or self.request.method == "PUT":
            response["Location"] = (
                f"{base_url(self.request)}/{record.resource_type}/{record.fhir_id}/_history/{record.version_id}"
            )
        return response


class MetadataView(FhirView):
    authentication_classes = []

    def get(self, request):
        return Response(capability_statement(base_url(request), timezone.now().date().isoformat()))


class TypeView(FhirView):
    def get(self, request, resource_type: str):
        self.audit_action, self.audit_type = "E", resource_type
        self.require("search", self.resource_type_or_404(resource_type))
        params = list(request.GET.lists())
        flat = [(name, value) for name, values in params for value in values]
        strict = "handling=strict" in request.META.get("HTTP_PREFER", "")
        summary = dict(flat).get("_summary", "")
        if summary not in ("", *SUMMARY_MODES):
            raise FhirError(400, Issue("invalid", f"_summary={summary!r}: expected one of {', '.join(SUMMARY_MODES)}"))
        elements = [e for value in (v for k, v in flat if k == "_elements") for e in value.split(",") if e.strip()]
        if summary == "count":
            flat = [(k, v) for k, v in flat if k != "_count"] + [("_count", "0")]
        page = selectors.search(resource_type, flat, strict=strict,
                                may_search=lambda t: allowed(request.user, "search", t))
        extra, withheld = selectors.included(resource_type, page.records, flat, strict=strict,
                                             may_read=lambda t: allowed(request.user, "read", t))
        bundle = searchset(resource_type, page, base_url(request), included=extra, withheld=withheld,
                           summary=summary, elements=elements or None)
        for entry in bundle["entry"]:
            if entry["search"]["mode"] != "outcome":
                self.require_reach(entry["resource"], sending=False)
        if summary == "count":
            bundle.pop("entry", None)
            bundle["link"] = [link for link in bundle["link"] if link["relation"] == "self"]
        returned = [*page.records, *extra]
        self.audit(action="E", resource_type=resource_type, query=request.META.get("QUERY_STRING", ""),
                   patients=[selectors.patient_of(r) for r in returned],
                   entities=[f"{r.resource_type}/{r.fhir_id}" for r in returned])
        return Response(bundle)

    def post(self, request, resource_type: str):
        self.audit_action, self.audit_type = "C", resource_type
        self.require("create", self.resource_type_or_404(resource_type))
        body = self.read_resource_of_type(request, resource_type)
        self.require_reach(body, sending=True)
        if_none_exist = request.META.get("HTTP_IF_NONE_EXIST")
        if if_none_exist:
            self.require("search", resource_type, "If-None-Exist")
        with transaction.atomic():
            op = create_resource(resource=body, if_none_exist=if_none_exist, base_url=base_url(request))
            record, resource = selectors.read_resource(resource_type, op.fhir_id)
            self.audit(action="C" if op.result == "created" else "R", resource_type=resource_type,
                       resource_id=op.fhir_id, patient_id=selectors.patient_of(record),
                       subtype="create" if op.result == "created" else "read")
        return self.resource_response(record, resource, status=201 if op.result == "created" else 200)

    def put(self, request, resource_type: str):
        """A conditional update: ``PUT Type?criteria``."""
        self.audit_action, self.audit_type = "U", resource_type
        self.require("update", self.resource_type_or_404(resource_type))
        # Whether the criteria match tells the sender that a record exists: a search.
        self.require("search", resource_type, "conditional update")
        body = self.read_resource_of_type(request, resource_type)
        self.require_reach(body, sending=True)
        criteria = [(name, value) for name, values in request.GET.lists() for value in values]
        with transaction.atomic():
            op = update_resource_where(resource_type=resource_type, criteria=criteria, resource=body,
                                       may_search=lambda t: allowed(request.user, "search", t),
                                       if_match=parse_etag(request.META.get("HTTP_IF_MATCH")),
                                       base_url=base_url(request))
            record, resource = selectors.read_resource(resource_type, op.fhir_id)
            self.audit(action="C" if op.result == "created" else "U", resource_type=resource_type,
                       resource_id=op.fhir_id, patient_id=selectors.patient_of(record),
                       query=request.META.get("QUERY_STRING", ""),
                       subtype="create" if op.result == "created" else "update")
        return self.resource_response(record, resource, status=201 if op.result == "created" else 200)


class InstanceView(FhirView):
    def get(self, request, resource_type: str, fhir_id: str):
        self.audit_action, self.audit_type, self.audit_id = "R", resource_type, fhir_id
        self.require("read", self.resource_type_or_404(resource_type))
        record, resource = selectors.read_resource(resource_type, fhir_id)
        self.require_reach(resource, sending=False)
        self.audit(action="R", resource_type=resource_type, resource_id=fhir_id,
                   patient_id=selectors.patient_of(record))
        etag = request.META.get("HTTP_IF_NONE_MATCH")
        if etag and etag.strip() in (f'W/"{record.version_id}"', f'"{record.version_id}"'):
            return Response(None, status=304)
        return self.resource_response(record, resource)

    def put(self, request, resource_type: str, fhir_id: str):
        self.audit_action, self.audit_type, self.audit_id = "U", resource_type, fhir_id
        self.require("update", self.resource_type_or_404(resource_type))
        body = self.read_resource_of_type(request, resource_type)
        self.require_reach(body, sending=True)
        if_match = parse_etag(request.META.get("HTTP_IF_MATCH"))
        with transaction.atomic():
            op = update_resource(resource_type=resource_type, fhir_id=fhir_id, resource=body, if_match=if_match,
                                 base_url=base_url(request))
            record, resource = selectors.read_resource(resource_type, fhir_id)
            self.audit(action="C" if op.result == "created" else "U", resource_type=resource_type,
                       resource_id=fhir_id, patient_id=selectors.patient_of(record),
                       subtype="create" if op.result == "created" else "update")
        return self.resource_response(record, resource, status=201 if op.result == "created" else 200)

    def patch(self, request, resource_type: str, fhir_id: str):
        """JSON Patch (RFC 6902) of the current version; If-Match guards it."""
        self.audit_action, self.audit_type, self.audit_id = "U", resource_type, fhir_id
        self.audit_subtype = "patch"
        self.require("update", self.resource_type_or_404(resource_type))
        patch = self.read_json(request, (JSON_PATCH,))
        with transaction.atomic():
            patch_resource(resource_type=resource_type, fhir_id=fhir_id, patch=patch,
                           if_match=parse_etag(request.META.get("HTTP_IF_MATCH")), base_url=base_url(request))
            record, resource = selectors.read_resource(resource_type, fhir_id)
            self.require_reach(resource, sending=True)  # refused here, the patch is rolled back
            self.audit(action="U", resource_type=resource_type, resource_id=fhir_id,
                       patient_id=selectors.patient_of(record), subtype="patch")
        return self.resource_response(record, resource)

    def delete(self, request, resource_type: str, fhir_id: str):
        self.audit_action, self.audit_type, self.audit_id = "D", resource_type, fhir_id
        self.require("delete", self.resource_type_or_404(resource_type))
        with transaction.atomic():
            patient = ""
            existing = selectors.find_record(resource_type, fhir_id)
            if existing is not None:
                patient = selectors.patient_of(existing)
            op = delete_resource(resource_type=resource_type, fhir_id=fhir_id)
            self.audit(action="D", resource_type=resource_type, resource_id=fhir_id, patient_id=patient,
                       detail=op.result)
        return Response(None, status=204)


class VersionView(FhirView):
    """``Type/id/_history/vid`` (vread): any kept version; the version that deleted it is 410 Gone."""

    def get(self, request, resource_type: str, fhir_id: str, version_id: str):
        self.audit_action, self.audit_type, self.audit_id = "R", resource_type, fhir_id
        self.audit_subtype = "vread"
        self.require("read", self.resource_type_or_404(resource_type))
        version = selectors.read_version(resource_type, fhir_id, version_id)
        self.require_reach(version.resource, sending=False)
        self.audit(action="R", resource_type=resource_type, resource_id=fhir_id,
                   patient_id=version.patient_id, subtype="vread")
        return self.resource_response(version, version.resource)


class HistoryView(FhirView):
    """``Type/id/_history`` and ``Type/_history``: kept versions, newest first, as a history Bundle."""

    def get(self, request, resource_type: str, fhir_id: str | None = None):
        self.audit_action, self.audit_type, self.audit_id = "R", resource_type, fhir_id or ""
        self.audit_subtype = "history-instance" if fhir_id else "history-type"
        self.require("read" if fhir_id else "search", self.resource_type_or_404(resource_type))
        params = [(name, value) for name, values in request.GET.lists() for value in values]
        page = selectors.history(resource_type, fhir_id, params)
        for version in page.records:
            if version.resource is not None:
                self.require_reach(version.resource, sending=False)
        self.audit(action="R" if fhir_id else "E", resource_type=resource_type, resource_id=fhir_id or "",
                   patients=[version.patient_id for version in page.records], subtype=self.audit_subtype,
                   query=request.META.get("QUERY_STRING", ""),
                   entities=[f"{v.resource_type}/{v.fhir_id}/_history/{v.version_id}" for v in page.records])
        return Response(history_bundle(resource_type, fhir_id, page, base_url(request)))


class UnknownPathView(FhirView):
    """Anything else under /fhir/: an OperationOutcome, not an HTML page."""

    authentication_classes = []

    def dispatch(self, request, *args, **kwargs):
        self.args, self.kwargs, self.request = args, kwargs, self.initialize_request(request)
        self.headers = self.default_response_headers
        response = Response(operation_outcome([Issue(
            "not-supported", f"{request.method} {request.path} is not part of this FHIR API; see /fhir/metadata"
        )]), status=404)
        self.response = self.finalize_response(self.request, response, *args, **kwargs)
        return self.response


class SystemView(FhirView):
    """POST a transaction or batch Bundle to the base."""

    audit_subtype = "transaction"

    def post(self, request):
        self.audit_action, self.audit_type = "E", "Bundle"
        if request.user is None or not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        body = self.read_body(request)
        if body["resourceType"] != "Bundle":
            raise FhirError(400, Issue("invalid", f"POST to the base takes a Bundle, not a {body['resourceType']}"))
        self.audit_subtype = body["type"] if isinstance(body.get("type"), str) and body["type"] else "transaction"
        prefer = request.META.get("HTTP_PREFER", "")
        if "respond-async" in prefer:
            return self._accept_async(body)
        result = process_bundle(
            body, allowed=lambda i, t: allowed(request.user, i, t), base_url=base_url(request),
            return_resources="return=minimal" not in prefer,
            record=lambda notes: record_bundle_entries(
                notes, user=request.user, source=AuditEvent.Source.FHIR_API, request=request),
        )
        record_bundle(user=request.user, source=AuditEvent.Source.FHIR_API, request=request,
                      kind=self.audit_subtype)
        return Response(result.response)

    def _accept_async(self, body: dict) -> Response:
        # Refuse what can never run, and check the role, now.
        from pracops.records.services.bundles import check_allowed, parse_entries

        if body.get("type") not in ("transaction", "batch"):
            raise FhirError(400, Issue("not-supported", f"Bundle.type {body.get('type')!r}: transaction or batch"))
        check_allowed(parse_entries(body), lambda i, t: allowed(self.request.user, i, t))
        with transaction.atomic():
            submission = BundleSubmission.objects.create(
                submitted_by=self.request.user, bundle=body, base_url=base_url(self.request)
            )
            self.audit(action="E", resource_type="Bundle", resource_id=str(submission.id),
                       subtype=f"{body['type']}-async")
            enqueue_on_commit(process_bundle_submission, str(submission.id))
        response = Response(
            operation_outcome([Issue("informational", "accepted for processing", severity="information")]),
            status=202,
        )
        response["Content-Location"] = f"{base_url(self.request)}/_async/{submission.id}"
        return response


class SubmissionStatusView(FhirView):
    """Poll an asynchronous Bundle: 202 while it runs, then its response Bundle or OperationOutcome."""

    def get(self, request, submission_id):
        if request.user is None or not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        submission = BundleSubmission.objects.filter(id=submission_id).first()
        if submission is None or (submission.submitted_by_id != request.user.pk and not request.user.is_superuser):
            raise FhirError(404, Issue("not-found", "no such submission"))
        if submission.status in (BundleSubmission.Status.QUEUED, BundleSubmission.Status.PROCESSING):
            response = Response(None, status=202)
            response["X-Progress"] = submission.status
            return response
        return Response(submission.response, status=submission.response_status or 200)
