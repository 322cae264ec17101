"""835 parsing: a synthetic 10,000-claim remittance written with ``write_835`` and read back with
``read_835`` (issue 9's goal for parsing and posting together: under 10 s; parsing alone should
take a small part of it).

Each claim has two service lines (CPT code with a modifier, service date, line control number),
a CO-45 contractual adjustment per line, a PR-2 coinsurance on the first, and a remark code; one
claim in fifty is denied (CO-197, nothing paid); a PLB takes back an overpayment. Prints each
run's wall and CPU time and the median.

    .venv/bin/python bench/billing_835_parse.py [--claims 10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from billing.x12.envelope import Envelope  # noqa: E402
from billing.x12.messages import (Adjustment, ClaimPayment, Interchange, ProviderAdjustment,  # noqa: E402
                                  RemittanceAdvice, ServicePayment)
from billing.x12.remit835 import read_835, write_835  # noqa: E402


def synthetic_advice(claims: int) -> RemittanceAdvice:
    payments = []
    for number in range(claims):
        denied = number % 50 == 0
        services = []
        for line, (code, charge) in enumerate((("64483", Decimal("1200.00")), ("77003", Decimal("150.00"))), 1):
            allowed = Decimal("0") if denied else (charge * Decimal("0.6")).quantize(Decimal("0.01"))
            coinsurance = Decimal("0") if denied or line == 2 else Decimal("40.00")
            adjustments = [Adjustment("CO", "197" if denied else "45", charge - allowed)]
            if coinsurance:
                adjustments.append(Adjustment("PR", "2", coinsurance))
            services.append(ServicePayment(
                procedure_code=code, modifiers=("RT",) if line == 1 else (), charge=charge,
                paid=allowed - coinsurance, units=Decimal("1"), line_control_number=f"PC{number:07d}-{line}",
                service_date=date(2026, 11, 2), adjustments=tuple(adjustments),
                remarks=("N130",) if denied else ()))
        payments.append(ClaimPayment(
            claim_id=f"PC{number:07d}", status_code="4" if denied else "1",
            charge=sum((s.charge for s in services), Decimal("0")), paid=sum((s.paid for s in services), Decimal("0")),
            patient_responsibility=sum((a.amount for s in services for a in s.adjustments if a.group == "PR"),
                                       Decimal("0")),
            filing_indicator="12", payer_claim_number=f"PAYER{number:09d}", services=tuple(services),
            patient_name=f"PATIENT{number}, TEST"))
    plb = ProviderAdjustment("1234567893", date(2026, 12, 31), "WO", "OVERPAY1", Decimal("25.00"))
    total = sum((c.paid for c in payments), Decimal("0")) - plb.amount
    return RemittanceAdvice(
        interchange=Interchange("", "", "", "", "", "", "", ""), set_control_number="0001",
        payer_name="SANDBOX PAYER", payer_id="12345", payee_name="PAIN CLINIC", payee_npi="1234567893",
        trace_number="EFT0001", payment_method="ACH", total_paid=total, payment_date=date(2026, 12, 5),
        claims=tuple(payments), provider_adjustments=(plb,))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    envelope = Envelope(sender_id="CLEARHOUSE", receiver_id="PRACOPS", interchange_control=1, group_control=1,
                        functional_id="HP", created=datetime(2026, 12, 5, 9, 0))
    started = time.perf_counter()
    text = write_835([synthetic_advice(args.claims)], envelope)
    print(f"wrote {args.claims:,} claims: {len(text) / 1e6:.1f} MB, {text.count('~'):,} segments, "
          f"{time.perf_counter() - started:.2f} s")
    walls, cpus = [], []
    for run in range(1, args.runs + 1):
        wall, cpu = time.perf_counter(), time.process_time()
        (advice,) = read_835(text)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        assert len(advice.claims) == args.claims
        walls.append(wall)
        cpus.append(cpu)
        print(f"run {run}: {wall:.3f} s wall, {cpu:.3f} s CPU ({args.claims / wall:,.0f} claims/s)")
    print(f"median of {args.runs} runs: {statistics.median(walls):.3f} s wall, {statistics.median(cpus):.3f} s CPU "
          f"for {args.claims:,} claims")


if __name__ == "__main__":
    main()
