"""Any claim of a shape PracOps may send gives a file pyx12 accepts (a bounded property test):
names with punctuation, accents and X12 delimiters in them, 1 to 12 diagnoses, modifiers,
pointers, corrected and void claims, rendering providers and facilities, several claims a file."""

import string
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from billing.claim_data import Address, Frequency, Payer, ProfessionalClaim, Provider, ServiceLine, Subscriber
from billing.x12.claims837 import write_837p
from billing.x12.envelope import DEFAULT_DELIMITERS
from billing.x12.validation import validate_x12
from tests.billing.x12.x12text import RECEIVER, SUBMITTER, envelope, segments, with_id
from tests.factories import npi_with_check_digit

PAIN_PROCEDURES = ("64483", "64484", "64490", "64493", "64494", "64635", "62323", "27096", "20552", "99214")
NAME_CHARACTERS = string.ascii_letters + " '-.,&" + "*:^~" + "ñéüÉ"


def text(low: int, high: int, alphabet: str = NAME_CHARACTERS) -> st.SearchStrategy[str]:
    """Text that is ``low`` to ``high`` characters once written (delimiters become spaces, trimmed)."""
    return st.text(alphabet=alphabet, min_size=low, max_size=high).filter(
        lambda value: low <= len(DEFAULT_DELIMITERS.clean(value)) <= high)


npis = st.from_regex(r"[12][0-9]{8}", fullmatch=True).map(npi_with_check_digit)
taxonomies = st.sampled_from(["", "208VP0014X", "208VP0000X", "207LP2900X", "2081P2900X"])
states = st.sampled_from(["TX", "CA", "NY", "FL", "WA"])


def addresses(*, nine_digit: bool) -> st.SearchStrategy[Address]:
    zips = st.from_regex(r"[0-9]{9}" if nine_digit else r"[0-9]{5}|[0-9]{9}", fullmatch=True)
    street = text(1, 55, string.ascii_letters + string.digits + " #-.")
    return st.builds(Address, line1=street, city=text(2, 30, string.ascii_letters + " "), state=states,
                     postal_code=zips, line2=st.one_of(st.just(""), street))


people = st.builds(Provider, npi=npis, last_name_or_org=text(1, 60), first_name=text(1, 35), taxonomy=taxonomies)
organizations = st.builds(Provider, npi=npis, last_name_or_org=text(1, 60), taxonomy=taxonomies,
                          tax_id=st.from_regex(r"[0-9]{9}", fullmatch=True),
                          address=addresses(nine_digit=True).filter(lambda a: "BOX" not in a.line1.upper()))
subscribers = st.builds(
    Subscriber, member_id=text(2, 30, string.ascii_uppercase + string.digits), last_name=text(1, 60),
    first_name=text(0, 35), birth_date=st.dates(date(1920, 1, 1), date(2020, 12, 31)), sex=st.sampled_from("FMU"),
    address=addresses(nine_digit=False), group_number=text(0, 20, string.ascii_uppercase + string.digits),
    plan_name=text(0, 40), claim_filing_code=st.sampled_from(["CI", "MB", "MC", "BL", "HM", "16"]))
payers = st.builds(Payer, name=text(1, 60), payer_id=text(2, 10, string.ascii_uppercase + string.digits))
diagnosis_codes = st.from_regex(r"[A-Z][0-9][0-9A-Z]{1,5}", fullmatch=True)


@st.composite
def claims(draw, claim_number: int) -> ProfessionalClaim:
    diagnoses = tuple(draw(st.lists(diagnosis_codes, min_size=1, max_size=12, unique=True)))
    lines = []
    for number in range(1, draw(st.integers(1, 5)) + 1):
        lines.append(ServiceLine(
            number=number,
            procedure_code=draw(st.sampled_from(PAIN_PROCEDURES)),
            charge=draw(st.decimals(Decimal("0"), Decimal("99999.99"), places=2)),
            units=draw(st.decimals(Decimal("0.5"), Decimal("999"), places=1)),
            service_date=draw(st.dates(date(2024, 1, 1), date(2026, 12, 31))),
            diagnosis_pointers=tuple(draw(st.lists(st.integers(1, len(diagnoses)), min_size=1, max_size=4,
                                                   unique=True))),
            modifiers=tuple(draw(st.lists(st.sampled_from(["50", "RT", "LT", "59", "XS", "KX", "GA", "26"]),
                                          max_size=4, unique=True))),
            control_number=f"C{claim_number}L{number}",
            place_of_service=draw(st.sampled_from(["", "11", "22", "24"])),
            rendering=draw(st.one_of(st.none(), people)),
        ))
    frequency = draw(st.sampled_from([Frequency.ORIGINAL, Frequency.CORRECTED, Frequency.VOID]))
    return ProfessionalClaim(
        claim_id=f"PC{claim_number}-{draw(text(0, 8, string.ascii_uppercase + string.digits))}".strip(),
        billing=draw(organizations), subscriber=draw(subscribers), payer=draw(payers), diagnoses=diagnoses,
        lines=tuple(lines), place_of_service=draw(st.sampled_from(["11", "22", "24"])), frequency=frequency,
        payer_claim_number=draw(text(1, 30, string.ascii_uppercase + string.digits))
        if frequency != Frequency.ORIGINAL else "",
        prior_authorization=draw(text(0, 50, string.ascii_uppercase + string.digits + "-")),
        rendering=draw(st.one_of(st.none(), people)),
        facility=draw(st.one_of(st.none(), organizations)),
        onset_date=draw(st.one_of(st.none(), st.dates(date(2020, 1, 1), date(2026, 12, 31)))),
    )


@st.composite
def files(draw) -> list[ProfessionalClaim]:
    return [draw(claims(number)) for number in range(draw(st.integers(1, 3)))]


# Each example is a pyx12 run (~0.3 s): a bounded number of them, and no shrinking, which would
# take minutes; a failure prints the unshrunk claims and the issues pyx12 found.
@settings(max_examples=15, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(files())
def test_any_claim_of_a_valid_shape_gives_a_file_pyx12_accepts(batch):
    text = write_837p(batch, submitter=SUBMITTER, receiver=RECEIVER, envelope=envelope())

    issues = validate_x12(text)

    assert issues == [], "\n".join(str(issue) for issue in issues)
    assert len(with_id(segments(text), "CLM")) == len(batch)
