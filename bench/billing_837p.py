"""837P generation and pyx12 validation: seconds for 10,000 claims (issue 9's goal: generation
under 5 s), and validation seconds per file at the sizes a send task might use.

Builds 10,000 synthetic pain-practice claims (3 billing groups, 12 physicians, 4,000 patients,
5 payers; 1 to 4 lines of 64483/64484/64490/64493/64494/64635/62323/27096/20552 with lumbar
and sacroiliac ICD-10 codes; some with a prior authorization, some corrected), then times
``write_837p`` over all of them (one file, transaction sets of 5,000 claims) and ``validate_x12``
over that file, each ``--runs`` times, printing wall and CPU seconds and their medians; then
validation of files of ``--file-sizes`` claims. Pure code: no database, no Django.

    .venv/bin/python bench/billing_837p.py [--claims 10000] [--runs 3] [--validation-runs 3]
                                           [--file-sizes 1,100,500,1000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from billing.claim_data import (  # noqa: E402
    Address, Frequency, Party, Payer, ProfessionalClaim, Provider, ServiceLine, Subscriber,
)
from billing.x12.claims837 import write_837p  # noqa: E402
from billing.x12.envelope import Envelope  # noqa: E402
from billing.x12.validation import validate_x12  # noqa: E402

# code: (fee, diagnoses it is billed with)
PROCEDURES = {
    "64483": (Decimal("1250.00"), ("M5416", "M5417", "M5126", "M4806")),  # TFESI lumbar, first level
    "64484": (Decimal("480.00"), ("M5416", "M5417", "M5126")),  # TFESI, each additional level
    "64490": (Decimal("980.00"), ("M47812", "M5412")),  # cervical facet MBB, first level
    "64493": (Decimal("1040.00"), ("M47816", "M47817", "M5459")),  # lumbar facet MBB, first level
    "64494": (Decimal("420.00"), ("M47816", "M47817")),  # lumbar facet MBB, second level
    "64635": (Decimal("2150.00"), ("M47816", "M47817")),  # lumbar RFA, first level
    "62323": (Decimal("1100.00"), ("M5416", "M5441", "M4806")),  # lumbar interlaminar ESI with imaging
    "27096": (Decimal("890.00"), ("M533", "M461")),  # sacroiliac joint injection
    "20552": (Decimal("210.00"), ("M7918", "M62838")),  # trigger point injections, 1-2 muscles
}
FOLLOWS = {"64483": "64484", "64493": "64494", "64490": "64490"}
SUBMITTER = Party("CAPITOL PAIN BILLING", "PRACOPS01", "Billing Office", "5125550100")
RECEIVER = Party("AVAILITY", "030240928")


def npi(first_nine: int) -> str:
    digits = f"{first_nine:09d}"
    total = 24
    for index, char in enumerate(reversed(digits)):
        digit = int(char) * (2 if index % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return digits + str((10 - total % 10) % 10)


def synthetic_claims(count: int, seed: int = 9) -> list[ProfessionalClaim]:
    rng = random.Random(seed)
    groups = [Provider(npi=npi(123450000 + n), last_name_or_org=f"CAPITOL PAIN ASSOCIATES {n}", taxonomy="208VP0014X",
                       tax_id=f"74{n:07d}", address=Address(f"{1200 + n} SPINE CENTER DR", "AUSTIN", "TX", "787011234"))
              for n in range(3)]
    physicians = [Provider(npi=npi(198760000 + n), last_name_or_org=f"NGUYEN{n}", first_name="LINH",
                           taxonomy="208VP0000X") for n in range(12)]
    payers = [Payer(name, payer_id) for name, payer_id in (("AETNA", "60054"), ("BCBSTX", "84980"),
                                                            ("CIGNA", "62308"), ("MEDICARE TX", "04412"),
                                                            ("UNITEDHEALTHCARE", "87726"))]
    patients = [Subscriber(member_id=f"XAB{n:09d}", last_name=f"PATIENT{n}", first_name="DANA",
                           birth_date=date(1940, 1, 1) + timedelta(days=rng.randrange(25000)), sex=rng.choice("FM"),
                           address=Address(f"{n} OAK HOLLOW LN", "AUSTIN", "TX", "78745"), group_number="GRP4410",
                           claim_filing_code="CI")
                for n in range(4000)]
    patient_payer = [rng.choice(payers) for _ in patients]
    claims = []
    for number in range(count):
        patient_index = rng.randrange(len(patients))
        first = rng.choice(list(PROCEDURES))
        codes = [first] + [FOLLOWS.get(first, rng.choice(list(PROCEDURES))) for _ in range(rng.randrange(4))]
        diagnoses = tuple(dict.fromkeys(code for procedure in codes for code in PROCEDURES[procedure][1]))[:12]
        day = date(2026, 1, 5) + timedelta(days=rng.randrange(330))
        lines = tuple(ServiceLine(
            number=index, procedure_code=code, charge=PROCEDURES[code][0], units=Decimal("1"), service_date=day,
            diagnosis_pointers=tuple(diagnoses.index(d) + 1 for d in PROCEDURES[code][1][:4]),
            modifiers=("50",) if code in ("64493", "64635") and rng.random() < 0.3 else (),
            control_number=f"L{number:07d}{index}")
            for index, code in enumerate(codes, start=1))
        corrected = rng.random() < 0.05
        claims.append(ProfessionalClaim(
            claim_id=f"PC{number:08d}", billing=groups[number % 3], subscriber=patients[patient_index],
            payer=patient_payer[patient_index], diagnoses=diagnoses, lines=lines,
            place_of_service=rng.choice(["11", "11", "24", "22"]),
            frequency=Frequency.CORRECTED if corrected else Frequency.ORIGINAL,
            payer_claim_number=f"26{number:011d}" if corrected else "",
            prior_authorization=f"AUTH{number:07d}" if first in ("64635", "62323", "64483") else "",
            rendering=physicians[number % 12], onset_date=day - timedelta(days=rng.randrange(30, 400))))
    return claims


def envelope(control: int) -> Envelope:
    return Envelope(sender_id="PRACOPS01", receiver_id="030240928", interchange_control=control, group_control=control,
                    functional_id="HC", created=datetime(2026, 12, 5, 8, 30), usage="T")


def timed(action):
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--validation-runs", type=int, default=3)
    parser.add_argument("--file-sizes", default="1,100,500,1000")
    args = parser.parse_args()
    print("command:", " ".join([Path(sys.executable).name, *sys.argv]))
    claims = synthetic_claims(args.claims)
    lines = sum(len(claim.lines) for claim in claims)
    print(f"{len(claims)} claims, {lines} service lines")

    walls, cpus = [], []
    for run in range(1, args.runs + 1):
        text, wall, cpu = timed(lambda: write_837p(claims, submitter=SUBMITTER, receiver=RECEIVER,
                                                   envelope=envelope(run)))
        walls.append(wall)
        cpus.append(cpu)
        print(f"generation run {run}: {wall:.2f} s wall, {cpu:.2f} s CPU; {text.count('~')} segments, "
              f"{len(text) / 1e6:.1f} MB")
    print(f"generation median of {args.runs}: {statistics.median(walls):.2f} s wall, "
          f"{statistics.median(cpus):.2f} s CPU ({len(claims) / statistics.median(walls):,.0f} claims/s wall)")

    walls, cpus = [], []
    for run in range(1, args.validation_runs + 1):
        issues, wall, cpu = timed(lambda: validate_x12(text))
        if issues:
            raise SystemExit(f"validation found {len(issues)} issues, first: {issues[0]}")
        walls.append(wall)
        cpus.append(cpu)
        print(f"validation run {run}: {wall:.2f} s wall, {cpu:.2f} s CPU, no issues")
    print(f"validation median of {args.validation_runs}: {statistics.median(walls):.2f} s wall, "
          f"{statistics.median(cpus):.2f} s CPU ({len(claims) / statistics.median(walls):,.0f} claims/s wall)")

    for size in (int(size) for size in args.file_sizes.split(",")):
        text = write_837p(claims[:size], submitter=SUBMITTER, receiver=RECEIVER, envelope=envelope(1))
        runs = [timed(lambda: validate_x12(text)) for _ in range(3)]
        assert all(issues == [] for issues, _, _ in runs)
        wall = statistics.median(run[1] for run in runs)
        cpu = statistics.median(run[2] for run in runs)
        print(f"a file of {size} claims: validation {wall:.2f} s wall, {cpu:.2f} s CPU (median of 3)")


if __name__ == "__main__":
    main()
