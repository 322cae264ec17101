"""835 parsing and posting: 10,000 claim payments received, read and posted to 10,000 matching
claims by ``billing.remittance.services`` (issue 9's goal: under 10 s on PostgreSQL).

The remittance is ``billing_835_parse.synthetic_advice`` (two lines a claim, CO-45 and PR-2, one
claim in fifty denied with CO-197, a PLB). The claims are one claim made by the test factories
(``tests.billing.factories``: practice, price list, visit, create_claims_for_encounter) copied
in bulk (as frequency-7 replacements of it: one original a visit), accepted, with the patient control numbers and line control numbers the 835 names.
It runs in a throwaway test database (``test_<name>`` of DATABASE_URL), which it drops after.
Each run posts the same file afresh (the previous run's rows removed, the claims accepted again)
and prints wall and CPU time; then the median.

Posting queues, once it commits, the claims' FHIR projection (``billing.fhir``: Claim,
ClaimResponse, ExplanationOfBenefit), which a worker writes afterwards. Without a broker Celery
would run it inline, inside the timed posting; so the bench catches what posting queues and, after
the first run, times the projection of those claims on its own (``--no-projection`` skips it).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME \\
        .venv/bin/python bench/billing_835_post.py [--claims 10000] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pracops.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from billing_835_parse import synthetic_advice  # noqa: E402


def make_claims(count: int) -> None:
    from billing import services
    from billing.lifecycle import transition
    from billing.models import Claim, ClaimLine, ClaimStatusChange
    from tests.billing.factories import practice, price_list, visit

    case = practice()
    price_list(None, {"64483": "1200.00"})
    [template] = services.create_claims_for_encounter(encounter=visit(case), agent="system:bench")
    transition(template, Claim.Status.SCRUBBED, agent="system:bench")
    transition(template, Claim.Status.SUBMITTED, agent="system:bench")
    transition(template, Claim.Status.ACCEPTED, agent="system:bench")
    line = template.lines.get()
    template.patient_control_number = "PC0000000"
    template.save(update_fields=["patient_control_number"])
    claims = []
    for number in range(1, count):
        claim = Claim.objects.get(pk=template.pk) if number == 1 else claims[-1]
        copy = Claim(**{f.attname: getattr(claim, f.attname) for f in Claim._meta.concrete_fields
                        if f.name not in ("id", "public_id", "patient_control_number", "frequency", "replaces")})
        # One original claim an encounter: the copies are replacements (frequency 7) of the
        # template, which posting does not look at.
        copy.patient_control_number, copy.frequency, copy.replaces_id = f"PC{number:07d}", "7", template.pk
        claims.append(copy)
    Claim.objects.bulk_create(claims, batch_size=2000)
    every = {c.patient_control_number: c.pk for c in Claim.objects.only("pk", "patient_control_number")}
    lines = []
    for number in range(count):
        for position, code in ((1, "64483"), (2, "77003")):
            lines.append(ClaimLine(
                claim_id=every[f"PC{number:07d}"], number=position, procedure_code=code, modifiers=line.modifiers,
                units=line.units, charge=line.charge, service_date=line.service_date,
                diagnosis_pointers=line.diagnosis_pointers, control_number=f"PC{number:07d}-{position}"))
    ClaimLine.objects.filter(claim=template).delete()
    ClaimLine.objects.bulk_create(lines, batch_size=2000)
    # Each copy's history as the template's (made, scrubbed, submitted, accepted): a claim sent.
    history = list(ClaimStatusChange.objects.filter(claim=template).order_by("pk"))
    ClaimStatusChange.objects.bulk_create(
        [ClaimStatusChange(**{f.attname: getattr(change, f.attname) for f in ClaimStatusChange._meta.concrete_fields
                              if f.name not in ("id", "claim")}, claim_id=pk)
         for pk in every.values() if pk != template.pk for change in history], batch_size=5000)


def reset() -> None:
    from billing.models import Claim, ClaimStatusChange
    from billing.remittance.models import ClaimPayment, PaymentAdjustment, Remittance, ServiceLinePayment, X12File
    from billing.fhir.models import ClaimProjection
    from pracops.audit.models import AuditEvent

    ClaimProjection.objects.all().delete()
    for model in (PaymentAdjustment, ServiceLinePayment, ClaimPayment, Remittance, X12File):
        model.objects.all().delete()
    ClaimStatusChange.objects.filter(source=ClaimStatusChange.Source.FILE).delete()
    AuditEvent.objects.filter(resource_type="X12File").delete()
    Claim.objects.update(status=Claim.Status.ACCEPTED)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-projection", action="store_true", help="do not time the FHIR projection")
    args = parser.parse_args()
    import billing.fhir.tasks as fhir_tasks
    from billing.fhir import services as fhir_services
    from billing.remittance import services
    from billing.remittance.models import ClaimPayment
    from billing.x12.envelope import Envelope
    from billing.x12.remit835 import write_835

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        started = time.perf_counter()
        make_claims(args.claims)
        print(f"made {args.claims:,} claims in {time.perf_counter() - started:.1f} s ({connection.vendor})")
        envelope = Envelope(sender_id="CLEARHOUSE", receiver_id="PRACOPS", interchange_control=1, group_control=1,
                            functional_id="HP", created=datetime(2026, 12, 5, 9, 0))
        text = write_835([synthetic_advice(args.claims)], envelope)
        walls, cpus = [], []
        queued: list[int] = []
        fhir_tasks.enqueue_projection = lambda ids: queued.extend(ids) or 0  # a worker's job, timed apart
        for run in range(1, args.runs + 1):
            reset()
            queued.clear()
            wall, cpu = time.perf_counter(), time.process_time()
            stored, _ = services.receive_x12_file(text=text, name="bench.835", source="bench")
            stored = services.read_x12_file(file_id=stored.pk, agent="system:bench")
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            assert stored.status == "posted", stored.error
            assert ClaimPayment.objects.filter(claim__isnull=False).count() == args.claims
            walls.append(wall)
            cpus.append(cpu)
            print(f"run {run}: {wall:.2f} s wall, {cpu:.2f} s CPU ({args.claims / wall:,.0f} claims/s) "
                  f"{stored.summary}")
            if run == 1 and not args.no_projection:
                assert len(set(queued)) == args.claims, len(set(queued))
                started, cpu = time.perf_counter(), time.process_time()
                done = fhir_services.project_claims(claim_ids=queued)
                print(f"  FHIR projection of the {done.claims:,} claims it queued (a worker's job, not timed above): "
                      f"{time.perf_counter() - started:.2f} s wall, {time.process_time() - cpu:.2f} s CPU "
                      f"{dict(done.records)}")
                from billing.fhir.selectors import stale_claim_ids
                started = time.perf_counter()
                stale = stale_claim_ids(older_than_seconds=0)
                print(f"  the pending-work sweep's look for stale projections over {args.claims:,} sent claims: "
                      f"{(time.perf_counter() - started) * 1000:.0f} ms, {len(stale)} stale")
        print(f"median of {args.runs} runs: {statistics.median(walls):.2f} s wall, {statistics.median(cpus):.2f} s "
              f"CPU to receive, parse and post {args.claims:,} claim payments")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
