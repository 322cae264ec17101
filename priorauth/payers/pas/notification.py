"""Reading a PAS rest-hook notification: which prior authorizations it is about (pure).

A payer notifies with a Subscriptions R5 Backport notification Bundle (type ``history``): first
a SubscriptionStatus Parameters whose ``notification-event`` parts name the changed
ClaimResponse (``focus``), then, for ``full-resource`` subscriptions, the ClaimResponse itself
and what it references. A notification only says "look again": the workflow matches what this
module returns against its requests (their request ids and payer references) and inquires.
"""

from __future__ import annotations

from collections.abc import Iterator

STATUS_TYPES = ("event-notification", "heartbeat", "handshake", "query-status", "query-event")


class NotificationError(ValueError):
    """Not a subscription notification Bundle; the message names the element at fault (no values)."""


def read_notification(body: object) -> list[str]:
    """The request ids and payer references a notification names, each once, in order.

    For each event: the focus reference as sent and the id at its end (a ClaimResponse's id is
    the payer's tracking id); for a full-resource payload also each ClaimResponse's identifiers,
    its id and the identifier or reference of the Claim it answers (PracOps' request id).
    Heartbeats and handshakes name nothing (an empty list).
    """
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        raise NotificationError("a notification is a FHIR Bundle")
    if body.get("type") != "history":
        raise NotificationError("a notification Bundle has type history (Bundle.type)")
    entries = body.get("entry")
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        raise NotificationError("a notification Bundle starts with its SubscriptionStatus (Bundle.entry)")
    status = entries[0].get("resource")
    if not isinstance(status, dict) or status.get("resourceType") != "Parameters":
        raise NotificationError("the first entry of a notification is a SubscriptionStatus Parameters "
                                "(Bundle.entry[0].resource)")
    parameters = [p for p in status.get("parameter") or [] if isinstance(p, dict)]
    kind = next((p.get("valueCode") for p in parameters if p.get("name") == "type"), None)
    if kind not in STATUS_TYPES:
        raise NotificationError("the SubscriptionStatus has no notification type (Parameters.parameter:type)")

    names: list[str] = []
    for parameter in parameters:
        if parameter.get("name") != "notification-event":
            continue
        parts = [p for p in parameter.get("part") or [] if isinstance(p, dict)]
        for part in parts:
            if part.get("name") == "focus":
                reference = (part.get("valueReference") or {}).get("reference")
                if isinstance(reference, str) and reference:
                    names += [reference, *_id_of(reference)]
    for entry in entries[1:]:
        resource = entry.get("resource")
        if isinstance(resource, dict) and resource.get("resourceType") == "ClaimResponse":
            names += list(_claim_response_names(resource))
    if kind == "event-notification" and not names:
        raise NotificationError("the notification names no ClaimResponse (notification-event focus)")
    return list(dict.fromkeys(names))


def _id_of(reference: str) -> list[str]:
    """``[id]`` for a ``.../Type/id`` reference (without a version); nothing for a urn."""
    if reference.startswith("urn:"):
        return []
    path = reference.split("/_history/")[0].rstrip("/").split("/")
    return [path[-1]] if len(path) >= 2 and path[-2][:1].isupper() and path[-1] else []


def _claim_response_names(resource: dict) -> Iterator[str]:
    for identifier in resource.get("identifier") or []:
        if isinstance(identifier, dict) and identifier.get("value"):
            yield str(identifier["value"])
    if resource.get("id"):
        yield str(resource["id"])
    request = resource.get("request") or {}
    if isinstance(request, dict):
        identifier = request.get("identifier") or {}
        if isinstance(identifier, dict) and identifier.get("value"):
            yield str(identifier["value"])
        if isinstance(request.get("reference"), str):
            yield request["reference"]
            yield from _id_of(request["reference"])
