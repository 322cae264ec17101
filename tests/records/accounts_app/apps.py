"""A test-only app that registers a resource type of its own, the way a domain app registers one."""

from django.apps import AppConfig

ACCOUNT_STATUS = frozenset({"active", "inactive", "entered-in-error", "on-hold", "unknown"})


class AccountsTestConfig(AppConfig):
    name = "tests.records.accounts_app"
    label = "accounts_test"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from pracops.fhir.mapping import Column, Ref, ResourceMapper
        from pracops.records.registry import ResourceKind, register_resource_type
        from pracops.records.search import common_params, reference_param, token_param
        from tests.records.accounts_app.models import Account

        def patient_of(resource: dict) -> str | None:
            subjects = resource.get("subject") or [{}]
            return subjects[0].get("reference")

        def set_patient(resource: dict, reference: str | None) -> None:
            subjects = resource.get("subject") or [{}]
            resource["subject"] = [{**subjects[0], "reference": reference}, *subjects[1:]]

        class AccountMapper(ResourceMapper):
            resource_type = "Account"
            columns = {"status": Column(lambda r: r.get("status", ""), lambda r, v: r.__setitem__("status", v))}
            references = {"patient": Ref(("Patient",), patient_of, set_patient, required=True)}

        params = [*common_params(), reference_param("patient", "patient", "Patient"), token_param("status", "status")]
        register_resource_type(ResourceKind(
            "Account", Account, AccountMapper(), search_params={p.name: p for p in params},
            groups=frozenset({"exchanged", "billing"}), required_codes={"status": ACCOUNT_STATUS},
        ))
