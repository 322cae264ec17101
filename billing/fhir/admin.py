from django.contrib import admin

from billing.fhir.models import ExplanationOfBenefit
from pracops.records.admin import WrittenBySystemAdmin


@admin.register(ExplanationOfBenefit)
class ExplanationOfBenefitAdmin(WrittenBySystemAdmin):
    """Written by the billing projection from 835 claim payments: shown, never edited here."""

    list_display = ["__str__", "patient", "outcome", "status", "insurer", "payment_date", "payment_amount", "created"]
    list_filter = ["outcome", "status"]
    search_fields = ["patient__family", "patient__mrn", "identifiers__value"]
    list_select_related = ["patient", "insurer"]
    date_hierarchy = "created"
