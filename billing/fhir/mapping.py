"""The ExplanationOfBenefit mapper: its columns and references read from the resource (pure)."""

from __future__ import annotations

from decimal import Decimal

from pracops.fhir.mapping import (
    Column, Ref, ResourceMapper, _datetime_column, _focal_insurance, _ref_of, _reference_to, _set_focal_coverage,
    _text, money_column_value, parse_fhir_date,
)


def _payment_amount(resource: dict) -> Decimal | None:
    return money_column_value((resource.get("payment") or {}).get("amount"))


class ExplanationOfBenefitMapper(ResourceMapper):
    """An ExplanationOfBenefit PracOps writes from an 835 claim payment (never received from a client)."""

    resource_type = "ExplanationOfBenefit"
    columns = {
        "status": _text("status"),
        "use": _text("use"),
        "outcome": _text("outcome"),
        "created": _datetime_column("created"),
        # Derived from the payment: written by the projection, never edited on their own.
        "payment_date": Column(lambda r: parse_fhir_date((r.get("payment") or {}).get("date"))),
        "payment_amount": Column(_payment_amount),
    }
    references = {
        "patient": _reference_to("patient", ("Patient",), required=True),
        "insurer": _reference_to("insurer", ("Organization",)),
        "claim": _reference_to("claim", ("Claim",)),
        "coverage": Ref(("Coverage",), lambda r: _ref_of((_focal_insurance(r) or {}).get("coverage")),
                        _set_focal_coverage),
    }
