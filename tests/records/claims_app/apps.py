"""A test-only app that registers a resource type of its own, the way billing will register Claim."""

from django.apps import AppConfig

CLAIM_STATUS = frozenset({"active", "cancelled", "draft", "entered-in-error"})


class ClaimsTestConfig(AppConfig):
    name = "tests.records.claims_app"
    label = "claims_test"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from pracops.fhir.mapping import Column, Ref, ResourceMapper
        from pracops.records.registry import ResourceKind, register_resource_type
        from pracops.records.search import common_params, reference_param, token_param
        from tests.records.claims_app.models import Claim

        def patient_of(resource: dict) -> str | None:
            return (resource.get("patient") or {}).get("reference")

        def set_patient(resource: dict, reference: str | None) -> None:
            resource["patient"] = {**(resource.get("patient") or {}), "reference": reference}

        class ClaimMapper(ResourceMapper):
            resource_type = "Claim"
            columns = {"status": Column(lambda r: r.get("status", ""), lambda r, v: r.__setitem__("status", v))}
            references = {"patient": Ref(("Patient",), patient_of, set_patient, required=True)}

        params = [*common_params(), reference_param("patient", "patient", "Patient"), token_param("status", "status")]
        register_resource_type(ResourceKind(
            "Claim", Claim, ClaimMapper(), search_params={p.name: p for p in params},
            groups=frozenset({"exchanged", "billing"}), required_codes={"status": CLAIM_STATUS},
        ))
