"""Reading a PAS rest-hook Subscription (R4, Subscriptions R5 Backport IG): pure.

The PAS IG lets a provider subscribe to the decisions on its pended requests: the topic is
the PAS SubscriptionTopic, the filter names the provider organisation's identifier
(``org-identifier=`` in PAS 2.2, ``identifier=`` before), the channel is a rest-hook with a
payload content of ``empty``, ``id-only`` or ``full-resource``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pracops.fhir.outcome import Issue
from pracops.fhir.validation import validation_issues
from sandbox.payer.pas import PAS_TOPIC
from sandbox.payer.responses import BACKPORT

FILTER_CRITERIA = f"{BACKPORT}/backport-filter-criteria"
PAYLOAD_CONTENT = f"{BACKPORT}/backport-payload-content"
PAYLOAD_CONTENTS = ("empty", "id-only", "full-resource")
_FILTER_PARAMETERS = ("org-identifier", "identifier")


class SubscriptionError(Exception):
    """The Subscription cannot be accepted; ``issues`` say why."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("; ".join(issue.diagnostics for issue in issues))


@dataclass(frozen=True)
class SubscriptionRequest:
    endpoint: str
    headers: dict[str, str]
    payload: str  # empty | id-only | full-resource
    org_identifier: str  # the provider organisation whose decisions it wants
    resource: dict  # as sent


def read_subscription(body: Any) -> SubscriptionRequest:
    """Check ``body`` as a PAS rest-hook Subscription; raise ``SubscriptionError`` with every problem."""
    if not isinstance(body, dict) or body.get("resourceType") != "Subscription":
        found = body.get("resourceType") if isinstance(body, dict) else type(body).__name__
        raise SubscriptionError([Issue("structure", f"the body must be a Subscription, not {found or 'nothing'}")])
    issues = validation_issues(body)
    if issues:
        raise SubscriptionError(issues)
    if body.get("criteria") != PAS_TOPIC:
        issues.append(Issue("value", f"Subscription.criteria must be the PAS topic {PAS_TOPIC}",
                            expression="Subscription.criteria"))
    org_identifier = ""
    filters = [e.get("valueString", "") for e in (body.get("_criteria") or {}).get("extension", [])
               if e.get("url") == FILTER_CRITERIA]
    for criterion in filters:
        name, _, value = criterion.partition("=")
        if name.strip() in _FILTER_PARAMETERS and value.strip():
            org_identifier = value.strip().split("|")[-1]
    if not org_identifier:
        issues.append(Issue(
            "required", "Subscription.criteria needs a backport-filter-criteria extension naming the provider "
                        "organisation: org-identifier=<identifier>", expression="Subscription.criteria"))
    channel = body.get("channel") or {}
    if channel.get("type") != "rest-hook":
        issues.append(Issue("not-supported", f"Subscription.channel.type must be 'rest-hook', not "
                                             f"{channel.get('type')!r}", expression="Subscription.channel.type"))
    endpoint = channel.get("endpoint") or ""
    if urlsplit(endpoint).scheme not in ("http", "https") or not urlsplit(endpoint).netloc:
        issues.append(Issue("required", "Subscription.channel.endpoint must be an http(s) URL",
                            expression="Subscription.channel.endpoint"))
    payloads = [e.get("valueCode") for e in (channel.get("_payload") or {}).get("extension", [])
                if e.get("url") == PAYLOAD_CONTENT]
    payload = payloads[0] if payloads else ("id-only" if channel.get("payload") else "empty")
    if payload not in PAYLOAD_CONTENTS:
        issues.append(Issue("value", f"Subscription.channel.payload content must be one of "
                                     f"{', '.join(PAYLOAD_CONTENTS)}", expression="Subscription.channel.payload"))
    headers: dict[str, str] = {}
    for n, header in enumerate(channel.get("header") or []):
        name, colon, value = header.partition(":")
        if not colon or not name.strip():
            issues.append(Issue("value", f"Subscription.channel.header[{n}] must read 'Name: value'",
                                expression=f"Subscription.channel.header[{n}]"))
        else:
            headers[name.strip()] = value.strip()
    if issues:
        raise SubscriptionError(issues)
    return SubscriptionRequest(endpoint=endpoint, headers=headers, payload=payload,
                               org_identifier=org_identifier, resource=body)
