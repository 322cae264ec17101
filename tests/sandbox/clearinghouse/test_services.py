"""Receiving files and remitting claims through the services: what lands in the mailbox, once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.x12.ack999 import read_999
from billing.x12.remit835 import read_835
from billing.x12.status277 import read_277
from sandbox.clearinghouse import services
from sandbox.clearinghouse.models import ClearinghouseClaim, ResponseFile
from sandbox.clearinghouse.received import NotX12
from sandbox.clearinghouse.rules import DEMO_RULES
from tests.sandbox.clearinghouse.conftest import (
    SUBMITTER,
    BillingProviderFactory,
    PayerFactory,
    ProfessionalClaimFactory,
    guide_example,
    lines,
    professional_claim_file,
)

pytestmark = pytest.mark.django_db

NOW = timezone.now()
LATER = NOW + timedelta(hours=1)


def receive(text: str, now=NOW):
    return services.receive_file(submitter=SUBMITTER, text=text, now=now)


def test_an_accepted_file_gets_a_999_and_a_277ca_and_its_claims_wait_for_remittance(settings):
    claims = [ProfessionalClaimFactory(), ProfessionalClaimFactory()]

    receipt = receive(professional_claim_file(claims))

    ack_file, claim_ack_file = receipt.files
    assert (ack_file.kind, claim_ack_file.kind) == ("999", "277CA")
    [ack] = read_999(ack_file.text)
    assert (ack.status, ack.version, ack.accepted) == ("A", "005010X222A1", 1)
    [report] = read_277(claim_ack_file.text)
    assert [(c.claim_id, c.accepted) for c in report.claims] == [(c.claim_id, True) for c in claims]
    stored = ClearinghouseClaim.objects.order_by("id")
    assert [c.payer_claim_number for c in stored] == [c.payer_claim_number for c in report.claims]
    assert all(c.remit_due_at == NOW + timedelta(seconds=settings.SANDBOX_CLEARINGHOUSE_REMIT_SECONDS)
               for c in stored)


def test_the_guide_example_under_the_a2_errata_is_acknowledged_under_its_own_guide():
    receipt = receive(guide_example())

    [ack] = read_999(receipt.files[0].text)
    assert (ack.status, ack.version, ack.transactions[0].set_control_number) == ("A", "005010X222A2", "0021")
    [report] = read_277(receipt.files[1].text)
    assert [c.claim_id for c in report.claims] == ["26463774"]


def test_a_rejected_file_gets_only_a_999_saying_where():
    text = professional_claim_file().replace("*UN*1***1~", "*ZZ*1***1~")

    receipt = receive(text)

    [ack_file] = receipt.files
    [ack] = read_999(ack_file.text)
    [transaction] = ack.transactions
    assert (ack.status, transaction.status) == ("R", "R")
    assert [(e.segment_id, e.element_errors) for e in transaction.errors] == [("SV1", (("3", "7"),))]
    assert not ClearinghouseClaim.objects.exists()


def test_a_rejected_claim_is_named_in_the_277ca_and_never_remitted():
    bad = ProfessionalClaimFactory(billing=BillingProviderFactory(npi="1234567890"))

    receipt = receive(professional_claim_file([bad]))

    [report] = read_277(receipt.files[1].text)
    [status] = report.claims
    assert status.rejected and [(s.category, s.code, s.entity) for s in status.statuses] == [("A7", "562", "85")]
    assert services.remit_due_claims(now=LATER) == []


def test_claims_of_one_file_under_two_providers_get_a_277ca_each():
    first, second = BillingProviderFactory(), BillingProviderFactory()
    claims = [ProfessionalClaimFactory(billing=first), ProfessionalClaimFactory(billing=second),
              ProfessionalClaimFactory(billing=first)]

    receipt = receive(professional_claim_file(claims))

    reports = [read_277(f.text)[0] for f in receipt.files[1:]]
    assert [[c.claim_id for c in r.claims] for r in reports] == [
        [claims[0].claim_id, claims[2].claim_id], [claims[1].claim_id]]
    assert services.remit_due_claims(now=LATER)  # one 835 with a transaction set per provider
    assert len(read_835(ResponseFile.objects.get(kind="835").text)) == 2


def test_the_same_interchange_control_number_is_refused_as_a_duplicate():
    first = receive(professional_claim_file(control=424242))

    with pytest.raises(services.Duplicate) as refused:
        receive(professional_claim_file(control=424242))

    assert refused.value.submission.pk == first.submission.pk
    assert ResponseFile.objects.count() == 2 and ClearinghouseClaim.objects.count() == 1
    # another submitter may use the same number
    assert services.receive_file(submitter="OTHER", text=professional_claim_file(control=424242)).submission


@pytest.mark.parametrize("text", ["", "not x12", "ISA*00*" + "x" * 120])
def test_text_that_is_no_interchange_stores_nothing(text):
    with pytest.raises(NotX12):
        receive(text)

    assert not ResponseFile.objects.exists()


def test_remittance_waits_until_due_and_comes_once():
    receive(professional_claim_file([ProfessionalClaimFactory()]))

    assert services.remit_due_claims(now=NOW) == []
    [remittance] = services.remit_due_claims(now=LATER)
    assert services.remit_due_claims(now=LATER + timedelta(days=1)) == []

    [advice] = read_835(remittance.text)
    assert len(advice.claims) == 1
    assert ClearinghouseClaim.objects.get().remittance == remittance


def test_an_835_per_payer_with_the_demo_rules_balances():
    services.load_rules(DEMO_RULES)
    acme, other = PayerFactory(), PayerFactory(name="KEYSTONE MUTUAL", payer_id="KM001")
    claims = [
        ProfessionalClaimFactory(payer=acme, lines=lines(("64483", "900.00"), ("77003", "150.00"))),
        ProfessionalClaimFactory(payer=acme, prior_authorization="", lines=lines(("64483", "900.00"))),
        ProfessionalClaimFactory(payer=other, lines=lines(("99214", "200.00"))),
        ProfessionalClaimFactory(payer=other, lines=lines(("64635", "1200.00"))),
    ]
    receive(professional_claim_file(claims))

    files = services.remit_due_claims(now=LATER)

    advices = {advice.payer_id: advice for f in files for advice in read_835(f.text)}
    assert sorted(advices) == ["ACME1", "KM001"] and len(files) == 2
    acme_claims = {c.claim_id: c for c in advices["ACME1"].claims}
    paid, denied = acme_claims[claims[0].claim_id], acme_claims[claims[1].claim_id]
    assert [{(a.group, a.reason) for a in s.adjustments} for s in paid.services] == [
        {("CO", "45"), ("PR", "2")}, {("CO", "97")}]
    assert (denied.status_code, [(a.group, a.reason) for a in denied.services[0].adjustments]) == (
        "4", [("CO", "197")])
    visit, ablation = (next(c for c in advices["KM001"].claims if c.claim_id == claim.claim_id)
                       for claim in claims[2:])
    assert {(a.group, a.reason): a.amount for a in visit.services[0].adjustments} == {
        ("CO", "45"): Decimal("69.00"), ("PR", "3"): Decimal("30.00")}
    assert ablation.status_code == "4" and ablation.services[0].remarks == ("N115",)
    for advice in advices.values():  # BPR02 = sum of CLP04 (no PLB); every line adds up
        assert advice.total_paid == sum(c.paid for c in advice.claims)
        for claim in advice.claims:
            assert claim.charge == sum(s.charge for s in claim.services)
            assert all(s.charge == s.paid + sum(a.amount for a in s.adjustments) for s in claim.services)
            assert all(s.line_control_number for s in claim.services)


def test_acknowledging_a_file_takes_it_out_of_the_mailbox():
    from sandbox.clearinghouse import selectors

    receipt = receive(professional_claim_file())
    ack_file, claim_ack_file = receipt.files

    assert services.acknowledge_file(submitter=SUBMITTER, file_id=ack_file.pk)
    assert services.acknowledge_file(submitter=SUBMITTER, file_id=ack_file.pk)  # again: no change
    assert [f.pk for f in selectors.mailbox(SUBMITTER)] == [claim_ack_file.pk]
    assert not services.acknowledge_file(submitter="OTHER", file_id=claim_ack_file.pk)


def test_the_rules_command_loads_the_demo_rules():
    from django.core.management import call_command

    call_command("sandbox_clearinghouse_rules", verbosity=0)

    assert {rule.name for rule in services.active_rules()} == {entry["name"] for entry in DEMO_RULES}


@pytest.mark.worker
def test_the_beat_task_remits_due_claims(celery_worker):
    """Through a worker (a real one with a broker): the task's result is not kept, so what it
    did is read from the mailbox."""
    from sandbox.clearinghouse.tasks import remit_due_claims
    from tests.celery_worker import wait_for

    receive(professional_claim_file())

    assert remit_due_claims(now=NOW.isoformat()) == 0  # not yet due
    remit_due_claims.delay(now=LATER.isoformat())

    wait_for(lambda: ResponseFile.objects.filter(kind=ResponseFile.REMITTANCE_835).exists())
    [remittance] = ResponseFile.objects.filter(kind=ResponseFile.REMITTANCE_835)
    assert len(read_835(remittance.text)) == 1


def test_the_demo_step_loads_the_demo_rules_again_on_every_run(settings):
    from sandbox.clearinghouse.demo import load_rules

    assert "sandbox.clearinghouse.demo.load_rules" in settings.DEMO_STEPS
    said = []
    first = load_rules(base_url="http://localhost:8000/", say=said.append)
    assert load_rules(base_url="http://localhost:8000/") == first
    assert len(services.active_rules()) == len(DEMO_RULES) == len(first)
    assert said == [f"Sandbox clearinghouse: {len(DEMO_RULES)} payer rules at http://localhost:8000/sandbox/clearinghouse/"]
