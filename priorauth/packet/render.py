"""A ``PacketContext`` laid out as a PDF with WeasyPrint (pure: context in, bytes out).

Nothing is fetched while rendering: the HTML links no resource, the stylesheet is read from
the package once, fonts are the system's, and a URL fetcher that refuses every URL stands
guard so that a stray link in a record's text cannot make the renderer reach out.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.template.loader import get_template
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from priorauth.packet.context import PacketContext
from priorauth.packet.letter import BLANK

TEMPLATE = "priorauth/packet/packet.html"
STYLESHEET = Path(__file__).resolve().parent.parent / "templates" / "priorauth" / "packet" / "packet.css"
# A form field without a value prints as a line long enough to write on.
FORM_BLANK = "_" * 16


class _NoFetching(URLFetcher):
    """Refuses every URL (WeasyPrint then renders without the resource and logs a warning)."""

    def fetch(self, url, headers=None):  # noqa: ARG002 - WeasyPrint's signature
        raise ValueError("the prior-authorization packet loads no external resources")


@lru_cache(maxsize=1)
def _fonts_and_stylesheet() -> tuple[FontConfiguration, CSS]:
    # Parsing the stylesheet and reading the system's fonts once per process, not per packet,
    # is most of what keeps a packet under 100 ms.
    fonts = FontConfiguration()
    css = CSS(string=STYLESHEET.read_text(encoding="utf-8"), font_config=fonts, url_fetcher=_NoFetching())
    return fonts, css


def packet_html(context: PacketContext) -> str:
    """The packet as one HTML document (what ``render_packet`` lays out); useful to inspect a layout."""
    return get_template(TEMPLATE).render({"packet": context, "blank": BLANK, "form_blank": FORM_BLANK})


def render_packet(context: PacketContext) -> bytes:
    """The packet as PDF bytes: request form, criteria checklist, letter of medical necessity and
    note excerpts, each from a new US Letter page, with the request id and page numbers on every page."""
    fonts, css = _fonts_and_stylesheet()
    document = HTML(string=packet_html(context), url_fetcher=_NoFetching(), base_url=None)
    return document.write_pdf(stylesheets=[css], font_config=fonts)
