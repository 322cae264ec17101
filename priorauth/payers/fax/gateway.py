"""Fax gateways: what sends a PDF to a fax number, and the file outbox that stands for one.

The file outbox writes each fax as ``<request_id>.pdf`` (a cover sheet, then the packet) and a
``<request_id>.json`` manifest, for a fax server or a person to pick up. The manifest is written
last and only once: it is the proof that the fax was queued, so sending the same request again
finds it and returns the same job, and two workers racing never leave two faxes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from django.template.loader import render_to_string

# A request id becomes a file name: nothing that could climb out of the outbox.
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_FAX_NUMBER = re.compile(r"\+?[0-9 ().-]{7,30}")


@dataclass(frozen=True)
class FaxCover:
    """What the cover sheet says. No patient data: a cover sheet is read by whoever is at the machine."""

    request_id: str
    to_name: str
    from_name: str
    from_phone: str
    subject: str
    urgency: str  # "standard" | "expedited"
    created: datetime


class FaxGateway(Protocol):
    def send(self, number: str, pdf: bytes, cover: FaxCover) -> str:
        """Queue ``pdf`` behind a cover sheet for ``number``; the job id. Sending the same
        ``cover.request_id`` again returns the first job's id and sends nothing."""
        ...


def fax_number_is_valid(number: str) -> bool:
    """Digits with the usual separators, at least seven digits."""
    return bool(_FAX_NUMBER.fullmatch(number)) and sum(c.isdigit() for c in number) >= 7


class FileOutbox:
    """A FaxGateway that writes each fax to a directory (see the module docstring)."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    def send(self, number: str, pdf: bytes, cover: FaxCover) -> str:
        if not _SAFE_NAME.fullmatch(cover.request_id):
            raise ValueError("a fax's request id must be a plain file name (letters, digits, . _ -)")
        if not fax_number_is_valid(number):
            raise ValueError("not a fax number")
        self.directory.mkdir(parents=True, exist_ok=True)
        manifest_path = self.directory / f"{cover.request_id}.json"
        existing = self.job(cover.request_id)
        if existing is not None:
            return existing["job_id"]

        pages, document = fax_document(pdf, cover)
        pdf_path = self.directory / f"{cover.request_id}.pdf"
        _write_atomically(pdf_path, document, replace=True)
        manifest = {
            "job_id": cover.request_id,
            "request_id": cover.request_id,
            "status": "queued",
            "to": number,
            "to_name": cover.to_name,
            "urgency": cover.urgency,
            "pages": pages,
            "pdf": pdf_path.name,
            "sha256": hashlib.sha256(document).hexdigest(),
            "queued_at": cover.created.isoformat(),
        }
        body = json.dumps(manifest, indent=2, sort_keys=True).encode()
        if not _write_atomically(manifest_path, body, replace=False):
            # Another worker queued the same request between our check and now: theirs stands.
            return json.loads(manifest_path.read_bytes())["job_id"]
        return manifest["job_id"]

    def job(self, request_id: str) -> dict | None:
        """The manifest of the fax queued for ``request_id``, or None."""
        if not _SAFE_NAME.fullmatch(request_id):
            return None
        try:
            return json.loads((self.directory / f"{request_id}.json").read_bytes())
        except FileNotFoundError:
            return None


def fax_document(packet: bytes, cover: FaxCover) -> tuple[int, bytes]:
    """(page count, the PDF to send): the cover sheet, which counts the pages, then the packet."""
    from pypdf import PdfReader, PdfWriter  # imported here: only faxing needs it
    from pypdf.errors import PdfReadError

    try:
        packet_reader = PdfReader(io.BytesIO(packet))
        packet_pages = len(packet_reader.pages)
    except (PdfReadError, ValueError, OSError) as exc:
        raise ValueError("the packet is not a readable PDF") from exc
    total = packet_pages + 1
    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(render_cover(cover, pages=total))).pages:
        writer.add_page(page)
    for page in packet_reader.pages:
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return total, out.getvalue()


def render_cover(cover: FaxCover, *, pages: int) -> bytes:
    """The cover sheet as a one-page PDF."""
    from weasyprint import HTML  # imported here: WeasyPrint loads slowly and only faxing needs it

    html = render_to_string("priorauth/fax/cover.html", {"cover": cover, "pages": pages})
    return HTML(string=html).write_pdf()


def _write_atomically(path: Path, data: bytes, *, replace: bool) -> bool:
    """Write ``data`` to ``path`` so that no reader ever sees part of it.

    ``replace=False`` creates the file only if it does not exist yet (False when it did).
    """
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(temp, path)
        else:
            try:
                os.link(temp, path)  # fails if the file exists: exactly one writer wins
            except FileExistsError:
                return False
        _fsync_directory(path.parent)
        return True
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
