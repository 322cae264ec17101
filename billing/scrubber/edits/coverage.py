"""Edits against what the payer and the practice's records say: prior authorization, timely
filing and lines already sent. They read only the ``ScrubContext``."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from billing.claim_data import Frequency, ProfessionalClaim, ServiceLine
from billing.scrubber.context import AuthorizationOnFile, AuthorizationStatus, ScrubContext, sent_line_key
from billing.scrubber.edits.wording import line_label, units_text, us_date
from billing.scrubber.findings import Problem

TIMELY_FILING_WARNING_DAYS = 14  # a claim this close to the payer's limit goes out first


def _lines_needing_authorization(claim: ProfessionalClaim, context: ScrubContext) -> Iterator[ServiceLine]:
    return (line for line in claim.lines if context.requires_authorization(line.procedure_code))


def _approved_for(line: ServiceLine, context: ScrubContext) -> list[AuthorizationOnFile]:
    return [auth for auth in context.authorizations
            if auth.covers(line.procedure_code) and auth.status == AuthorizationStatus.APPROVED]


def _authorization_for(line: ServiceLine, claim: ProfessionalClaim,
                       context: ScrubContext) -> AuthorizationOnFile | None:
    """The approved authorization a line is billed under: the one in box 23 when box 23 is filled,
    else the one valid on the line's date (else any) among those covering its code."""
    approved = _approved_for(line, context)
    if claim.prior_authorization:
        return next((auth for auth in approved if auth.number == claim.prior_authorization), None)
    return next((auth for auth in approved if auth.valid_on(line.service_date)), approved[0] if approved else None)


def authorization_missing(claim: ProfessionalClaim, context: ScrubContext) -> Iterator[Problem]:
    """A code the payer requires authorization for has an approved authorization on file, and its
    number is in box 23."""
    for line in _lines_needing_authorization(claim, context):
        approved = _approved_for(line, context)
        if not approved:
            others = {auth.status for auth in context.authorizations if auth.covers(line.procedure_code)}
            state = f" (the one on file is {' / '.join(sorted(others))}, not approved)" if others else ""
            yield Problem(f"{line_label(line)} needs prior authorization and no approved authorization on file "
                          f"covers it{state}.", line.number)
        elif not claim.prior_authorization:
            yield Problem(f"{line_label(line)}: an approved authorization covers this code but box 23 (prior "
                          "authorization number) is empty; enter its number.", line.number)
        elif _authorization_for(line, claim, context) is None:
            yield Problem(f"{line_label(line)}: the number in box 23 is not an approved authorization on file "
                          "for this code.", line.number)


def authorization_expired(claim: ProfessionalClaim, context: ScrubContext) -> Iterator[Problem]:
    """The date of service falls within the authorization's valid dates."""
    for line in _lines_needing_authorization(claim, context):
        auth = _authorization_for(line, claim, context)
        if auth is not None and not auth.valid_on(line.service_date):
            yield Problem(f"{line_label(line)}: the date of service {us_date(line.service_date)} is outside the "
                          f"authorization's valid dates ({us_date(auth.valid_from)} to {us_date(auth.valid_until)}).",
                          line.number)


def authorization_exhausted(claim: ProfessionalClaim, context: ScrubContext) -> Iterator[Problem]:
    """The units already used under an authorization plus this claim's units stay within the units approved."""
    billed: dict[str, tuple[AuthorizationOnFile, list[ServiceLine]]] = {}
    for line in _lines_needing_authorization(claim, context):
        auth = _authorization_for(line, claim, context)
        if auth is not None and auth.approved_units is not None:
            billed.setdefault(auth.number, (auth, []))[1].append(line)
    for auth, lines in billed.values():
        units = sum((line.units for line in lines), Decimal(0))
        if auth.units_used + units > auth.approved_units:
            numbers = ", ".join(str(line.number) for line in lines)
            left = max(auth.approved_units - auth.units_used, 0)
            yield Problem(f"{line_label(lines[0])}: the authorization approved {units_text(Decimal(auth.approved_units))}, "
                          f"{units_text(Decimal(auth.units_used))} already used, {units_text(Decimal(left))} left; "
                          f"this claim bills {units_text(units)} under it (line{'s' if len(lines) > 1 else ''} "
                          f"{numbers}). Ask the payer for more units or bill only what is left.", lines[0].number)


def _days_since_service(claim: ProfessionalClaim, context: ScrubContext) -> int | None:
    first = claim.first_service_date
    if first is None or context.timely_filing_days is None:
        return None
    return (context.today - first).days


def timely_filing(claim: ProfessionalClaim, context: ScrubContext) -> Iterator[Problem]:
    """The claim goes out within the payer's timely filing limit, counted from the first date of service."""
    days = _days_since_service(claim, context)
    if days is not None and days > context.timely_filing_days:
        yield Problem(f"The first date of service ({us_date(claim.first_service_date)}) was {days} days ago; this "
                      f"payer's timely filing limit is {context.timely_filing_days} days. The claim will be denied "
                      "unless you have proof it was filed in time.")


def timely_filing_soon(claim: ProfessionalClaim, context: ScrubContext) -> Iterator[Problem]:
    """A claim within two weeks of the payer's limit is flagged so it goes out first."""
    days = _days_since_service(claim, context)
    if days is not None and 0 <= context.timely_filing_days - days <= TIMELY_FILING_WARNING_DAYS:
        left = context.timely_filing_days - days
        yield Problem(f"Only {left} day{'s' if left != 1 else ''} left to file: the first date of service "
                      f"({us_date(claim.first_service_date)}) was {days} days ago and this payer's limit is "
                      f"{context.timely_filing_days} days.")


def duplicate_claim(claim: ProfessionalClaim, context: ScrubContext) -> Iterator[Problem]:
    """A line (same patient, date, code and modifiers) already sent on another claim is not sent
    again on an original claim; a corrected (7) or void (8) claim is how it changes."""
    if claim.frequency in (Frequency.CORRECTED, Frequency.VOID):
        return
    for line in claim.lines:
        key = sent_line_key(member_id=claim.subscriber.member_id, service_date=line.service_date,
                            procedure_code=line.procedure_code, modifiers=line.modifiers)
        sent_on = context.claims_sent.get(key)
        if sent_on is not None and sent_on != claim.claim_id:
            yield Problem(f"{line_label(line)} on {us_date(line.service_date)} was already sent on another claim for "
                          "this patient; to change it, send a corrected claim (frequency 7) instead.",
                          line.number, other_claim=sent_on)
