"""The sandbox clearinghouse's own tables: the files it received, the claims in them, the response
files waiting in each submitter's mailbox, its payers' rules and injected faults."""

from __future__ import annotations

from django.db import models

from sandbox.clearinghouse import rules


class ClearinghouseRule(models.Model):
    """How the payers behind the clearinghouse acknowledge and pay (see sandbox/clearinghouse/rules.py)."""

    name = models.CharField(max_length=100, unique=True)
    active = models.BooleanField(default=True)
    priority = models.IntegerField(default=100, help_text="Lower first; the first matching rule decides a line.")
    action = models.CharField(max_length=10, default=rules.PAY, choices=[(a, a) for a in rules.ACTIONS])
    code = models.CharField("CPT/HCPCS code", max_length=10, blank=True, help_text="Blank: any service.")
    payer_id = models.CharField(max_length=80, blank=True, help_text="Blank: any payer.")
    member_id = models.CharField(max_length=80, blank=True, help_text="Blank: any member.")
    requires_authorization = models.BooleanField(
        default=False, help_text="Pay: deny CO-197 (M62) when the claim has no prior authorization (REF*G1).")
    bundled_into = models.CharField(max_length=200, blank=True,
                                    help_text="Pay: deny CO-97 (M15) when one of these codes (comma separated) is "
                                              "billed on the same claim.")
    allowed_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True,
                                          help_text="Pay: allowed as a percent of the charge (blank: the default).")
    fee = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True,
                              help_text="Pay: allowed amount per unit (wins over the percent).")
    copay = models.DecimalField(max_digits=10, decimal_places=2, default=0, help_text="PR-3, per line.")
    deductible = models.DecimalField(max_digits=10, decimal_places=2, default=0, help_text="PR-1, per line.")
    coinsurance_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0, help_text="PR-2.")
    reason_code = models.CharField(max_length=10, blank=True, help_text="Deny: the CARC (50, 96, ...).")
    remark_codes = models.CharField(max_length=100, blank=True, help_text="Deny: RARCs, comma separated.")
    status_code = models.CharField(max_length=20, blank=True,
                                   help_text="Reject: the 277CA status, category:code[:entity], e.g. A7:164:IL.")

    class Meta:
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return self.name

    def as_rule(self) -> rules.Rule:
        return rules.Rule(
            name=self.name, action=self.action, code=self.code, payer_id=self.payer_id, member_id=self.member_id,
            priority=self.priority, requires_authorization=self.requires_authorization,
            bundled_into=_codes(self.bundled_into), allowed_percent=self.allowed_percent, fee=self.fee,
            copay=self.copay, deductible=self.deductible, coinsurance_percent=self.coinsurance_percent,
            reason_code=self.reason_code, remark_codes=_codes(self.remark_codes), status_code=self.status_code,
        )


def _codes(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.replace(",", " ").split() if part)


class Submission(models.Model):
    """One interchange a submitter sent: recognised by its ISA13, never taken twice."""

    ACCEPTED, PARTIALLY_ACCEPTED, REJECTED = "A", "P", "R"

    submitter = models.CharField(max_length=40)
    interchange_control = models.CharField(max_length=9)  # ISA13
    sender_id = models.CharField(max_length=15)  # ISA06
    usage = models.CharField(max_length=1, default="P")  # ISA15
    status = models.CharField(max_length=1, choices=[(ACCEPTED, "accepted"), (PARTIALLY_ACCEPTED, "partially accepted"),
                                                     ("E", "accepted with errors"), (REJECTED, "rejected")])
    text = models.TextField()  # the file as received (a sandbox keeps it for people to look at)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["submitter", "interchange_control"],
                                               name="clearinghouse_submission_once")]

    def __str__(self) -> str:
        return f"{self.submitter} {self.interchange_control}"


class ResponseFile(models.Model):
    """A file in a submitter's mailbox: a 999, a 277CA or an 835, listed until acknowledged."""

    ACK_999, CLAIM_ACK_277CA, REMITTANCE_835 = "999", "277CA", "835"
    KINDS = [(ACK_999, "999 implementation acknowledgment"), (CLAIM_ACK_277CA, "277CA claim acknowledgment"),
             (REMITTANCE_835, "835 remittance advice")]

    submitter = models.CharField(max_length=40)
    kind = models.CharField(max_length=5, choices=KINDS)
    submission = models.ForeignKey(Submission, null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="responses")
    name = models.CharField(max_length=100)
    media_type = models.CharField(max_length=50, default="application/edi-x12")
    text = models.TextField()
    created_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["submitter", "acknowledged_at", "id"], name="clearinghouse_mailbox")]

    def __str__(self) -> str:
        return self.name


class ClearinghouseClaim(models.Model):
    """A claim of an accepted transaction set: accepted (and later remitted) or rejected."""

    ACCEPTED, REJECTED = "accepted", "rejected"

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="claims")
    claim_id = models.CharField(max_length=38)  # CLM01
    payer_id = models.CharField(max_length=80)
    billing_npi = models.CharField(max_length=80)  # NM109: ten digits when valid, but a rejected claim keeps what it had
    status = models.CharField(max_length=10, choices=[(ACCEPTED, "accepted"), (REJECTED, "rejected")])
    reasons = models.JSONField(default=list)  # ["A7:562:85", ...] when rejected
    payer_claim_number = models.CharField(max_length=30, blank=True)
    data = models.JSONField()  # sandbox.clearinghouse.received.ReceivedClaim.as_dict()
    remit_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    remittance = models.ForeignKey(ResponseFile, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="claims")
    remitted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.payer_claim_number or f"claim {self.pk}"


class ClearinghouseFault(models.Model):
    """For tests: the next ``remaining`` requests to ``operation`` fail or answer late."""

    HTTP_500, HTTP_503, DELAY = "500", "503", "delay"
    OPERATIONS = ["submit", "list", "download", "acknowledge", "any"]

    operation = models.CharField(max_length=20, choices=[(o, o) for o in OPERATIONS])
    kind = models.CharField(max_length=10, choices=[(HTTP_500, "500 error"), (HTTP_503, "503 unavailable"),
                                                    (DELAY, "answer late")])
    remaining = models.PositiveIntegerField(default=1)
    delay_seconds = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
