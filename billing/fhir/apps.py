from django.apps import AppConfig


class BillingFhirConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing.fhir"
    label = "billing_fhir"
    verbose_name = "Billing: FHIR for EHRs"

    def ready(self) -> None:
        from billing.fhir.kinds import register_billing_types

        # After the core types (pracops.records, earlier in INSTALLED_APPS): an
        # ExplanationOfBenefit refers to a Claim, a Patient, a Coverage and an Organization.
        register_billing_types()
