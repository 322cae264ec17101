"""The demo practice's prior authorizations (``manage.py load_demo``): the four demo orders as
requests in the states the criteria and the sandbox payer truly give them.

- Alvarez, ESI (64483) at Acme: every commercial criterion met -> ready, left for staff to send;
- Chen, medial branch block (64493) at Medicare: criteria met, sent -> the sandbox approves;
- Okafor, SI joint injection (27096) at Acme: criteria met, sent -> the sandbox pends it for review;
- Novak, SCS trial (63650) at Medicare: pain duration and failed therapies not documented ->
  needs documentation.

Both payers are reached by Da Vinci PAS at the sandbox payer: Medicare has no PAS API of its
own, but the sandbox stands for any payer's server, and a fax payer could not show a decision
without staff typing one in. The requests are sent in-process (an httpx WSGI transport to this
very Django app) so loading needs no running server. Loading again changes nothing: an order
that already has a request is left as it is.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

from pracops.audit.models import AuditEvent
from priorauth import services
from priorauth.models import PayerProfile, PriorAuthorization
from pracops.records.models import DocumentReference, Organization, ServiceRequest

PAYER_ID_SYSTEM = "urn:oid:2.16.840.1.113883.3.7418.2"
PROFILES = {"ACME01": "commercial", "MCRJ15": "medicare"}
SEND = {"64493", "27096"}  # the orders sent to the sandbox payer
PEND_RULE = "demo: SI joint injections go to medical review"


def load_prior_authorizations(*, base_url: str, say: Callable[[str], None] = lambda line: None) -> dict[str, str]:
    """Profiles for the demo payers, a request per demo order, packets, and the two sent; the
    status of each order's request by CPT code."""
    from documentation.services import extract_note_facts

    say("Prior authorizations:")
    endpoint = f"{base_url.rstrip('/')}/sandbox/payer/fhir/"
    for value, key in PROFILES.items():
        payer = Organization.objects.filter(identifiers__system=PAYER_ID_SYSTEM, identifiers__value=value).first()
        if payer is None:
            continue
        PayerProfile.objects.update_or_create(organization=payer, defaults={
            "policy_key": key, "adapter": PayerProfile.Adapter.PAS, "endpoint": endpoint})
    for note in DocumentReference.objects.exclude(text="").values_list("pk", flat=True):
        # Read now, not whenever a worker gets to it; the scores it records are the demo's writes.
        extract_note_facts(document_pk=note, system="load_demo", source=AuditEvent.Source.COMMAND)
    if getattr(settings, "SANDBOX_PAYER_ENABLED", False):
        from sandbox.payer import services as sandbox

        sandbox.set_rule(name=PEND_RULE, action="pend", code="27096", pend_seconds=7 * 24 * 3600, then="approve")

    statuses = {}
    for order in ServiceRequest.objects.filter(status="active").order_by("pk"):
        authorization = order.prior_authorizations.order_by("-pk").first()
        if authorization is None:
            try:
                authorization = services.create_authorization(service_request=order, agent="system:load_demo")
            except services.AuthorizationError as exc:
                say(f"  order {order.code}: no prior authorization ({exc})")
                continue
            if authorization.packet_id is None:
                authorization = services.build_packet(authorization=authorization, agent="system:load_demo")
            if authorization.status == PriorAuthorization.Status.READY and order.code in SEND:
                _send_in_process(authorization)
            authorization.refresh_from_db()
        statuses[authorization.cpt] = authorization.status
        say(f"  {authorization.cpt}: {authorization.get_status_display()}")
    return statuses


def _send_in_process(authorization: PriorAuthorization) -> None:
    """Send to the sandbox payer served by this process (no server is running yet)."""
    from pracops import outbound

    with outbound.served_in_process():
        services.request_submission(authorization=authorization, agent="system:load_demo")
        services.send_submission(authorization_pk=authorization.pk, agent="system:load_demo")
