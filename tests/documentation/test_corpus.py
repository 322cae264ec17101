"""The development corpus of notes: every gold document is valid and exact, and together they cover
the contract's vocabulary. The held-out notes' gold is held to the same form."""

import importlib.util
import json
from pathlib import Path
from typing import get_args

import pytest

from documentation.facts.schema import (
    SCALAR_PATHS, ConservativeCare, Finding, Imaging, Modality, Procedure, RedFlag, Region, validate_facts,
)
from documentation.facts.scoring import score

CORPUS = Path(__file__).parent / "corpus"
HELDOUT = Path(__file__).parent / "heldout"
NAMES = sorted(path.stem for path in CORPUS.glob("*.json"))
ALL_GOLD = NAMES + sorted(f"heldout/{path.stem}" for path in HELDOUT.glob("*.json"))


def _load(name: str) -> tuple[str, dict]:
    path = CORPUS.parent / name if "/" in name else CORPUS / name
    note = path.with_suffix(".txt").read_text(encoding="utf-8")
    return note, json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))


def _resolver():
    spec = importlib.util.spec_from_file_location("resolve_evidence", CORPUS / "resolve_evidence.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _all_gold() -> list[dict]:
    return [_load(name)[1]["facts"] for name in NAMES]


def _choices(model, name) -> set:
    """The values a Literal field (possibly optional) allows."""
    annotation = model.model_fields[name].annotation
    values = set()
    for arg in get_args(annotation) or (annotation,):
        values |= set(get_args(arg)) if get_args(arg) else {None if arg is type(None) else arg}
    return values


def test_every_note_has_gold_and_every_gold_has_a_note():
    notes = {path.stem for path in CORPUS.glob("*.txt")}
    assert notes == set(NAMES)
    assert len(NAMES) >= 45
    heldout = {path.stem for path in HELDOUT.glob("*.txt")}
    assert heldout == {path.stem for path in HELDOUT.glob("*.json")}
    assert len(heldout) >= 20


@pytest.mark.parametrize("name", ALL_GOLD)
def test_gold_validates_against_the_contract_with_exact_evidence(name):
    note, gold = _load(name)

    validate_facts(gold["facts"], note)

    assert set(gold) == {"note_date", "facts"}
    assert gold["facts"]["note_date"] == gold["note_date"]
    for path, evidence in gold["facts"]["evidence"].items():
        assert path in SCALAR_PATHS, f"evidence for {path}, which is not a scalar fact"
        node = gold["facts"]
        for part in path.split("."):
            node = node[part]
        assert node is not None, f"evidence for {path}, which is null"
        assert evidence["text"].strip() == evidence["text"] and evidence["text"], "evidence is trimmed text"


@pytest.mark.parametrize("name", ALL_GOLD)
def test_gold_is_as_the_resolver_writes_it(name):
    """Hand edits go through resolve_evidence.py, so defaults and offsets stay normalised."""
    note, gold = _load(name)

    assert _resolver().resolve(note, json.loads(json.dumps(gold))) == gold


def test_gold_scored_against_itself_is_perfect():
    gold = _all_gold()

    report = score([(facts, facts) for facts in gold], NAMES)

    assert report.overall.f1 == 1.0
    assert report.overall.fp == report.overall.fn == 0
    assert report.overall.tp > 15 * len(NAMES)


def test_corpus_covers_every_region_modality_finding_and_procedure():
    gold = _all_gold()
    regions = {region for facts in gold for region in facts["pain"]["regions"]}
    modalities = {entry["modality"] for facts in gold for entry in facts["conservative_care"]}
    statuses = {entry["status"] for facts in gold for entry in facts["conservative_care"]}
    responses = {entry["response"] for facts in gold for entry in facts["conservative_care"]} - {None}
    imaging = {entry["modality"] for facts in gold for entry in facts["imaging"]}
    findings = {finding for facts in gold for entry in facts["imaging"] for finding in entry["findings"]}
    procedures = {entry["type"] for facts in gold for entry in facts["prior_procedures"]}

    assert regions == set(get_args(Region))
    assert modalities == set(get_args(Modality))
    assert statuses == set(_choices(ConservativeCare, "status"))
    assert responses == set(_choices(ConservativeCare, "response")) - {None}
    assert imaging == set(_choices(Imaging, "modality"))
    assert findings == set(get_args(Finding))
    assert procedures == set(get_args(Procedure))


def test_corpus_has_every_red_flag_both_present_and_denied():
    gold = _all_gold()
    seen = {(flag["flag"], flag["present"]) for facts in gold for flag in facts["red_flags"]}

    assert seen == {(flag, present) for flag in get_args(RedFlag) for present in (True, False)}


def test_corpus_has_every_scalar_both_set_and_absent():
    gold = _all_gold()
    for path in SCALAR_PATHS:
        values = []
        for facts in gold:
            node = facts
            for part in path.split("."):
                node = node[part]
            values.append(node)
        assert any(value is None for value in values), f"{path} is never absent"
        assert any(value is not None for value in values), f"{path} is never set"
        if all(isinstance(value, bool) for value in values if value is not None):
            assert {True, False} <= set(values), f"{path} is never both true and false"
