from datetime import datetime
from pathlib import Path

import pytest

from billing.x12.envelope import Envelope

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "x12"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="ascii")


def envelope(functional_id: str, **fields) -> Envelope:
    return Envelope(**{"sender_id": "CLEARHOUSE", "receiver_id": "PRACOPS", "interchange_control": 905,
                       "group_control": 77, "functional_id": functional_id,
                       "created": datetime(2026, 12, 5, 9, 0), "usage": "T", **fields})


@pytest.fixture
def managed_care() -> str:
    return fixture_text("835/managed-care.835")
