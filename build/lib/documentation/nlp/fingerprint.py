"""What the extractor's output depends on, as one sha256, recorded beside EXTRACTOR_VERSION.

Stored facts are keyed by extractor version, and ``read_notes`` re-reads the notes an older version
read; a change to the rules or the code that is not given a new version leaves stale facts in place.
``tests/documentation/test_extractor_version.py`` fails when the fingerprint of the rules and sources
differs from the one recorded for the current version. After a change to them:

    1. bump EXTRACTOR_VERSION in documentation/nlp/extract.py (unless the output cannot change:
       a comment, a rename)
    2. .venv/bin/python -m documentation.nlp.fingerprint --record
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from pathlib import Path

DOCUMENTATION = Path(__file__).resolve().parent.parent
RECORD = Path("nlp") / "fingerprint.json"
# In documentation/nlp/ but not inputs of the output: how it is scored, this module and its record.
NOT_INPUTS = {Path("nlp") / "evaluation.py", Path("nlp") / "fingerprint.py", RECORD, Path("nlp") / "rules" / "README.md"}
VERSION = re.compile(r'^EXTRACTOR_VERSION = "([^"]+)"', re.M)


def extractor_inputs(root: Path = DOCUMENTATION) -> list[Path]:
    """The files (relative to ``root``, the documentation app) whose content decides the extractor's
    output: its sources, its rules and the facts schema."""
    files = [p.relative_to(root) for p in (root / "nlp").rglob("*") if p.is_file() and p.suffix != ".pyc"]
    return sorted([p for p in files if p not in NOT_INPUTS and (p.suffix == ".py" or p.parts[1] == "rules")]
                  + [Path("facts") / "schema.py"])


def extractor_fingerprint(root: Path = DOCUMENTATION) -> str:
    """sha256 over each input's path and content, line endings normalised (a checkout with CRLF
    line endings gives the same fingerprint)."""
    digest = hashlib.sha256()
    for path in extractor_inputs(root):
        content = (root / path).read_bytes().replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        digest.update(path.as_posix().encode() + b"\0" + hashlib.sha256(content).hexdigest().encode() + b"\n")
    return digest.hexdigest()


def extractor_version(root: Path = DOCUMENTATION) -> str:
    return VERSION.search((root / "nlp" / "extract.py").read_text(encoding="utf-8")).group(1)


def stale_version(root: Path = DOCUMENTATION) -> str | None:
    """Why the recorded fingerprint does not vouch for the current version, or None when it does."""
    recorded = json.loads((root / RECORD).read_text(encoding="utf-8"))
    version, fingerprint = extractor_version(root), extractor_fingerprint(root)
    if recorded["fingerprint"] == fingerprint and recorded["version"] == version:
        return None
    if recorded["version"] == version:
        return (f"The extractor's rules or code changed but EXTRACTOR_VERSION is still {version}: stored facts "
                "would never be re-read. Bump EXTRACTOR_VERSION in documentation/nlp/extract.py (unless the "
                "output cannot change), then record the fingerprint: "
                ".venv/bin/python -m documentation.nlp.fingerprint --record")
    return (f"EXTRACTOR_VERSION is {version} but the fingerprint was recorded for {recorded['version']}: "
            "record it with .venv/bin/python -m documentation.nlp.fingerprint --record")


def record(root: Path = DOCUMENTATION) -> dict:
    """Record the current fingerprint for the current version."""
    entry = {"version": extractor_version(root), "fingerprint": extractor_fingerprint(root)}
    (root / RECORD).write_text(json.dumps(entry, indent=2) + "\n", encoding="utf-8")
    return entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--record", action="store_true", help="record the fingerprint for the current version")
    args = parser.parse_args()
    if args.record:
        print(json.dumps(record()))
    else:
        print(stale_version() or "The recorded fingerprint is current.")


if __name__ == "__main__":
    main()
