"""The sandbox clearinghouse (sandbox/clearinghouse) over its HTTP API, through pracops.outbound.

Settings: BILLING_SANDBOX_CLEARINGHOUSE_URL (its base, ending in /sandbox/clearinghouse/),
BILLING_SANDBOX_CLEARINGHOUSE_SUBMITTER and _SECRET (X-Submitter-Id / X-Submitter-Secret),
BILLING_CLEARINGHOUSE_TIMEOUT. Refused (ImproperlyConfigured) when settings.SANDBOX_CLEARINGHOUSE_ENABLED
is off, which it is under PRACOPS_ENV=production unless PRACOPS_SANDBOX_CLEARINGHOUSE says otherwise.

A 409 (this ISA13 was received before) is an earlier attempt that got there: ``Delivery(duplicate=True)``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from billing.clearinghouses.base import Delivery, MailboxFile
from pracops import outbound

X12 = "application/edi-x12"


class SandboxClearinghouse:
    name = "sandbox"

    def __init__(self) -> None:
        if not settings.SANDBOX_CLEARINGHOUSE_ENABLED:
            raise ImproperlyConfigured("the sandbox clearinghouse is off (PRACOPS_SANDBOX_CLEARINGHOUSE)")
        self.base_url = settings.BILLING_SANDBOX_CLEARINGHOUSE_URL.rstrip("/") + "/"
        self.sender_id = settings.BILLING_SANDBOX_CLEARINGHOUSE_SUBMITTER
        self.receiver_id = settings.SANDBOX_CLEARINGHOUSE_ID
        self.receiver_name = settings.SANDBOX_CLEARINGHOUSE_NAME
        self.timeout = settings.BILLING_CLEARINGHOUSE_TIMEOUT
        self.headers = {"X-Submitter-Id": self.sender_id,
                        "X-Submitter-Secret": settings.BILLING_SANDBOX_CLEARINGHOUSE_SECRET}

    def submit(self, *, text: str, interchange_control: str) -> Delivery:
        try:
            answer = outbound.post_bytes(self.base_url + "submissions", text.encode("utf-8"), content_type=X12,
                                         timeout=self.timeout, headers=self.headers)
        except outbound.PermanentError as error:
            if error.status == 409:
                return Delivery(remote_id="", duplicate=True)
            raise
        submission = answer.get("submission")
        if not isinstance(submission, int):
            raise outbound.PermanentError(f"{outbound.host_of(self.base_url)} answered without a submission id",
                                          host=outbound.host_of(self.base_url))
        return Delivery(remote_id=str(submission))

    def mailbox(self) -> list[MailboxFile]:
        found: list[MailboxFile] = []
        after = 0
        while True:
            answer = outbound.get_json(f"{self.base_url}files?after={after}&limit=500", timeout=self.timeout,
                                       headers=self.headers)
            listed = answer.get("files") if isinstance(answer.get("files"), list) else []
            page = [MailboxFile(remote_id=str(item["id"]), kind=str(item.get("kind", "")), name=str(item.get("name", "")))
                    for item in listed if isinstance(item, dict) and isinstance(item.get("id"), int)]
            found += page
            if len(page) < 500:
                return found
            after = int(page[-1].remote_id)

    def download(self, remote_id: str) -> str:
        return outbound.get_text(f"{self.base_url}files/{int(remote_id)}", timeout=self.timeout, headers=self.headers)

    def acknowledge(self, remote_id: str) -> None:
        outbound.post_empty(f"{self.base_url}files/{int(remote_id)}/acknowledge", timeout=self.timeout,
                            headers=self.headers)
