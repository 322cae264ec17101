"""Reads for billing: the fee schedule in effect, who the practice bills as, a stored claim as
the plain ``ProfessionalClaim`` the 837P writer and the scrubber read, and the worklists.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from django.db.models import Count, Q, QuerySet

from billing.claim_data import Address, Party, Payer, ProfessionalClaim, Provider, ServiceLine, Subscriber
from billing.models import BillingProfile, Claim, ClaimLine, FeeSchedule, PayerBillingSettings
from billing.scrubber import AuthorizationOnFile, AuthorizationStatus, ScrubContext, sent_line_key
from pracops.records.models import Encounter, Patient


def fee_schedule_in_effect(*, payer_pk: int | None, on: date) -> FeeSchedule | None:
    """The payer's schedule in effect on ``on`` (the practice's default with ``payer_pk`` None):
    started on or before it and not ended before it; the latest started when several are."""
    return (FeeSchedule.objects.filter(payer_id=payer_pk, effective_from__lte=on)
            .filter(Q(effective_until__isnull=True) | Q(effective_until__gte=on))
            .order_by("-effective_from", "-pk").first())


def billing_profile_for(encounter: Encounter) -> BillingProfile | None:
    """Who bills the encounter: its service provider when that organization has a billing
    profile, else the practice's one profile (None when there is none, or several to choose from)."""
    if encounter.service_provider_id is not None:
        own = BillingProfile.objects.filter(organization_id=encounter.service_provider_id).first()
        if own is not None:
            return own
    profiles = list(BillingProfile.objects.all()[:2])
    return profiles[0] if len(profiles) == 1 else None


def original_claims_for(encounter_pk: int) -> list[Claim]:
    """The original (frequency 1) claims made for an encounter, one per coverage billed."""
    return list(Claim.objects.filter(encounter_id=encounter_pk, frequency=Claim.Frequency.ORIGINAL)
                .select_related("patient").order_by("pk"))


# --- The claim as plain data ----------------------------------------------------------

_SEX = {Patient.Gender.FEMALE: "F", Patient.Gender.MALE: "M"}


def professional_claim(claim: Claim | int) -> ProfessionalClaim:
    """The stored claim as ``billing.claim_data.ProfessionalClaim``, in two queries: the claim
    with its patient, coverage, payer (and its billing settings), billing provider (and its
    profile), rendering provider and the claim it replaces; then its lines. A corrected or void
    claim carries the replaced claim's payer claim number (REF*F8)."""
    pk = claim.pk if isinstance(claim, Claim) else claim
    stored = (Claim.objects.select_related(
        "patient", "coverage", "payer__billing_settings", "billing_provider__billing_profile",
        "rendering_provider", "replaces").get(pk=pk))
    lines = list(ClaimLine.objects.filter(claim_id=pk).order_by("number"))
    profile = getattr(stored.billing_provider, "billing_profile", None)
    payer_settings = getattr(stored.payer, "billing_settings", None)
    rendering = None
    if stored.rendering_provider is not None:
        practitioner = stored.rendering_provider
        rendering = Provider(npi=practitioner.npi, last_name_or_org=practitioner.family,
                             first_name=practitioner.given or "", taxonomy=profile.rendering_taxonomy if profile else "")
    return ProfessionalClaim(
        claim_id=stored.patient_control_number,
        billing=_billing_provider(stored, profile),
        subscriber=_subscriber(stored, payer_settings),
        payer=Payer(name=stored.payer.name, payer_id=payer_settings.payer_id if payer_settings else ""),
        diagnoses=tuple(stored.diagnoses),
        lines=tuple(ServiceLine(
            number=line.number, procedure_code=line.procedure_code, charge=line.charge, units=line.units,
            service_date=line.service_date, diagnosis_pointers=tuple(line.diagnosis_pointers),
            modifiers=tuple(line.modifiers), control_number=line.control_number) for line in lines),
        place_of_service=stored.place_of_service,
        frequency=stored.frequency,
        payer_claim_number=stored.replaces.payer_claim_number if stored.replaces else "",
        prior_authorization=stored.prior_authorization_number,
        rendering=rendering,
        statement_date=stored.created_at.date(),
    )


def _billing_provider(claim: Claim, profile: BillingProfile | None) -> Provider:
    organization = claim.billing_provider
    if profile is None:
        return Provider(npi=organization.npi, last_name_or_org=organization.name)
    return Provider(
        npi=organization.npi, last_name_or_org=organization.name, taxonomy=profile.taxonomy, tax_id=profile.tax_id,
        address=Address(line1=profile.address_line1, line2=profile.address_line2, city=profile.city,
                        state=profile.state, postal_code=profile.postal_code))


def _subscriber(claim: Claim, payer_settings) -> Subscriber:
    """The patient as the insured (PracOps bills the patient as the subscriber)."""
    patient, coverage = claim.patient, claim.coverage
    return Subscriber(
        member_id=coverage.member_id, last_name=patient.family, first_name=patient.given,
        birth_date=patient.birth_date, sex=_SEX.get(patient.gender, "U"), address=_address(patient.resource),
        group_number=coverage.group, plan_name=coverage.plan,
        claim_filing_code=payer_settings.claim_filing_code if payer_settings else "CI")


def _address(resource: dict) -> Address | None:
    """The patient's home address (else the first one) from the stored resource."""
    addresses = [a for a in resource.get("address") or [] if isinstance(a, dict)]
    chosen = next((a for a in addresses if a.get("use") == "home"), addresses[0] if addresses else None)
    if chosen is None or not chosen.get("line"):
        return None
    lines = [str(line) for line in chosen.get("line") or []]
    return Address(line1=lines[0], line2=lines[1] if len(lines) > 1 else "", city=chosen.get("city", ""),
                   state=chosen.get("state", ""), postal_code=str(chosen.get("postalCode", "")).replace("-", ""))


def submitter(profile: BillingProfile) -> Party:
    """The practice as the submitter of 837P files (loop 1000A)."""
    return Party(name=profile.submitter_name, identifier=profile.submitter_etin, contact_name=profile.contact_name,
                 contact_phone=profile.contact_phone)


# --- Worklists and filters ------------------------------------------------------------


def claims(*, status: str | None = None, payer_pk: int | None = None, patient_pk: int | None = None,
           service_from: date | None = None, service_until: date | None = None, payer_id: str | None = None,
           patient_id: str | None = None, carc: str | None = None) -> QuerySet[Claim]:
    """Claims by the ``/api/claims/`` filters (each optional; ``payer_id`` and ``patient_id`` are
    FHIR ids, ``carc`` a reason code some posted adjustment of the claim has), the latest date of
    service first."""
    found = Claim.objects.select_related("payer", "patient")
    if payer_id:
        found = found.filter(payer__fhir_id=payer_id)
    if patient_id:
        found = found.filter(patient__fhir_id=patient_id)
    if carc:
        found = claims_with_adjustment(found, carc)
    if status:
        found = found.filter(status=status)
    if payer_pk is not None:
        found = found.filter(payer_id=payer_pk)
    if patient_pk is not None:
        found = found.filter(patient_id=patient_pk)
    if service_from is not None:
        found = found.filter(service_date__gte=service_from)
    if service_until is not None:
        found = found.filter(service_date__lte=service_until)
    return found


def claims_to_scrub() -> QuerySet[Claim]:
    """Drafts: made or fixed, waiting for a clean scrub; the oldest date of service first (timely filing)."""
    return claims(status=Claim.Status.DRAFT).order_by("service_date", "pk")


def claims_to_submit() -> QuerySet[Claim]:
    """Scrubbed claims waiting to go out in the next 837P file."""
    return claims(status=Claim.Status.SCRUBBED).order_by("service_date", "pk")


def claims_awaiting_payer() -> QuerySet[Claim]:
    """Claims sent (submitted, accepted or appealed) and not yet answered by a remittance."""
    return Claim.objects.filter(status__in=Claim.AWAITING_PAYER).select_related("payer").order_by("service_date", "pk")


def claims_to_work() -> QuerySet[Claim]:
    """Rejected, denied and partially paid claims: what staff fix, correct or appeal."""
    return (Claim.objects.filter(status__in=(Claim.Status.REJECTED, Claim.Status.DENIED,
                                             Claim.Status.PARTIALLY_PAID))
            .select_related("payer").order_by("service_date", "pk"))


# --- What the scrubber reads besides the claim -----------------------------------------

# Claims whose lines reached the payer and still stand there: a line on one of them sent again
# on an original claim is a duplicate. Rejected claims never reached adjudication; closed ones
# were voided or written off.
SENT = (Claim.Status.SUBMITTED, Claim.Status.ACCEPTED, Claim.Status.PAID, Claim.Status.PARTIALLY_PAID,
        Claim.Status.DENIED, Claim.Status.APPEALED, Claim.Status.CORRECTED)

_AUTHORIZATION_STATUS = {
    "approved": AuthorizationStatus.APPROVED, "partially_approved": AuthorizationStatus.APPROVED,
    # An approval past its dates is still what was approved: the date edit says why it does not cover.
    "expired": AuthorizationStatus.APPROVED,
    "denied": AuthorizationStatus.DENIED,
}


def scrub_context(claim: Claim, *, today: date | None = None) -> ScrubContext:
    """What the scrubber needs to know about ``claim`` from the database: the payer's timely
    filing limit, the codes it wants authorized (its policy set), the patient's authorizations
    on file and the lines already sent on the patient's other claims for the same dates.

    An approval's units used are those of the procedures performed before this claim's own
    (``priorauth.selectors.units_used_before``): the claim's lines are its own units, so they are
    not counted twice.
    """
    from priorauth import selectors as priorauth_selectors
    from priorauth.criteria import coverage_information
    from priorauth.models import PriorAuthorization

    lines = list(ClaimLine.objects.filter(claim=claim).order_by("number"))
    codes = {line.procedure_code for line in lines}
    procedure_pks = [line.procedure_id for line in lines if line.procedure_id is not None]
    payer_settings = PayerBillingSettings.objects.filter(organization_id=claim.payer_id).first()

    required: set[str] = set()
    profile = priorauth_selectors.payer_profile(claim.coverage)
    if profile is not None:
        for code in codes:
            try:
                answer = coverage_information(payer=profile.policy_key, cpt=code, on=claim.service_date)
            except Exception:  # noqa: BLE001 - an unknown payer or code: no requirement known
                continue
            if answer.pa_needed == "auth-needed":
                required.add(code)

    authorizations = []
    for authorization in (PriorAuthorization.objects.filter(patient_id=claim.patient_id)
                          .exclude(auth_number="").order_by("pk")):
        status = _AUTHORIZATION_STATUS.get(authorization.status, AuthorizationStatus.PENDING)
        covered = frozenset(authorization.approved_codes or [authorization.cpt])
        if not covered & codes:
            continue
        authorizations.append(AuthorizationOnFile(
            number=authorization.auth_number, codes=covered, status=status,
            valid_from=authorization.valid_from or date.min, valid_until=authorization.valid_until or date.max,
            approved_units=authorization.approved_units,
            units_used=priorauth_selectors.units_used_before(authorization, procedure_pks)
            if authorization.approved_units is not None else 0))

    sent = {}
    others = (ClaimLine.objects.filter(claim__patient_id=claim.patient_id, claim__status__in=SENT,
                                       service_date__in={line.service_date for line in lines})
              .exclude(claim=claim).select_related("claim__coverage"))
    if claim.replaces_id is not None:
        others = others.exclude(claim_id=claim.replaces_id)
    for line in others:
        key = sent_line_key(member_id=line.claim.coverage.member_id, service_date=line.service_date,
                            procedure_code=line.procedure_code, modifiers=line.modifiers)
        sent[key] = line.claim.patient_control_number

    return ScrubContext(
        today=today or timezone.localdate(),
        timely_filing_days=payer_settings.timely_filing_days if payer_settings else None,
        authorizations=tuple(authorizations), codes_requiring_authorization=frozenset(required),
        claims_sent=sent)


# --- What the billing REST API reads ---------------------------------------------------

# The open balance of a claim: its charge less what payers paid and less the contractual
# adjustments (group CO) that close it for good. Patient responsibility (PR) stays open: the
# practice still collects it, from the patient. Closed, corrected (replaced) and unsent claims
# owe nothing to the practice's A/R.
AR_OPEN = (Claim.Status.SUBMITTED, Claim.Status.ACCEPTED, Claim.Status.REJECTED, Claim.Status.PAID,
           Claim.Status.PARTIALLY_PAID, Claim.Status.DENIED, Claim.Status.APPEALED)
AR_AGING_DEFINITION = (
    "Open balance = the claim's total charge - what payers paid (CLP04) - contractual adjustments (group CO); "
    "patient responsibility (PR) stays open. Claims counted: submitted, accepted, rejected, paid, partially paid, "
    "denied or appealed (not drafts, scrubbed, corrected or closed ones). Age = days from the first date of service "
    "to as_of.")
AGING_BUCKETS = (("0-30", 0, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("91-120", 91, 120), ("120+", 121, None))


def claims_with_adjustment(found: QuerySet[Claim], carc: str) -> QuerySet[Claim]:
    """``found`` narrowed to claims with a posted adjustment of this CARC (claim or line level)."""
    from billing.remittance.models import PaymentAdjustment

    return found.filter(pk__in=PaymentAdjustment.objects.filter(reason=carc, claim_payment__claim__isnull=False)
                        .values("claim_payment__claim_id"))


def claim_for_detail(public_id) -> Claim | None:
    """One claim by public id with everything its detail shows prefetched: lines, the latest
    scrub run's edits, the status history and remittances (payments, service lines, adjustments)."""
    from django.db.models import Prefetch

    from billing.models import ClaimEdit, ClaimStatusChange
    from billing.remittance.models import ClaimPayment, PaymentAdjustment, ServiceLinePayment

    claim = (Claim.objects.select_related("payer", "patient", "replaces")
             .prefetch_related(
                 Prefetch("lines", queryset=ClaimLine.objects.order_by("number")),
                 Prefetch("history", queryset=ClaimStatusChange.objects.order_by("at", "pk")),
                 Prefetch("payments", queryset=ClaimPayment.objects.select_related("remittance")
                          .order_by("remittance__payment_date", "pk").prefetch_related(
                              Prefetch("service_lines", queryset=ServiceLinePayment.objects.order_by("position")
                                       .prefetch_related("adjustments")),
                              Prefetch("adjustments", queryset=PaymentAdjustment.objects
                                       .filter(service_line__isnull=True).order_by("pk")))))
             .filter(public_id=public_id).first())
    if claim is None:
        return None
    latest = ClaimEdit.objects.filter(claim=claim).order_by("-run_at", "-pk").values("run", "run_at").first()
    # A clean run leaves no ClaimEdit row; it does move a draft to scrubbed. A move to scrubbed
    # well after the latest findings (a second: the move of the run itself follows it by less)
    # means a later run found nothing. (A clean run of a claim already scrubbed moves nothing and
    # is not seen: its earlier warnings still show.)
    if latest is not None and claim.history.filter(
            to_status=Claim.Status.SCRUBBED, at__gt=latest["run_at"] + timedelta(seconds=1)).exists():
        latest = None
    claim.latest_edits = list(ClaimEdit.objects.filter(claim=claim, run=latest["run"])
                              .order_by("line_number", "pk")) if latest else []
    return claim


def ar_aging(*, as_of: date, payer_pk: int | None = None) -> list[dict]:
    """Open balances of claims in A/R (``AR_OPEN``) by payer, in buckets of days from the first
    date of service to ``as_of``: one query, aggregated in SQL. Rows: payer fields, one total per
    bucket label, and the payer's total; claims serviced after ``as_of`` are left out."""
    from django.db.models import Case, DecimalField, ExpressionWrapper, F, OuterRef, Subquery, Sum, Value, When
    from django.db.models.functions import Coalesce

    from billing.remittance.models import ClaimPayment, PaymentAdjustment

    money = DecimalField(max_digits=14, decimal_places=2)
    zero = Value(0, output_field=money)
    paid = (ClaimPayment.objects.filter(claim=OuterRef("pk")).order_by().values("claim")
            .annotate(total=Sum("paid")).values("total"))
    closed = (PaymentAdjustment.objects.filter(claim_payment__claim=OuterRef("pk"), group="CO").order_by()
              .values("claim_payment__claim").annotate(total=Sum("amount")).values("total"))
    found = Claim.objects.filter(status__in=AR_OPEN, service_date__lte=as_of)
    if payer_pk is not None:
        found = found.filter(payer_id=payer_pk)
    found = found.annotate(balance=ExpressionWrapper(
        F("total_charge") - Coalesce(Subquery(paid, output_field=money), zero)
        - Coalesce(Subquery(closed, output_field=money), zero), output_field=money))
    buckets = {}
    for label, low, high in AGING_BUCKETS:
        # Days since service, as a date range: served on or before as_of - low, after as_of - high - 1.
        window = Q(service_date__lte=as_of - timedelta(days=low))
        if high is not None:
            window &= Q(service_date__gt=as_of - timedelta(days=high + 1))
        buckets[label] = Coalesce(Sum(Case(When(window, then=F("balance")), default=zero, output_field=money)), zero)
    rows = (found.order_by().values("payer_id", "payer__fhir_id", "payer__name")
            .annotate(**{f"b{i}": expr for i, expr in enumerate(buckets.values())},
                      total=Coalesce(Sum("balance"), zero), claims=Count("pk"))
            .order_by("payer__name", "payer_id"))
    return [{"payer": row["payer__fhir_id"], "payer_name": row["payer__name"], "claims": row["claims"],
             "buckets": {label: row[f"b{i}"] for i, label in enumerate(buckets)}, "total": row["total"]}
            for row in rows]


def denials(*, payer_pk: int | None = None, paid_from: date | None = None,
            paid_until: date | None = None) -> list[dict]:
    """Adjustments posted to claims denied or partially paid, grouped by group code and CARC:
    the number of claims, of adjustments, and the amount; the largest amount first. The date
    range is the remittance's payment date. One query."""
    from django.db.models import Sum

    from billing.remittance.models import PaymentAdjustment

    found = PaymentAdjustment.objects.filter(
        claim_payment__claim__isnull=False,
        claim_payment__claim__status__in=(Claim.Status.DENIED, Claim.Status.PARTIALLY_PAID))
    if payer_pk is not None:
        found = found.filter(claim_payment__claim__payer_id=payer_pk)
    if paid_from is not None:
        found = found.filter(claim_payment__remittance__payment_date__gte=paid_from)
    if paid_until is not None:
        found = found.filter(claim_payment__remittance__payment_date__lte=paid_until)
    return list(found.order_by().values("group", "reason")
                .annotate(claims=Count("claim_payment__claim", distinct=True), adjustments=Count("pk"),
                          amount=Sum("amount"))
                .order_by("-amount", "group", "reason"))
