"""Professional claims as plain data for the 837P writer's tests: every provider, subscriber and
claim id distinct by sequence, so a file of many claims groups them as real files do.
(tests/factories.py has the scrubber's fixed, clean claim.)"""

from datetime import date
from decimal import Decimal

import factory

from billing import claim_data
from tests.factories import npi_with_check_digit

class AddressFactory(factory.Factory):
    """A street address with a nine-digit ZIP (what the 837P wants of a billing provider)."""

    class Meta:
        model = claim_data.Address

    line1 = factory.Sequence(lambda n: f"{100 + n} Spine Center Dr")
    city = "Austin"
    state = "TX"
    postal_code = "787011234"


class BillingProviderFactory(factory.Factory):
    """An interventional pain group (an organization) with its EIN, taxonomy and address."""

    class Meta:
        model = claim_data.Provider

    npi = factory.Sequence(lambda n: npi_with_check_digit(f"1{n % 10**8:08d}"))
    last_name_or_org = factory.Sequence(lambda n: f"Capitol Pain Associates {n}")
    taxonomy = "208VP0014X"
    tax_id = factory.Sequence(lambda n: f"{740000000 + n % 10**7:09d}")
    address = factory.SubFactory(AddressFactory)


class RenderingProviderFactory(factory.Factory):
    """A physician (a person) who performed the procedures."""

    class Meta:
        model = claim_data.Provider

    npi = factory.Sequence(lambda n: npi_with_check_digit(f"2{n % 10**8:08d}"))
    last_name_or_org = factory.Sequence(lambda n: f"Nguyen{chr(65 + n % 26)}")
    first_name = "Linh"
    taxonomy = "208VP0000X"


class SubscriberFactory(factory.Factory):
    """The insured, who is the patient."""

    class Meta:
        model = claim_data.Subscriber

    member_id = factory.Sequence(lambda n: f"XAB{n:09d}")
    last_name = factory.Sequence(lambda n: f"Rivera{chr(65 + n % 26)}")
    first_name = "Dana"
    birth_date = date(1961, 4, 12)
    sex = "F"
    address = factory.SubFactory(AddressFactory, line1="12 Oak Hollow Ln", postal_code="78745")
    group_number = "GRP4410"
    claim_filing_code = "CI"


class PayerFactory(factory.Factory):
    class Meta:
        model = claim_data.Payer

    name = "ACME HEALTH PLAN"
    payer_id = "ACME1"


class ServiceLineFactory(factory.Factory):
    """A lumbar transforaminal epidural steroid injection, one level."""

    class Meta:
        model = claim_data.ServiceLine

    number = 1
    procedure_code = "64483"
    charge = Decimal("1250.00")
    units = Decimal("1")
    service_date = date(2026, 11, 20)
    diagnosis_pointers = (1,)
    control_number = factory.Sequence(lambda n: f"LN{n:08d}")


class ProfessionalClaimFactory(factory.Factory):
    """An original claim for one ESI line with two diagnoses (M54.16 radiculopathy, M51.26 disc
    displacement). ``lines=`` takes ServiceLine objects; ``line_count=`` builds that many lines."""

    class Meta:
        model = claim_data.ProfessionalClaim

    class Params:
        line_count = 1

    claim_id = factory.Sequence(lambda n: f"PC{n:08d}")
    billing = factory.SubFactory(BillingProviderFactory)
    subscriber = factory.SubFactory(SubscriberFactory)
    payer = factory.SubFactory(PayerFactory)
    diagnoses = ("M5416", "M5126")
    lines = factory.LazyAttribute(lambda o: tuple(ServiceLineFactory.build(number=number)
                                                  for number in range(1, o.line_count + 1)))
    place_of_service = "11"
