"""A ``ClaimForm`` laid out as a CMS-1500 (02/12) PDF with WeasyPrint (pure: form in, bytes out).

One form (US Letter page) per six service lines. Nothing is fetched while rendering: the HTML
links no resource, the stylesheet is read from the package once, fonts are the system's, and a
URL fetcher that refuses every URL stands guard.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.template.loader import get_template
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from billing.cms1500.context import INSURANCE_TYPES, ClaimForm

TEMPLATE = "billing/cms1500/form.html"
STYLESHEET = Path(__file__).resolve().parent.parent / "templates" / "billing" / "cms1500" / "form.css"
RELATIONSHIPS = ("Self", "Spouse", "Child", "Other")
CONDITIONS = (("a", "EMPLOYMENT? (Current or Previous)", "employment_related"),
              ("b", "AUTO ACCIDENT?", "auto_accident"),
              ("c", "OTHER ACCIDENT?", "other_accident"))


class _NoFetching(URLFetcher):
    """Refuses every URL (WeasyPrint then renders without the resource and logs a warning)."""

    def fetch(self, url, headers=None):  # noqa: ARG002 - WeasyPrint's signature
        raise ValueError("the CMS-1500 loads no external resources")


@lru_cache(maxsize=1)
def _fonts_and_stylesheet() -> tuple[FontConfiguration, CSS]:
    fonts = FontConfiguration()
    css = CSS(string=STYLESHEET.read_text(encoding="utf-8"), font_config=fonts, url_fetcher=_NoFetching())
    return fonts, css


def form_html(form: ClaimForm) -> str:
    """The form as one HTML document, one ``section.sheet`` per page (what ``render_form`` lays out)."""
    conditions = [(letter, words, getattr(form, field)) for letter, words, field in CONDITIONS]
    return get_template(TEMPLATE).render({"form": form, "insurance_types": INSURANCE_TYPES,
                                          "relationships": RELATIONSHIPS, "conditions": conditions})


def render_form(form: ClaimForm) -> bytes:
    """The claim as CMS-1500 (02/12) PDF bytes, one page per six service lines."""
    fonts, css = _fonts_and_stylesheet()
    document = HTML(string=form_html(form), url_fetcher=_NoFetching(), base_url=None)
    return document.write_pdf(stylesheets=[css], font_config=fonts)
