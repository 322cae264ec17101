"""The medspaCy pipeline: clinical tokenizer, sentences, targets, sections and ConText.

Built once per process from the rule files in ``rules/`` (a clinician-informaticist edits those,
not this module). spaCy pipelines with medspaCy rules do not pickle: one pipeline per process.
"""

from __future__ import annotations

import csv
import functools
import json
from dataclasses import dataclass
from pathlib import Path

import medspacy  # noqa: F401  (registers the medspacy_* factories)
import spacy
from medspacy.context import ConTextRule
from medspacy.section_detection import SectionRule
from medspacy.target_matcher import TargetRule
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

RULES_DIR = Path(__file__).parent / "rules"

# A sentence longer than this many tokens is cut: ConText's work grows with sentence length,
# and a note without punctuation must not make one giant sentence.
MAX_SENTENCE_TOKENS = 120

CONTEXT_ATTRIBUTES = {
    "NEGATED_EXISTENCE": {"is_negated": True},
    "POSSIBLE_EXISTENCE": {"is_uncertain": True},
    "HISTORICAL": {"is_historical": True},
    "HYPOTHETICAL": {"is_hypothetical": True},
    "FAMILY": {"is_family": True},
    "CURRENT": {"is_current": True},
}


@dataclass(frozen=True)
class Drug:
    name: str
    generic: str
    drug_class: str
    mme_factor: float | None


def read_table(name: str) -> list[dict[str, str]]:
    """Rows of a tab-separated rule table; lines starting with # are comments."""
    with open(RULES_DIR / name, encoding="utf-8") as handle:
        lines = [line for line in handle if line.strip() and not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


@functools.cache
def drug_lexicon() -> dict[str, Drug]:
    """Lower-case drug name (brand or generic) to its class and MME factor."""
    drugs = {}
    for row in read_table("drugs.tsv"):
        factor = row.get("mme_factor") or ""
        drugs[row["name"].lower()] = Drug(row["name"].lower(), row["generic"], row["class"],
                                          float(factor) if factor.strip() else None)
    return drugs


def _clinical_tokenizer(nlp: Language) -> None:
    # Split what notes glue together: 7/10, L4-5, q6h, 800mg, x6, 3x/week; keep w/o, s/p, h/o whole.
    infixes = list(nlp.Defaults.infixes) + [
        r"(?<=[0-9])/(?=[0-9])",
        r"(?<=[A-Za-z0-9])-(?=[0-9])",
        r"(?<=[0-9])-(?=[A-Za-z])",
        r"(?<=[0-9])(?=(?:mg|mcg|ml|mL|h|hr|hrs|x|wk|wks|mo|mos|yr|yrs|d|%)\b)",
        r"(?<=\b[qQxX])(?=[0-9])",
        r"(?<=[A-Za-z]{2})/(?=[A-Za-z])",
        r"[:;=+]",
    ]
    prefixes = list(nlp.Defaults.prefixes) + [r"[xX~≈<>](?=[0-9])", r"\+", r"\(\+\)", r"\(-\)"]
    suffixes = list(nlp.Defaults.suffixes) + [r"(?<=[0-9])(?:mg|mcg|h|hr|hrs|x|wks|wk)", r"/(?=$)"]
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    nlp.tokenizer.prefix_search = compile_prefix_regex(prefixes).search
    nlp.tokenizer.suffix_search = compile_suffix_regex(suffixes).search
    for special in ("w/o", "s/p", "h/o", "c/o", "b/l", "n/v", "f/u", "y/o", "b/b", "A/P", "a/p"):
        nlp.tokenizer.add_special_case(special, [{"ORTH": special}])


@Language.component("clinical_sentences")
def clinical_sentences(doc: Doc) -> Doc:
    """Sentence breaks at line breaks that start a new item or header, and in very long runs."""
    since_break = 0
    for index, token in enumerate(doc):
        if index == 0:
            continue
        previous = doc[index - 1]
        if token.is_sent_start:
            since_break = 0
        elif previous.is_space and "\n" in previous.text and (
            "\n\n" in previous.text or token.is_upper or token.is_title or token.is_digit
            or token.text in {"-", "*", "•", "#"} or not token.is_alpha
        ):
            token.is_sent_start = True
            since_break = 0
        elif previous.text == ":" and index >= 2 and doc[index - 2].is_upper and doc[index - 2].is_alpha:
            token.is_sent_start = True
            since_break = 0
        elif since_break >= MAX_SENTENCE_TOKENS:
            token.is_sent_start = True
            since_break = 0
        else:
            token.is_sent_start = False
        since_break += 1
    return doc


def _drug_rules() -> list[TargetRule]:
    return [TargetRule(literal=drug.name, category="DRUG",
                       metadata={"name": drug.name, "generic": drug.generic, "class": drug.drug_class,
                                 "mme_factor": drug.mme_factor})
            for drug in drug_lexicon().values()]


def build_pipeline() -> Language:
    """A new pipeline (slow: prefer ``get_pipeline``)."""
    nlp = spacy.blank("en")
    _clinical_tokenizer(nlp)
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("clinical_sentences")
    matcher = nlp.add_pipe("medspacy_target_matcher")
    matcher.add(TargetRule.from_json(str(RULES_DIR / "targets.json")))
    matcher.add(_drug_rules())
    sectionizer = nlp.add_pipe("medspacy_sectionizer", config={"rules": None, "span_attrs": None})
    sectionizer.add(SectionRule.from_json(str(RULES_DIR / "sections.json")))
    if not Span.has_extension("is_current"):
        Span.set_extension("is_current", default=False)
    context = nlp.add_pipe("medspacy_context", config={"rules": None, "span_attrs": CONTEXT_ATTRIBUTES})
    context.add(ConTextRule.from_json(str(RULES_DIR / "context.json")))
    return nlp


@functools.cache
def get_pipeline() -> Language:
    """The process's pipeline, built on first use."""
    return build_pipeline()


def rules_fingerprint() -> str:
    """A short hash of the rule files, so a changed rule set is visible in outputs."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(RULES_DIR.iterdir()):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def load_json_rules(name: str) -> dict:
    with open(RULES_DIR / name, encoding="utf-8") as handle:
        return json.load(handle)
