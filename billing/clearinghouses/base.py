"""What every clearinghouse adapter takes and gives back, and the registry that picks one by name.

An adapter moves files: it sends one 837P interchange, lists the mailbox of files the
clearinghouse has for the practice (999, 277CA, 835), downloads one and acknowledges it. It holds
no state and touches no database: ``billing.submission.services`` decides when to send, makes sure
a file is sent once and stores what comes back. Adapters raise pracops.outbound.TransientError
(try again later) or PermanentError (a person must look); nothing else escapes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Delivery:
    """What sending gave back: the clearinghouse's id for the file, and whether it said it had
    the file already (a duplicate ISA13: an earlier attempt got there; not sent again)."""

    remote_id: str
    duplicate: bool = False


@dataclass(frozen=True)
class MailboxFile:
    """One file waiting in the clearinghouse's mailbox (``kind``: 999, 277CA, 277, 835)."""

    remote_id: str
    kind: str
    name: str


@runtime_checkable
class ClearinghouseAdapter(Protocol):
    """One way of exchanging X12 files with a clearinghouse."""

    name: str
    sender_id: str  # ISA06 / GS02 of the files PracOps sends
    receiver_id: str  # ISA08 / GS03, and the 1000B receiver's id
    receiver_name: str  # 1000B NM103

    def submit(self, *, text: str, interchange_control: str) -> Delivery:
        """Send one interchange; a Delivery (``duplicate`` when it was received before)."""
        ...

    def mailbox(self) -> list[MailboxFile]:
        """The files waiting to be collected, oldest first."""
        ...

    def download(self, remote_id: str) -> str:
        """One file's text."""
        ...

    def acknowledge(self, remote_id: str) -> None:
        """Mark a file collected: it is no longer listed (again: no error)."""
        ...


def names() -> list[str]:
    return sorted(settings.BILLING_CLEARINGHOUSE_ADAPTERS)


def adapter_for(name: str) -> ClearinghouseAdapter:
    """The adapter registered as ``name``; ImproperlyConfigured for a name not registered or
    one settings forbid (the sandbox under PRACOPS_ENV=production unless enabled)."""
    path = settings.BILLING_CLEARINGHOUSE_ADAPTERS.get(name)
    if not path:
        raise ImproperlyConfigured(f"no clearinghouse adapter named {name!r} (BILLING_CLEARINGHOUSE_ADAPTERS)")
    adapter = import_string(path)()
    if not isinstance(adapter, ClearinghouseAdapter):
        raise ImproperlyConfigured(f"{path} is not a clearinghouse adapter")
    return adapter
