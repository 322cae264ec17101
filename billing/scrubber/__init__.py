"""The claim scrubber: named edits run on a claim before it can be sent (pure: no ORM, no I/O).

``scrub(claim, context)`` takes a ``billing.claim_data.ProfessionalClaim`` and a ``ScrubContext``
(today's date, the payer's timely filing limit, the patient's authorizations on file, the codes the
payer wants authorized, the lines already sent) and returns ``EditFinding``s: the edit's code, its
severity (an error holds the claim back, a warning asks a biller to look) and a message in a
biller's words that names the line and procedure code, never the patient.

Edits are data plus small functions. The coding tables they read (add-on codes and their primaries,
codes that include imaging guidance, facet levels, units per date and bilateral billing) are YAML
files in ``tables/``, each citing its sources; changing a value is an edit to a file.

Adding an edit is a function and a registry entry::

    # billing/scrubber/edits/coding.py
    def modifier_59_on_add_on(claim, context):
        \"\"\"Modifier 59 is not put on an add-on code.\"\"\"
        for line in claim.lines:
            if "59" in line.modifiers and line.procedure_code in coding_tables().add_on_primaries:
                yield Problem(f"{line_label(line)}: remove modifier 59 from an add-on code.", line.number)

    # billing/scrubber/registry.py, in EDITS
    Edit("modifier-59-on-add-on", "Modifier 59 on an add-on code", WARNING, coding.modifier_59_on_add_on),

and a test in ``tests/billing/scrubber/`` that a clean claim passes it and a bad one fails with
the exact message.
"""

from billing.scrubber.context import AuthorizationOnFile, AuthorizationStatus, ScrubContext, sent_line_key
from billing.scrubber.findings import Edit, EditFinding, Problem, Severity
from billing.scrubber.registry import EDITS, blocks_sending, edit, scrub

__all__ = ["AuthorizationOnFile", "AuthorizationStatus", "EDITS", "Edit", "EditFinding", "Problem", "ScrubContext",
           "Severity", "blocks_sending", "edit", "scrub", "sent_line_key"]
