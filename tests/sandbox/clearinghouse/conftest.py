"""837P files for the sandbox clearinghouse's tests: the implementation guide's example, and files
built with billing.x12.envelope from claim_data objects made by factories.

``professional_claim_file`` writes only the segments the 837P requires and the clearinghouse
reads; it is a test's builder, not PracOps' 837P writer.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import factory
import pytest
from django.test import Client

from billing.claim_data import Address, Payer, ProfessionalClaim, Provider, ServiceLine, Subscriber
from billing.x12.envelope import Envelope, Transaction, write_interchange
from tests.factories import npi_with_check_digit

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "x12" / "837p"
BASE = "/sandbox/clearinghouse/"
SUBMITTER, SECRET = "PRACOPS", "sandbox-clearinghouse-secret"
CREDENTIALS = {"X-Submitter-Id": SUBMITTER, "X-Submitter-Secret": SECRET}
X12 = "application/edi-x12"

_control_numbers = itertools.count(100000001)


def guide_example() -> str:
    """The 837P guide's example 1 (one claim, four lines, ISA13 000000907)."""
    return (FIXTURES / "demo.example1.837").read_text()


class AddressFactory(factory.Factory):
    class Meta:
        model = Address

    line1 = "100 MAIN ST"
    city = "HARRISBURG"
    state = "PA"
    postal_code = "171011234"


class BillingProviderFactory(factory.Factory):
    class Meta:
        model = Provider

    npi = factory.Sequence(lambda n: npi_with_check_digit(f"{123450000 + n:09d}"))
    last_name_or_org = "SUSQUEHANNA PAIN CENTER"
    taxonomy = "208VP0014X"
    tax_id = "231234567"
    address = factory.SubFactory(AddressFactory)


PRACTICE = BillingProviderFactory()  # the practice bills under one NPI unless a test says otherwise


class SubscriberFactory(factory.Factory):
    class Meta:
        model = Subscriber

    member_id = factory.Sequence(lambda n: f"XAC{n:09d}")
    last_name = "DOE"
    first_name = "JANE"
    birth_date = date(1961, 4, 2)
    sex = "F"
    address = factory.SubFactory(AddressFactory)


class PayerFactory(factory.Factory):
    class Meta:
        model = Payer

    name = "ACME HEALTH"
    payer_id = "ACME1"


class ServiceLineFactory(factory.Factory):
    class Meta:
        model = ServiceLine

    number = 1
    procedure_code = "64483"
    charge = Decimal("900.00")
    units = Decimal("1")
    service_date = factory.LazyFunction(lambda: date.today() - timedelta(days=14))
    diagnosis_pointers = (1,)
    control_number = factory.Sequence(lambda n: f"L{n:07d}")


class ProfessionalClaimFactory(factory.Factory):
    class Meta:
        model = ProfessionalClaim

    claim_id = factory.Sequence(lambda n: f"PC{n:08d}")
    billing = PRACTICE
    subscriber = factory.SubFactory(SubscriberFactory)
    payer = factory.SubFactory(PayerFactory)
    diagnoses = ("M5416",)
    lines = factory.LazyFunction(lambda: (ServiceLineFactory(),))
    place_of_service = "11"
    prior_authorization = "AUTH12345"


def lines(*specs: tuple[str, str]) -> tuple[ServiceLine, ...]:
    """Service lines numbered from 1: (procedure code, charge) each."""
    return tuple(ServiceLineFactory(number=n, procedure_code=code, charge=Decimal(charge))
                 for n, (code, charge) in enumerate(specs, start=1))


def _claim_segments(claim: ProfessionalClaim, hl: int, parent: int) -> list[list[object]]:
    s = claim.subscriber
    out: list[list[object]] = [
        ["HL", hl, parent, "22", "0"],
        ["SBR", "P", "18", s.group_number, "", "", "", "", "", s.claim_filing_code],
        ["NM1", "IL", "1", s.last_name, s.first_name, "", "", "", "MI", s.member_id],
        ["N3", s.address.line1], ["N4", s.address.city, s.address.state, s.address.postal_code],
        ["DMG", "D8", s.birth_date.strftime("%Y%m%d"), s.sex],
        ["NM1", "PR", "2", claim.payer.name, "", "", "", "", "PI", claim.payer.payer_id],
        ["CLM", claim.claim_id, claim.total_charge, "", "", (claim.place_of_service, "B", claim.frequency),
         "Y", "A", "Y", "Y"],
    ]
    if claim.prior_authorization:
        out.append(["REF", "G1", claim.prior_authorization])
    out.append(["HI", *[("ABK" if n == 0 else "ABF", code) for n, code in enumerate(claim.diagnoses)]])
    for line in claim.lines:
        out += [["LX", line.number],
                ["SV1", ("HC", line.procedure_code, *line.modifiers), line.charge, "UN", line.units, "", "",
                 tuple(line.diagnosis_pointers)],
                ["DTP", "472", "D8", line.service_date.strftime("%Y%m%d")]]
        if line.control_number:
            out.append(["REF", "6R", line.control_number])
    return out


def professional_claim_file(claims: list[ProfessionalClaim] | None = None, *, control: int | None = None,
                            sender: str = SUBMITTER, sets: int = 1) -> str:
    """An 837P interchange (005010X222A1) holding ``claims`` (one made by the factory when not
    given) in ``sets`` transaction sets, each claim under its billing provider's HL."""
    claims = claims or [ProfessionalClaimFactory()]
    created = datetime(2026, 12, 1, 9, 30)
    transactions = []
    per_set = max(1, -(-len(claims) // sets))
    for start in range(0, len(claims), per_set):
        segments: list[list[object]] = [
            ["BHT", "0019", "00", f"B{start + 1:05d}", created.strftime("%Y%m%d"), created.strftime("%H%M"), "CH"],
            ["NM1", "41", "2", "SUSQUEHANNA PAIN CENTER", "", "", "", "", "46", sender],
            ["PER", "IC", "BILLING OFFICE", "TE", "7175550100"],
            ["NM1", "40", "2", "SANDBOX CLEARINGHOUSE", "", "", "", "", "46", "SBXCLEARINGHOUS"],
        ]
        hl = 0
        by_provider: dict[Provider, list[ProfessionalClaim]] = {}
        for claim in claims[start:start + per_set]:
            by_provider.setdefault(claim.billing, []).append(claim)
        for billing, provided in by_provider.items():
            hl += 1
            provider_hl = hl
            segments += [
                ["HL", provider_hl, "", "20", "1"],
                ["PRV", "BI", "PXC", billing.taxonomy],
                ["NM1", "85", "2", billing.last_name_or_org, "", "", "", "", "XX", billing.npi],
                ["N3", billing.address.line1],
                ["N4", billing.address.city, billing.address.state, billing.address.postal_code],
                ["REF", "EI", billing.tax_id],
            ]
            for claim in provided:
                hl += 1
                segments += _claim_segments(claim, hl, provider_hl)
        transactions.append(Transaction("837", "005010X222A1", segments))
    envelope = Envelope(sender_id=sender, receiver_id="SBXCLEARINGHOUS",
                        interchange_control=control or next(_control_numbers), group_control=1,
                        functional_id="HC", created=created, usage="T")
    return write_interchange(envelope, transactions)


class Mailbox:
    """The clearinghouse's HTTP API over Django's test client, as a submitter."""

    def __init__(self, headers: dict[str, str] | None = None):
        self.client = Client()
        self.headers = CREDENTIALS if headers is None else headers

    def submit(self, text: str | bytes, content_type: str = X12):
        return self.client.post(BASE + "submissions", text, content_type=content_type, headers=self.headers)

    def files(self, **params):
        return self.client.get(BASE + "files", params, headers=self.headers)

    def download(self, file_id: int):
        return self.client.get(f"{BASE}files/{file_id}", headers=self.headers)

    def acknowledge(self, file_id: int):
        return self.client.post(f"{BASE}files/{file_id}/acknowledge", headers=self.headers)


@pytest.fixture
def mailbox(db):
    return Mailbox()
