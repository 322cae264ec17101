"""FHIR JSON text in and out, with decimals kept exactly as written.

A FHIR decimal's text is its value and its precision: ``0.60`` is not ``0.6`` and
``3.141592653589793238`` is not a binary float. Numbers with a fraction or an exponent are
read as ``Decimal`` and written back with the same digits. orjson does the work whenever a
document has no such number (most of what an EHR sends), so that path costs nothing extra.
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
from decimal import Decimal
from typing import Any

import orjson
import simplejson

# A number with a fraction or an exponent where a JSON value starts. It may also match text
# inside a string ("a: 1.5"), which only sends that document down the exact path.
_DECIMAL_NUMBER = re.compile(rb"[:,\[]\s*-?[0-9]+(?:\.[0-9]|[eE])")
# An escaped UTF-16 surrogate, which the standard library accepts unpaired and orjson does not.
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


def loads(raw: bytes) -> Any:
    """The JSON document in ``raw`` (UTF-8); decimals as ``Decimal``.

    Raises ``orjson.JSONDecodeError`` (a ``json.JSONDecodeError``) for anything that is not
    strict JSON, whichever path reads it: both refuse what orjson refuses.
    """
    if not _DECIMAL_NUMBER.search(raw):
        return orjson.loads(raw)
    try:
        document = json.loads(raw, parse_float=Decimal, parse_constant=_refuse_constant)
    except ValueError:
        # orjson's error, with its message and position; were orjson to accept what the
        # standard library does not, its reading (floats) beats refusing valid JSON.
        return orjson.loads(raw)
    if _ESCAPED_SURROGATE.search(raw):
        orjson.loads(raw)  # refuses an unpaired surrogate
    return document


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def dumps(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON; a ``Decimal`` is written as a number with its own digits."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return simplejson.dumps(
            value, use_decimal=True, separators=(",", ":"), ensure_ascii=False, default=_default,
        ).encode()


def _default(value: Any) -> Any:
    # What orjson writes natively and simplejson does not.
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class ExactEncoder(json.JSONEncoder):
    """For ``JSONField(encoder=...)``: the stored text keeps each decimal's digits."""

    def encode(self, o: Any) -> str:
        return dumps(o).decode()


class ExactDecoder(json.JSONDecoder):
    """For ``JSONField(decoder=...)``: stored decimals come back as ``Decimal``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("parse_float", Decimal)
        super().__init__(*args, **kwargs)
