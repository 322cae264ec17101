"""Writing records that are not notes must not load the note reader's NLP code (~2 s per process)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from pracops.records.services import create_resource
create_resource(resource={"resourceType": "Patient", "name": [{"family": "Receiver"}]})
print("nlp loaded" if "documentation.tasks" in sys.modules or "spacy" in sys.modules else "nlp not loaded")
"""


def test_a_write_without_notes_does_not_load_the_nlp_pipeline(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PRACOPS_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "pracops.settings"}
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)

    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "nlp not loaded"
