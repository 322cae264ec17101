from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer

from pracops.fhir import jsontext

FHIR_JSON = "application/fhir+json"


class FhirJsonRenderer(BaseRenderer):
    media_type = FHIR_JSON
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        return jsontext.dumps(data)


class PlainJsonRenderer(FhirJsonRenderer):
    media_type = "application/json"


class LenientNegotiation(DefaultContentNegotiation):
    """FHIR JSON whatever the client accepts: FHIR servers answer in their format, not 406."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Exception:
            return renderers[0], renderers[0].media_type
