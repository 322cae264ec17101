"""A clearinghouse reached through directories (an SFTP sync or a mounted share).

837P files are written into settings.BILLING_FILEDROP_OUTBOX as ``837P-<ISA13>.x12``, whole or
not at all (written to a hidden temporary name, then renamed); the same file already there is a
duplicate (an earlier attempt got there) and is not written again; a different file of that name
is refused (PermanentError), never overwritten. Files in
settings.BILLING_FILEDROP_INBOX (999, 277CA, 277, 835) are listed oldest first; acknowledging one
moves it into ``inbox/collected/`` (an already moved file: no error).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from django.conf import settings

from billing.clearinghouses.base import Delivery, MailboxFile
from pracops.outbound import PermanentError, TransientError

_KINDS = (("999", re.compile(r"ST\*999\*")), ("277CA", re.compile(r"ST\*277\*")), ("835", re.compile(r"ST\*835\*")))
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}")


class FileDropClearinghouse:
    name = "filedrop"

    def __init__(self) -> None:
        self.outbox = Path(settings.BILLING_FILEDROP_OUTBOX)
        self.inbox = Path(settings.BILLING_FILEDROP_INBOX)
        self.sender_id = settings.BILLING_FILEDROP_SENDER_ID
        self.receiver_id = settings.BILLING_FILEDROP_RECEIVER_ID
        self.receiver_name = settings.BILLING_FILEDROP_RECEIVER_NAME

    def submit(self, *, text: str, interchange_control: str) -> Delivery:
        if not re.fullmatch(r"\d{9}", interchange_control):
            raise PermanentError("an interchange control number is nine digits")
        name = f"837P-{interchange_control}.x12"
        target = self.outbox / name
        try:
            self.outbox.mkdir(parents=True, exist_ok=True)
            if target.exists():
                if target.read_text(encoding="utf-8") == text:
                    return Delivery(remote_id=name, duplicate=True)
                raise PermanentError("another file with this interchange control number is in the outbox")
            temporary = self.outbox / f".{name}.part"
            with open(temporary, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
        except OSError as error:
            raise TransientError(f"the outbox could not be written ({type(error).__name__})",
                                 maybe_delivered=False) from error
        return Delivery(remote_id=name)

    def mailbox(self) -> list[MailboxFile]:
        try:
            entries = [p for p in self.inbox.iterdir() if p.is_file() and _NAME.fullmatch(p.name)] \
                if self.inbox.is_dir() else []
            entries.sort(key=lambda p: (p.stat().st_mtime, p.name))
        except OSError as error:
            raise TransientError(f"the inbox could not be listed ({type(error).__name__})") from error
        return [MailboxFile(remote_id=p.name, kind=self._kind(p), name=p.name) for p in entries]

    def download(self, remote_id: str) -> str:
        try:
            return self._path(remote_id).read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise PermanentError("an inbox file is not UTF-8 text") from error
        except FileNotFoundError as error:
            raise PermanentError("no such file in the inbox") from error
        except OSError as error:
            raise TransientError(f"an inbox file could not be read ({type(error).__name__})") from error

    def acknowledge(self, remote_id: str) -> None:
        source = self._path(remote_id)
        collected = self.inbox / "collected"
        try:
            collected.mkdir(exist_ok=True)
            os.replace(source, collected / source.name)
        except FileNotFoundError:
            if not (collected / source.name).exists():
                raise PermanentError("no such file in the inbox") from None
        except OSError as error:
            raise TransientError(f"an inbox file could not be moved ({type(error).__name__})") from error

    def _path(self, remote_id: str) -> Path:
        if not _NAME.fullmatch(remote_id):
            raise PermanentError("not a file name of the inbox")
        return self.inbox / remote_id

    @staticmethod
    def _kind(path: Path) -> str:
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                head = handle.read(4096)
        except OSError:
            return ""
        return next((kind for kind, pattern in _KINDS if pattern.search(head)), "")
