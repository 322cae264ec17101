"""The medspaCy pipeline: clinical tokenizer, sentences, targets, sections and ConText.

Built once per process from the rule files in ``rules/`` (a clinician-informaticist edits those,
not this module). spaCy pipelines with medspaCy rules do not pickle: one pipeline per process.
"""

from __future__ import annotations

import csv
import functools
import json
import re
import warnings
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import medspacy  # noqa: F401  (registers the medspacy_* factories)
import spacy
from medspacy.context import ConText, ConTextRule
from medspacy.context.context_graph import ConTextGraph
from medspacy.context.context_modifier import ConTextModifier
from medspacy.section_detection import SectionRule, Sectionizer
from medspacy.section_detection.section import Section
from medspacy.target_matcher import TargetMatcher, TargetRule
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans, compile_infix_regex, compile_prefix_regex, compile_suffix_regex

RULES_DIR = Path(__file__).parent / "rules"

# All ConText rules are phrases, so its token Matcher is empty by design.
warnings.filterwarnings("ignore", message=r"\[W036\]", category=UserWarning)

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
    for special in ("w/o", "s/p", "h/o", "c/o", "b/l", "n/v", "f/u", "y/o", "b/b", "a/p"):
        for written in {special, special.upper(), special.capitalize()}:
            nlp.tokenizer.add_special_case(written, [{"ORTH": written}])


@Language.component("clinical_sentences")
def clinical_sentences(doc: Doc) -> Doc:
    """Sentence breaks at line breaks that start a new item or header, after 'HEADER:', and in long runs."""
    last = len(doc) - 1
    for token in doc:
        if token.i == last:
            break
        text = token.text
        if token.is_space and "\n" in text:
            following = doc[token.i + 1]
            if "\n\n" in text or not following.is_lower:
                following.is_sent_start = True
        elif text == ":" and token.i and doc[token.i - 1].is_upper:
            doc[token.i + 1].is_sent_start = True
    for sentence in list(doc.sents):
        for index in range(sentence.start + MAX_SENTENCE_TOKENS, sentence.end, MAX_SENTENCE_TOKENS):
            doc[index].is_sent_start = True
    return doc


def text_of(doc: Doc) -> str:
    """The document's text, built once: spaCy joins every token each time ``doc.text`` is read."""
    if "text" not in doc.user_data:
        doc.user_data["text"] = doc.text
    return doc.user_data["text"]


class LineSectionizer(Sectionizer):
    """medSpaCy's Sectionizer without its per-token bookkeeping (token._.section), which costs more
    than everything else it does; ``doc._.sections`` is the same.

    Rules with a pattern (a header alone on its line, a SOAP "S:") are regular expressions run in one
    pass over the text: as spaCy token patterns they cost a pass over every token for each rule."""

    line_rules: list[SectionRule] = []
    line_pattern: re.Pattern | None = None

    def add_line_rules(self, rules: list[SectionRule]) -> None:
        self.line_rules = rules
        self.line_pattern = re.compile(
            "|".join(f"(?P<r{index}>{rule.pattern})" for index, rule in enumerate(rules)), re.I) if rules else None

    def __call__(self, doc: Doc) -> Doc:
        rule_map = self._Sectionizer__matcher.rule_map
        found = [(start, end, rule_map[self.nlp.vocab.strings[match_id]])
                 for match_id, start, end in self._Sectionizer__matcher(doc) if _starts_a_header(doc, start, end)]
        found += self._line_headers(doc)
        matches = []
        for start, end, rule in sorted(found, key=lambda f: (f[0], -f[1])):
            if not matches or start >= matches[-1][1]:
                matches.append((start, end, rule))
        sections = []
        if not matches or matches[0][0] != 0:
            sections.append(Section(None, 0, 0, 0, matches[0][0] if matches else len(doc)))
        for position, (start, end, rule) in enumerate(matches):
            body_end = matches[position + 1][0] if position + 1 < len(matches) else len(doc)
            sections.append(Section(rule.category, start, end, end, body_end, None, rule))
        doc._.sections = sections
        return doc

    def _line_headers(self, doc: Doc) -> list[tuple[int, int, SectionRule]]:
        if self.line_pattern is None:
            return []
        headers, offset = [], 0
        # Line by line: the rules' alternation is tried once per line, not at every character.
        for line in text_of(doc).split("\n"):
            match = self.line_pattern.match(line.rstrip("\r"))
            if match:
                text = match.group()
                start = offset + len(text) - len(text.lstrip())
                end = offset + match.end() - (len(text) - len(text.rstrip()))
                span = doc.char_span(start, end, alignment_mode="expand")
                if span is not None and len(span):
                    headers.append((span.start, span.end, self.line_rules[int(match.lastgroup[1:])]))
            offset += len(line) + 1
        return headers


def _starts_a_header(doc: Doc, start: int, end: int) -> bool:
    """A header begins a line or follows the end of a sentence: "Psychological assessment: done"
    is a sentence, not the Assessment section. A one-letter header (SOAP "S:", "P:") must begin a line."""
    if start == 0:
        return True
    previous = doc[start - 1]
    if len(doc[start].text) == 1 and doc[start].is_alpha:
        return "\n" in previous.text
    return previous.is_space or previous.is_punct or not previous.is_alpha


@Language.factory("clinical_sectionizer")
def _clinical_sectionizer(nlp, name):  # no annotations: spaCy validates factory signatures
    sectionizer = LineSectionizer(nlp, name=name, rules=None, span_attrs=None)
    rules = SectionRule.from_json(str(RULES_DIR / "sections.json"))
    sectionizer.add([rule for rule in rules if not isinstance(rule.pattern, str)])
    sectionizer.add_line_rules([rule for rule in rules if isinstance(rule.pattern, str)])
    return sectionizer


def _drug_rules() -> list[TargetRule]:
    return [TargetRule(literal=drug.name, category="DRUG",
                       metadata={"name": drug.name, "generic": drug.generic, "class": drug.drug_class,
                                 "mme_factor": drug.mme_factor})
            for drug in drug_lexicon().values()]


class SentenceContext:
    """medSpaCy's TargetMatcher and ConText, applied one sentence at a time.

    medSpaCy's components compare every modifier with every other modifier and target in the
    whole document (and add entities one by one), which is quadratic in note length. ConText's
    scope never crosses a sentence, so grouping by sentence gives the same result in linear time.
    """

    def __init__(self, nlp: Language):
        self.targets = TargetMatcher(nlp, result_type=None)
        rules = TargetRule.from_json(str(RULES_DIR / "targets.json"))
        # Rules whose pattern is a regular expression are run here, once over the text: medSpaCy's
        # RegexMatcher rebuilds the document's text for every pattern, which cost more than all the
        # phrase rules together.
        self.regex_rules = [(re.compile(rule.pattern, re.I), rule) for rule in rules if isinstance(rule.pattern, str)]
        self.targets.add([rule for rule in rules if not isinstance(rule.pattern, str)])
        self.targets.add(_drug_rules())
        if not Span.has_extension("is_current"):
            Span.set_extension("is_current", default=False)
        self.context = ConText(nlp, rules=None, span_attrs=CONTEXT_ATTRIBUTES)
        self.context.add(ConTextRule.from_json(str(RULES_DIR / "context.json")))

    def __call__(self, doc: Doc) -> Doc:
        doc.ents = filter_spans(self.targets(doc) + self._regex_targets(doc))
        sentence_of = [0] * len(doc)
        for sentence in doc.sents:
            sentence_of[sentence.start:sentence.end] = [sentence.start] * len(sentence)
        matcher = self.context._ConText__matcher  # medSpaCy keeps its modifier matcher private
        modifiers: dict[int, list[ConTextModifier]] = defaultdict(list)
        for match_id, start, end in matcher(doc):
            rule = matcher.rule_map[doc.vocab[match_id].text]
            modifiers[sentence_of[start]].append(ConTextModifier(rule, start, end, doc, max_scope=self.context.max_scope))
        targets: dict[int, list[Span]] = defaultdict(list)
        for ent in doc.ents:
            targets[sentence_of[ent.start]].append(ent)
        found: dict[tuple[int, int], set[str]] = {}
        for key, sentence_targets in targets.items():
            graph = ConTextGraph(prune_on_modifier_overlap=self.context.prune_on_target_overlap)
            graph.targets = sentence_targets
            graph.modifiers = modifiers.get(key, [])
            graph.update_scopes()
            graph.apply_modifiers()
            for target, modifier in graph.edges:
                found.setdefault((target.start, target.end), set()).add(modifier.category)
        # Span extensions (ent._.is_negated) cost more to set than ConText costs to run: the
        # categories that modify each entity are kept in user_data, see ``context_of``.
        doc.user_data["context"] = found
        return doc


    def _regex_targets(self, doc: Doc) -> list[Span]:
        if not self.regex_rules:
            return []
        text, spans = text_of(doc), []
        for pattern, rule in self.regex_rules:
            for match in pattern.finditer(text):
                span = doc.char_span(match.start(), match.end(), label=rule.category, alignment_mode="expand")
                if span is not None and len(span):
                    span._.target_rule = rule
                    spans.append(span)
        return spans


def context_of(doc: Doc, ent: Span) -> set[str]:
    """The ConText categories (NEGATED_EXISTENCE, HYPOTHETICAL, ...) that modify an entity."""
    return doc.user_data.get("context", {}).get((ent.start, ent.end), set())


@Language.factory("clinical_context")
def _clinical_context(nlp, name):  # no annotations: spaCy validates factory signatures
    return SentenceContext(nlp)


def build_pipeline() -> Language:
    """A new pipeline (slow: prefer ``get_pipeline``)."""
    nlp = spacy.blank("en")
    _clinical_tokenizer(nlp)
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("clinical_sentences")
    nlp.add_pipe("clinical_sectionizer")
    nlp.add_pipe("clinical_context")
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
