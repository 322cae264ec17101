"""What the billing REST API shows, as DRF serializers (they also describe the responses in the
OpenAPI schema), and the query parameters it accepts. Patients and payers appear by their FHIR
ids, claims by their public ids: no internal key leaves the API."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from rest_framework import serializers

from billing.models import Claim


@lru_cache(maxsize=1)
def carc_descriptions() -> dict[str, str]:
    """CARC -> a description in words, for the common codes (billing/carc.yaml cites the list)."""
    data = yaml.safe_load((Path(__file__).parent / "carc.yaml").read_text(encoding="utf-8"))
    return {str(code): str(text) for code, text in data.items()}


class PartySerializer(serializers.Serializer):
    id = serializers.CharField(source="fhir_id")
    name = serializers.CharField()


class ClaimSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    patient_control_number = serializers.CharField()
    status = serializers.ChoiceField(choices=Claim.Status.choices)
    frequency = serializers.ChoiceField(choices=Claim.Frequency.choices)
    service_date = serializers.DateField()
    total_charge = serializers.DecimalField(max_digits=12, decimal_places=2)
    payer = PartySerializer()
    patient = serializers.SerializerMethodField()
    payer_claim_number = serializers.CharField()
    prior_authorization_number = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_patient(self, claim: Claim) -> str:
        return f"Patient/{claim.patient.fhir_id}"


class ClaimLineSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    procedure_code = serializers.CharField()
    modifiers = serializers.ListField(child=serializers.CharField())
    units = serializers.DecimalField(max_digits=7, decimal_places=3)
    charge = serializers.DecimalField(max_digits=10, decimal_places=2)
    service_date = serializers.DateField()
    diagnosis_pointers = serializers.ListField(child=serializers.IntegerField())
    control_number = serializers.CharField()


class ClaimEditSerializer(serializers.Serializer):
    code = serializers.CharField()
    severity = serializers.CharField()
    message = serializers.CharField()
    line_number = serializers.IntegerField(allow_null=True)
    other_claim = serializers.CharField()
    run_at = serializers.DateTimeField()


class StatusChangeSerializer(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    at = serializers.DateTimeField()
    agent = serializers.CharField()
    source = serializers.CharField()
    source_reference = serializers.CharField()
    reason = serializers.CharField()


class AdjustmentSerializer(serializers.Serializer):
    group = serializers.CharField()
    carc = serializers.CharField(source="reason")
    description = serializers.SerializerMethodField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)

    def get_description(self, adjustment) -> str:
        return carc_descriptions().get(adjustment.reason, "")


class ServiceLinePaymentSerializer(serializers.Serializer):
    line_control_number = serializers.CharField()
    procedure_code = serializers.CharField()
    charge = serializers.DecimalField(max_digits=12, decimal_places=2)
    paid = serializers.DecimalField(max_digits=12, decimal_places=2)
    rarcs = serializers.ListField(child=serializers.CharField(), source="remarks")
    adjustments = AdjustmentSerializer(many=True)


class RemittanceSerializer(serializers.Serializer):
    payer_name = serializers.CharField(source="remittance.payer_name")
    trace_number = serializers.CharField(source="remittance.trace_number")
    payment_date = serializers.DateField(source="remittance.payment_date", allow_null=True)
    status_code = serializers.CharField()
    charge = serializers.DecimalField(max_digits=12, decimal_places=2)
    paid = serializers.DecimalField(max_digits=12, decimal_places=2)
    patient_responsibility = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    payer_claim_number = serializers.CharField()
    rarcs = serializers.ListField(child=serializers.CharField(), source="remarks")
    adjustments = AdjustmentSerializer(many=True, help_text="Claim-level adjustments (CAS after CLP)")
    service_lines = ServiceLinePaymentSerializer(many=True)


class ClaimDetailSerializer(ClaimSummarySerializer):
    place_of_service = serializers.CharField()
    # Billing only: front office reads a claim's status, not its coding or money.
    diagnoses = serializers.ListField(child=serializers.CharField(), required=False)
    replaces = serializers.UUIDField(source="replaces.public_id", allow_null=True, default=None)
    lines = ClaimLineSerializer(many=True, required=False)
    edits = ClaimEditSerializer(many=True, source="latest_edits", required=False,
                                help_text="The latest scrub run's findings")
    history = StatusChangeSerializer(many=True)
    remittances = RemittanceSerializer(many=True, source="payments", required=False)


class ClaimFilters(serializers.Serializer):
    """The ``/api/claims/`` query parameters; a bad value is a 400 naming it."""

    status = serializers.ChoiceField(choices=Claim.Status.choices, required=False)
    payer = serializers.CharField(required=False, max_length=64, help_text="The payer Organization's id")
    patient = serializers.CharField(required=False, max_length=64, help_text="The Patient's id")
    service_date_from = serializers.DateField(required=False)
    service_date_to = serializers.DateField(required=False)
    carc = serializers.RegexField(r"^[A-Z0-9]{1,5}$", required=False,
                                  help_text="Claims with a posted adjustment of this reason code")

    def validate(self, data):
        start, end = data.get("service_date_from"), data.get("service_date_to")
        if start and end and start > end:
            raise serializers.ValidationError({"service_date_to": "must not be before service_date_from"})
        return data


class AgingFilters(serializers.Serializer):
    as_of = serializers.DateField(required=False, help_text="Age balances on this date (default today)")
    payer = serializers.CharField(required=False, max_length=64, help_text="The payer Organization's id")


class DenialFilters(serializers.Serializer):
    payer = serializers.CharField(required=False, max_length=64, help_text="The payer Organization's id")
    paid_from = serializers.DateField(required=False, help_text="Remittances paid on or after this date")
    paid_to = serializers.DateField(required=False, help_text="Remittances paid on or before this date")

    def validate(self, data):
        if data.get("paid_from") and data.get("paid_to") and data["paid_from"] > data["paid_to"]:
            raise serializers.ValidationError({"paid_to": "must not be before paid_from"})
        return data


class AgingBucketsSerializer(serializers.Serializer):
    def get_fields(self):
        from billing.selectors import AGING_BUCKETS

        return {label: serializers.DecimalField(max_digits=14, decimal_places=2) for label, _, _ in AGING_BUCKETS}


class AgingRowSerializer(serializers.Serializer):
    payer = serializers.CharField(help_text="The payer Organization's id")
    payer_name = serializers.CharField()
    claims = serializers.IntegerField()
    buckets = AgingBucketsSerializer()
    total = serializers.DecimalField(max_digits=14, decimal_places=2)


class AgingSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    definition = serializers.CharField()
    payers = AgingRowSerializer(many=True)
    totals = AgingBucketsSerializer()
    total = serializers.DecimalField(max_digits=14, decimal_places=2)


class DenialRowSerializer(serializers.Serializer):
    group = serializers.CharField()
    carc = serializers.CharField(source="reason")
    description = serializers.SerializerMethodField()
    claims = serializers.IntegerField()
    adjustments = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)

    def get_description(self, row) -> str:
        return carc_descriptions().get(row["reason"], "")


class DenialsSerializer(serializers.Serializer):
    reasons = DenialRowSerializer(many=True)
