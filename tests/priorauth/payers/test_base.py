"""The payer adapter registry and the plain data the adapters exchange."""

from __future__ import annotations

import pytest

from priorauth.payers.base import PayerAdapter, PayerDecision, UnknownAdapter, adapter_for
from tests.priorauth.payers.conftest import MEMBER_ID, make_request


def test_adapter_for_loads_the_dotted_path_registered_under_the_name(settings):
    settings.PRIORAUTH_PAYER_ADAPTERS = {"paper": "priorauth.payers.fax.FaxAdapter"}
    adapter = adapter_for("paper")
    assert isinstance(adapter, PayerAdapter) and adapter.name == "fax"
    assert adapter_for("paper") is adapter  # adapters hold no state: one per process


def test_an_unknown_adapter_name_is_refused_with_the_known_ones(settings):
    with pytest.raises(UnknownAdapter, match="no payer adapter named 'x12'.*fax, pas"):
        adapter_for("x12")


def test_a_registered_path_that_is_not_an_adapter_is_refused(settings):
    settings.PRIORAUTH_PAYER_ADAPTERS = {"bad": "priorauth.payers.base.RequestedItem"}
    with pytest.raises(TypeError):
        adapter_for("bad")


def test_a_submission_needs_a_known_urgency_and_at_least_one_item():
    with pytest.raises(ValueError, match="urgency"):
        make_request(urgency="urgent")
    with pytest.raises(ValueError, match="at least one"):
        make_request(items=[])


def test_a_submission_never_prints_the_patient():
    assert MEMBER_ID not in repr(make_request()) and "Quillfeather" not in repr(make_request())


def test_a_decision_has_one_of_the_lifecycle_outcomes():
    with pytest.raises(ValueError, match="outcome"):
        PayerDecision(outcome="certified", items=[], auth_number=None, period_start=None, period_end=None,
                      approved_codes=[], approved_units=None, reason="", payer_reference="")
