"""The file-drop clearinghouse: atomic writes to the outbox, the inbox read and moved aside."""

from __future__ import annotations

import pytest

from billing.clearinghouses.base import ClearinghouseAdapter, adapter_for
from billing.submission import services
from billing.submission.models import ClaimFile
from pracops.outbound import PermanentError
from tests.billing.submission.support import case, scrubbed_claim  # noqa: F401

pytestmark = pytest.mark.django_db

X999 = "ISA*00*          *00*          *ZZ*CH*ZZ*PRACOPS*261125*0900*^*00501*000000001*0*T*:~GS*FA*CH*PRACOPS*20261125*0900*1*X*005010X231A1~ST*999*0001*005010X231A1~"


@pytest.fixture
def drop(settings, tmp_path):
    settings.BILLING_FILEDROP_OUTBOX = tmp_path / "out"
    settings.BILLING_FILEDROP_INBOX = tmp_path / "in"
    (tmp_path / "in").mkdir()
    return adapter_for("filedrop")


def test_it_is_an_adapter_and_unknown_names_are_refused(drop):
    from django.core.exceptions import ImproperlyConfigured

    assert isinstance(drop, ClearinghouseAdapter)
    with pytest.raises(ImproperlyConfigured, match="no clearinghouse adapter named 'nowhere'"):
        adapter_for("nowhere")


def test_the_sandbox_is_refused_when_disabled(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.SANDBOX_CLEARINGHOUSE_ENABLED = False
    with pytest.raises(ImproperlyConfigured, match="sandbox clearinghouse is off"):
        adapter_for("sandbox")


def test_a_claim_file_is_dropped_once_whole(case, drop, settings):  # noqa: F811
    ready = services.prepare_claim_file(claim_ids=[scrubbed_claim(case).pk], clearinghouse="filedrop")
    sent = services.send_claim_file(file_id=ready.pk)
    name = f"837P-{ready.interchange_control_number}.x12"
    assert sent.status == ClaimFile.Status.SENT and sent.remote_id == name
    assert [p.name for p in settings.BILLING_FILEDROP_OUTBOX.iterdir()] == [name]
    assert (settings.BILLING_FILEDROP_OUTBOX / name).read_text() == ready.text
    again = drop.submit(text=ready.text, interchange_control=ready.interchange_control_number)
    assert again.duplicate and again.remote_id == name
    with pytest.raises(PermanentError, match="another file with this interchange control number"):
        drop.submit(text="changed", interchange_control=ready.interchange_control_number)
    assert (settings.BILLING_FILEDROP_OUTBOX / name).read_text() == ready.text
    assert [p.name for p in settings.BILLING_FILEDROP_OUTBOX.iterdir()] == [name]


def test_the_inbox_is_listed_read_and_moved_aside(drop, settings):
    (settings.BILLING_FILEDROP_INBOX / "ack-1.x12").write_text(X999)
    [waiting] = drop.mailbox()
    assert (waiting.remote_id, waiting.kind) == ("ack-1.x12", "999")
    assert drop.download("ack-1.x12") == X999
    drop.acknowledge("ack-1.x12")
    drop.acknowledge("ack-1.x12")  # again: no error
    assert drop.mailbox() == []
    assert (settings.BILLING_FILEDROP_INBOX / "collected" / "ack-1.x12").read_text() == X999


def test_names_outside_the_inbox_are_refused(drop):
    for bad in ("../secret", "a/b", ""):
        with pytest.raises(PermanentError):
            drop.download(bad)
    with pytest.raises(PermanentError, match="no such file"):
        drop.acknowledge("missing.x12")
