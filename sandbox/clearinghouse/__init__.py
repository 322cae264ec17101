"""The sandbox clearinghouse: a real HTTP endpoint standing for a claims clearinghouse's mailbox.

It takes 837P files, answers each with a 999 (pyx12's verdict) and, for the transaction sets it
accepted, a 277CA per billing provider (every claim accepted, A2:20 with the payer's claim number,
or rejected with its reasons: ``edits.py``), and later, when ``tasks.remit_due_claims`` runs,
pays or denies the accepted claims as their payers would in an 835 per submitter and payer
(rules as data: ``rules.py``, the admin's ClearinghouseRule). Mounted at ``/sandbox/clearinghouse/`` when
settings.SANDBOX_CLEARINGHOUSE_ENABLED (on unless PRACOPS_ENV=production; env
PRACOPS_SANDBOX_CLEARINGHOUSE).

HTTP API (no PracOps token: a clearinghouse knows its submitters by an id and a shared secret,
sent on every request in ``X-Submitter-Id`` and ``X-Submitter-Secret``; settings
SANDBOX_CLEARINGHOUSE_SUBMITTERS; missing or wrong: 401)::

    POST /sandbox/clearinghouse/submissions          body: the 837P interchange
         Content-Type: application/edi-x12 (or text/plain); at most SANDBOX_CLEARINGHOUSE_MAX_BYTES (413)
         201 {"submission": 7, "interchange_control": "000000907", "status": "A",
              "claims": {"accepted": 2, "rejected": 1},
              "files": [{"id": 31, "kind": "999", "name": "999-000000031.x12"}, {"id": 32, "kind": "277CA", ...}]}
             status is the 999's AK901: A accepted, P partially, R rejected (a rejected file still
             gets its 999, which says where: IK3 segment and position, IK4 element)
         400 not an X12 interchange (no ISA, ISA13 not nine digits): nothing is stored, no 999
         409 {"error": "duplicate", "submission": 7, ...}: this submitter sent this ISA13 before
         415 another Content-Type
    GET  /sandbox/clearinghouse/files?after=<id>&limit=<n>
         200 {"files": [{"id", "kind" (999, 277CA, 835), "name", "created", "submission", "size"}],
              "cursor": <the last id listed, or after>}
             the submitter's files not yet acknowledged, oldest first, ids greater than after
             (default 0); limit 1 to 500 (default 100)
    GET  /sandbox/clearinghouse/files/<id>
         200 the file (application/edi-x12), 404 when the submitter has no such file
    POST /sandbox/clearinghouse/files/<id>/acknowledge
         204: collected, no longer listed (again: 204); 404 when the submitter has no such file

A duplicate ISA13 answers 409 rather than a 999 rejecting the interchange: the usual duplicate
is the sender's own retry after a lost answer, and a second 999 (rejecting the very file whose
first 999 accepted it) would be matched against that file and undo its acceptance; the X12 place
for an interchange-level duplicate is a TA1 (TA105 025), which this sandbox does not write. The
409 names the earlier submission, so a sender can treat it as "already delivered".

Fault injection for the tests of PracOps' adapter: ``services.inject_fault("submit", "503")``
(or "500", or "delay" with ``delay_seconds``) for submit, list, download, acknowledge or any.
"""
