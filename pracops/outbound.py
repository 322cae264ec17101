"""The one door for every HTTP request PracOps makes to another system (payers, clearinghouses).

Callers get a parsed JSON object or one of two errors that say what to do next:

- ``TransientError``: try again later (timeouts, refused or dropped connections, HTTP 408, 429
  and 5xx); ``retry_after`` carries the server's Retry-After when it sent one, and
  ``maybe_delivered`` says whether the other side may have received the request (a read
  timeout after the body went out) or certainly did not (a refused connection);
- ``PermanentError``: sending the same thing again will fail the same way (other 4xx, an
  answer that is not a JSON object, a URL that cannot be used); a person has to look.

Error messages and log lines name the host, the HTTP status and the elapsed time, never a URL
path (it may hold ids), a request body or a response body (they hold patient data). A FHIR
OperationOutcome in an error answer is summarised by its issues' severity, code and FHIRPath
expressions; its free-text diagnostics are kept apart on the exception (``diagnostics``) for a
staff screen, never in its message.

Tests replace the network with ``use_transport(httpx.MockTransport(handler))`` (or any httpx
transport): the one seam every outbound call goes through.
"""

from __future__ import annotations

import email.utils
import logging
import os
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from urllib.parse import urlsplit

import httpx

logger = logging.getLogger("pracops.outbound")

JSON = "application/json"
# Statuses a later attempt may get past: the server timed out waiting, is rate limiting, or is failing.
_TRANSIENT_STATUSES = frozenset({408, 425, 429})
# The longest Retry-After honoured; a server asking for more is asked again after this.
MAX_RETRY_AFTER_SECONDS = 3600.0


class OutboundError(Exception):
    """A request to another system failed; ``host`` and ``status`` (None: no HTTP answer) say where."""

    def __init__(self, message: str, *, host: str = "", status: int | None = None,
                 diagnostics: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.host = host
        self.status = status
        # The answer's own words (an OperationOutcome's diagnostics): may quote patient data, so
        # for a staff screen only, never a log line or an exception message.
        self.diagnostics = diagnostics


class TransientError(OutboundError):
    """Worth trying again later; ``retry_after`` (seconds) when the server asked for a delay."""

    def __init__(self, message: str, *, host: str = "", status: int | None = None,
                 retry_after: float | None = None, maybe_delivered: bool = True,
                 diagnostics: tuple[str, ...] = ()) -> None:
        super().__init__(message, host=host, status=status, diagnostics=diagnostics)
        self.retry_after = retry_after
        # False only when the request certainly never reached the server (no connection was made):
        # a caller that must never send twice can resend at once then, and must ask first otherwise.
        self.maybe_delivered = maybe_delivered


class PermanentError(OutboundError):
    """Sending the same request again will fail the same way: a person must look at it."""


# --- the transport seam --------------------------------------------------------------------

_local = threading.local()
_override: httpx.BaseTransport | None = None
_override_lock = threading.Lock()


@contextmanager
def use_transport(transport: httpx.BaseTransport) -> Iterator[None]:
    """Send every outbound request through ``transport`` inside the block (tests)."""
    global _override
    with _override_lock:
        previous, _override = _override, transport
    try:
        yield
    finally:
        with _override_lock:
            _override = previous


@contextmanager
def served_in_process() -> Iterator[None]:
    """Answer every outbound request inside the block with this very Django app, in-process (an
    httpx WSGI transport): what ``manage.py load_demo`` reaches the sandbox payer and clearinghouse
    through before any server runs. As Django's test client does, the app it serves does not close
    the caller's database connection at the end of each request (it would end the caller's work)."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with use_transport(httpx.WSGITransport(app=WSGIHandler())):
            yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _client() -> httpx.Client:
    if _override is not None:
        return httpx.Client(transport=_override)
    # One pooled client per process and thread: Celery's prefork workers fork after import, and
    # a pool's sockets must not be shared across a fork.
    client = getattr(_local, "client", None)
    if client is None or getattr(_local, "pid", None) != os.getpid():
        client = httpx.Client(limits=httpx.Limits(max_connections=10, max_keepalive_connections=5))
        _local.client, _local.pid = client, os.getpid()
    return client


# --- requests ------------------------------------------------------------------------------

def post_json(url: str, body: Mapping, *, timeout: float, headers: Mapping[str, str] | None = None) -> dict:
    """POST ``body`` as JSON; the answer's JSON object, or TransientError / PermanentError."""
    return _request("POST", url, json=body, timeout=timeout, headers=headers)


def get_json(url: str, *, timeout: float, headers: Mapping[str, str] | None = None) -> dict:
    """GET ``url``; the answer's JSON object, or TransientError / PermanentError."""
    return _request("GET", url, timeout=timeout, headers=headers)


def post_bytes(url: str, content: bytes, *, content_type: str, timeout: float,
               headers: Mapping[str, str] | None = None) -> dict:
    """POST raw bytes (a PDF, an X12 file); the answer's JSON object, or the two errors."""
    return _request("POST", url, content=content, timeout=timeout,
                    headers={"Content-Type": content_type, **(headers or {})})


def get_text(url: str, *, timeout: float, headers: Mapping[str, str] | None = None) -> str:
    """GET a file (an X12 interchange); its text (UTF-8), or TransientError / PermanentError."""
    return _request("GET", url, timeout=timeout, headers={"Accept": "*/*", **(headers or {})}, expect="text")


def post_empty(url: str, *, timeout: float, headers: Mapping[str, str] | None = None) -> None:
    """POST with no body to an endpoint that answers 2xx with no content (an acknowledgment)."""
    _request("POST", url, timeout=timeout, headers=headers, expect="nothing")


def _request(method: str, url: str, *, timeout: float, headers: Mapping[str, str] | None,
             json: Mapping | None = None, content: bytes | None = None, expect: str = "json"):
    host = host_of(url)
    all_headers = {"Accept": JSON, **({"Content-Type": JSON} if json is not None else {}), **(headers or {})}
    started = time.monotonic()
    client, temporary = _client(), _override is not None
    try:
        response = client.request(method, url, json=json, content=content, headers=all_headers,
                                  timeout=httpx.Timeout(timeout))
        response.read()
    except httpx.UnsupportedProtocol as exc:
        _log(method, host, "unusable-url", started)
        raise PermanentError(f"{host or 'the URL'} cannot be reached: not an http(s) URL", host=host) from exc
    except httpx.InvalidURL as exc:
        _log(method, host, "unusable-url", started)
        raise PermanentError(f"{host or 'the URL'} cannot be reached: the URL is not valid", host=host) from exc
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        # Nothing left this process: no connection was made.
        _log(method, host, "no-connection", started)
        raise TransientError(f"{host} could not be reached ({type(exc).__name__})", host=host,
                             maybe_delivered=False) from exc
    except httpx.TimeoutException as exc:
        _log(method, host, "timeout", started)
        raise TransientError(f"{host} did not answer within {timeout:g}s", host=host) from exc
    except httpx.TransportError as exc:  # read errors, dropped connections, protocol errors
        _log(method, host, "connection-lost", started)
        raise TransientError(f"{host} dropped the connection ({type(exc).__name__})", host=host) from exc
    finally:
        if temporary:
            client.close()
    _log(method, host, response.status_code, started)
    if expect != "json" and 200 <= response.status_code < 300:
        if expect == "nothing":
            return None
        try:
            return response.content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PermanentError(f"{host} answered HTTP {response.status_code} with a body that is not UTF-8 text",
                                 host=host, status=response.status_code) from exc
    return _json_or_error(response, host)


def _json_or_error(response: httpx.Response, host: str) -> dict:
    status = response.status_code
    body = _parse_json(response)
    if status >= 500 or status in _TRANSIENT_STATUSES:
        summary, diagnostics = _outcome_summary(body)
        raise TransientError(f"{host} answered HTTP {status}{summary}", host=host, status=status,
                             retry_after=_retry_after(response.headers.get("Retry-After")),
                             diagnostics=diagnostics)
    if status >= 300:
        summary, diagnostics = _outcome_summary(body)
        raise PermanentError(f"{host} answered HTTP {status}{summary}", host=host, status=status,
                             diagnostics=diagnostics)
    if not isinstance(body, dict):
        raise PermanentError(f"{host} answered HTTP {status} with a body that is not a JSON object",
                             host=host, status=status)
    return body


def _parse_json(response: httpx.Response) -> object:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:  # not JSON, or not UTF-8
        return None


def _outcome_summary(body: object) -> tuple[str, tuple[str, ...]]:
    """': error invalid at Bundle.entry[0]; ...' from an OperationOutcome, without its free text."""
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        return "", ()
    parts, diagnostics = [], []
    issues = body.get("issue") if isinstance(body.get("issue"), list) else []
    for issue in issues[:5]:
        if not isinstance(issue, dict):
            continue
        words = [str(issue.get(key)) for key in ("severity", "code") if isinstance(issue.get(key), str)]
        codes = [c.get("code") for c in (issue.get("details") or {}).get("coding") or []
                 if isinstance(c, dict) and isinstance(c.get("code"), str)]
        if codes:
            words.append(f"({', '.join(codes)})")
        # FHIRPath expressions name elements, never values: safe to repeat.
        paths = [p for p in (issue.get("expression") or issue.get("location") or []) if isinstance(p, str)]
        if paths:
            words.append("at " + ", ".join(paths[:3]))
        if words:
            parts.append(" ".join(words)[:200])
        if isinstance(issue.get("diagnostics"), str):
            diagnostics.append(issue["diagnostics"][:1000])
    for issue in issues[5:]:
        if isinstance(issue, dict) and isinstance(issue.get("diagnostics"), str):
            diagnostics.append(issue["diagnostics"][:1000])
    more = f" (+{len(issues) - 5} more)" if len(issues) > 5 else ""
    return (f": OperationOutcome {'; '.join(parts)}{more}" if parts else ": OperationOutcome"), tuple(diagnostics)


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds from now (it may be a number of seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def host_of(url: str) -> str:
    """The host (and port, when given) of ``url``: what messages and logs may name."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    host = parts.hostname or ""
    return f"{host}:{port}" if host and port else host


def _log(method: str, host: str, status: int | str, started: float) -> None:
    elapsed_ms = (time.monotonic() - started) * 1000
    logger.info("outbound %s %s %s %.0fms", method, host, status, elapsed_ms)
