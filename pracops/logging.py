"""Logging filters that keep patient data out of log files."""

import logging
import re

# A query string after a path: "GET /fhir/Patient?identifier=...&name=..." -> "GET /fhir/Patient?[redacted]"
_QUERY = re.compile(r"(/[^\s?\"']*)\?[^\s\"']*")


def redact(text: str) -> str:
    return _QUERY.sub(r"\1?[redacted]", text)


class RedactPhiFilter(logging.Filter):
    """Strip query strings (which carry identifiers and names) from every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is still logged, unformatted
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        # django.request attaches the request; its repr carries the full path.
        if hasattr(record, "request"):
            record.request = None
        return True
