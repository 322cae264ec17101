"""Logging filters that keep patient data out of log files.

Every handler (Django's, the Celery worker's, gunicorn's) carries ``RedactPhiFilter``. What
may quote patient data, and what the filter leaves of it:

- query strings (identifiers, names): ``/fhir/Patient?[redacted]``;
- ids in URL paths: ``/fhir/Patient/[id]``, ``/admin/records/patient/[id]/change/``;
- the secret in the URL payers notify: ``/priorauth/pas/notifications/[secret]/``;
- exception messages, in tracebacks and in messages (a database error's text quotes column
  values, its DETAIL whole rows): the exception's class, and a database error's SQLSTATE;
- Celery's retry lines (``Retry in 10s: <the exception>``): the exception's class.
"""

from __future__ import annotations

import logging
import re
import traceback

# A query string after a path: "GET /fhir/Patient?identifier=...&name=..." -> "GET /fhir/Patient?[redacted]"
_QUERY = re.compile(r"(/[^\s?\"']*)\?[^\s\"']*")
# An id after a FHIR type ("/fhir/Patient/<id>") or an admin model ("/admin/records/patient/<pk>/").
_FHIR_ID = re.compile(r"(/fhir/[A-Z][A-Za-z]*/)(?!_history\b)[^/\s?\"']+")
_ADMIN_PK = re.compile(r"(/admin/\w+/\w+/)(?!add/)[^/\s?\"']+(?=/)")
# The secret payers' notifications carry in their path (PRIORAUTH_NOTIFICATION_TOKEN).
_NOTIFICATION_SECRET = re.compile(r"(/priorauth/pas/notifications/)[^/\s?\"']+")
# An exception's repr inside a message, "DataError('value too long ... (MRN-1)')" -> "DataError(...)".
_EXCEPTION_REPR = re.compile(r"\b([A-Z]\w*(?:Error|Exception|Violation|Warning|Truncation|Representation|Retry))\(.*\)")
# Celery's retry reason: "Retry in 10s: <anything the exception said>".
_RETRY = re.compile(r"(Retry in [\d.]+s): (?:([A-Z]\w*)\b(?=\()|[^\n]*)[^\n]*")
# PostgreSQL's DETAIL and the like, e.g. "DETAIL:  Key (value)=(MRN-1) already exists."
_DB_DETAIL = re.compile(r"\b(DETAIL|HINT|CONTEXT|LINE \d+):.*", re.DOTALL)


def redact(text: str) -> str:
    """The text without query strings, path ids, exception messages or database detail."""
    text = _QUERY.sub(r"\1?[redacted]", text)
    text = _FHIR_ID.sub(r"\1[id]", text)
    text = _ADMIN_PK.sub(r"\1[id]", text)
    text = _NOTIFICATION_SECRET.sub(r"\1[secret]", text)
    text = _RETRY.sub(lambda m: f"{m[1]}: {m[2] or '[redacted]'}", text)
    text = _EXCEPTION_REPR.sub(r"\1(...)", text)
    return _DB_DETAIL.sub(r"\1: [redacted]", text)


def describe(exc: BaseException) -> str:
    """An exception as its class (and SQLSTATE, for database errors), without its message."""
    kind = type(exc)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    sqlstate = getattr(exc, "sqlstate", None) or getattr(exc.__cause__, "sqlstate", None)
    return f"{name} (SQLSTATE {sqlstate})" if sqlstate else name


def scrubbed_traceback(exc: BaseException) -> str:
    """The traceback's frames, chained exceptions included, with each exception named but not quoted."""
    return "".join(_traceback_lines(exc, set())).rstrip("\n")


def _traceback_lines(exc: BaseException, seen: set[int]) -> list[str]:
    seen.add(id(exc))
    lines: list[str] = []
    if exc.__cause__ is not None and id(exc.__cause__) not in seen:
        lines += _traceback_lines(exc.__cause__, seen)
        lines.append("\nThe above exception was the direct cause of the following exception:\n\n")
    elif exc.__context__ is not None and not exc.__suppress_context__ and id(exc.__context__) not in seen:
        lines += _traceback_lines(exc.__context__, seen)
        lines.append("\nDuring handling of the above exception, another exception occurred:\n\n")
    if exc.__traceback__ is not None:
        lines.append("Traceback (most recent call last):\n")
        lines += traceback.format_list(traceback.extract_tb(exc.__traceback__))
    lines.append(f"{describe(exc)}: [message withheld]\n")
    return lines


class RedactPhiFilter(logging.Filter):
    """Scrub every log record of patient data (see the module's docstring) before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):  # an exception passed as an argument is named, not quoted
            record.args = tuple(describe(a) if isinstance(a, BaseException) else a for a in record.args)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: its template alone
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = scrubbed_traceback(record.exc_info[1])
            record.exc_info = None
        elif record.exc_text:  # formatted by an earlier handler without this filter
            record.exc_text = redact(record.exc_text)
        # django.request attaches the request (its repr carries the full path); Celery attaches
        # its log context as ``data``, with the task's arguments and the unscrubbed traceback.
        for attached in ("request", "data"):
            if hasattr(record, attached):
                setattr(record, attached, None)
        return True
