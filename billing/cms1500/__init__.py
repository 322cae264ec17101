"""The CMS-1500 (02/12) paper claim for payers that take paper: ``form_context`` (a claim as the
form's boxes 1-33, plain data) then ``render_form`` (WeasyPrint, PDF bytes). Both pure: no ORM,
no I/O beyond the package's own template and stylesheet."""

from billing.cms1500.context import LINES_PER_FORM, ClaimForm, FormLine, FormPage, form_context
from billing.cms1500.render import render_form

__all__ = ["LINES_PER_FORM", "ClaimForm", "FormLine", "FormPage", "form_context", "render_form"]
