"""The CapabilityStatement, built from the same tables that drive the API."""

from __future__ import annotations

from pracops.access.roles import WRITE, role_table
from pracops.records.registry import KINDS, SUPPORTED_TYPES
from pracops.records.search import definition

SOFTWARE_VERSION = "0.1.0"
TYPE_INTERACTIONS = [
    "read", "vread", "search-type", "create", "update", "patch", "delete", "history-instance", "history-type",
]
READ_INTERACTIONS = ["read", "vread", "search-type", "history-instance", "history-type"]


def writable_types() -> set[str]:
    """The types some role may write through the API (the others are PracOps' own, read-only)."""
    return {t for grants in role_table().values() for t, interactions in grants.items() if interactions & WRITE}


def capability_statement(base_url: str, published: str) -> dict:
    resources = []
    writable = writable_types()
    for resource_type in SUPPORTED_TYPES:
        written = resource_type in writable
        resources.append({
            "type": resource_type,
            "profile": f"http://hl7.org/fhir/StructureDefinition/{resource_type}",
            "interaction": [{"code": code} for code in (TYPE_INTERACTIONS if written else READ_INTERACTIONS)],
            "versioning": "versioned-update" if written else "versioned",
            "readHistory": True,
            "updateCreate": written,
            "conditionalCreate": written,
            "conditionalUpdate": written,
            "conditionalDelete": "not-supported",
            "referencePolicy": ["literal", "local", "enforced"],
            "searchParam": [
                {
                    "name": p.name,
                    "definition": definition(resource_type, p),
                    "type": p.type,
                    "documentation": p.documentation,
                }
                for p in KINDS[resource_type].search_params.values()
            ],
        })
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": published,
        "publisher": "PracOps",
        "kind": "instance",
        "software": {"name": "PracOps", "version": SOFTWARE_VERSION},
        "implementation": {"description": "PracOps FHIR API", "url": base_url},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "documentation": "Send Bundles of type transaction (all or nothing) or batch to the base. "
                             "Add 'Prefer: respond-async' to have a Bundle processed in the background.",
            "security": {
                "cors": False,
                "service": [{"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                    "code": "OAuth", "display": "OAuth",
                }], "text": "Bearer token (python manage.py create_api_client NAME --role ROLE)"}],
                "description": "Every request except GET /metadata needs 'Authorization: Bearer <token>'.",
            },
            "resource": resources,
            "interaction": [{"code": "transaction"}, {"code": "batch"}],
        }],
    }
