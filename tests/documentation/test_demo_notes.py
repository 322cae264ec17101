"""The demo practice's notes, read as `make run` reads them: with the current extractor, again after
an upgrade, and with the facts a new user checks first."""

import shlex
from pathlib import Path

import pytest
from django.core.management import call_command

from documentation.models import NoteFacts
from documentation.nlp.extract import EXTRACTOR_VERSION
from pracops.records.models import DocumentReference
from tests.celery_worker import wait_for

pytestmark = pytest.mark.worker
MAKEFILE = Path(__file__).resolve().parents[2] / "Makefile"


def make_demo() -> None:
    """The Makefile's ``demo`` recipe, each ``manage.py`` command run in this process."""
    recipe = MAKEFILE.read_text().split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    for line in recipe.splitlines()[1:]:
        words = shlex.split(line.split("#", 1)[0].replace("$(HOST)", "127.0.0.1").replace("$(PORT)", "8000"))
        call_command(*words[words.index("manage.py") + 1:])


def current_facts(family: str) -> dict:
    document = DocumentReference.objects.exclude(text="").get(patient__family=family)  # not the packet
    return wait_for(lambda: NoteFacts.objects.filter(document=document, extractor_version=EXTRACTOR_VERSION)
                    .values_list("facts", flat=True).first(), timeout=90)


def test_the_demo_notes_are_read_again_after_an_extractor_upgrade(celery_worker):
    make_demo()
    notes = DocumentReference.objects.exclude(text="").count()  # the packets (PDFs) are not read
    assert notes == 4
    wait_for(lambda: NoteFacts.objects.filter(extractor_version=EXTRACTOR_VERSION).count() == notes, timeout=120)
    # As if an older extractor had read them: loading the unchanged demo again reads nothing by itself.
    NoteFacts.objects.update(extractor_version="0.0.1")

    make_demo()

    wait_for(lambda: NoteFacts.objects.filter(extractor_version=EXTRACTOR_VERSION).count() == notes, timeout=120)


def test_the_demo_notes_give_the_facts_their_orders_are_decided_on(celery_worker):
    call_command("load_demo", "--quiet-logins")

    okafor = current_facts("Okafor")  # right SI-joint injection
    assert okafor["pain"]["regions"] == ["sacroiliac"]
    assert okafor["exam"]["si_provocative_positive"] == 4
    novak = current_facts("Novak")  # spinal cord stimulator trial
    assert novak["psych_eval"] == {"done": True, "cleared": True}
    assert "scs_trial" not in {p["type"] for p in novak["prior_procedures"]}
