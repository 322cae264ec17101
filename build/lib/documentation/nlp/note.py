"""A note as plain objects: its sentences and the mentions the pipeline found, with ConText.

Everything downstream (the fact families) reads these, never spaCy objects, so offsets are
always into the original note text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from documentation.nlp.pipeline import context_of, get_pipeline

# spaCy refuses texts over nlp.max_length; notes are cut into chunks at line breaks.
CHUNK_CHARS = 20_000
# Beyond this the note is not read (a valid partial result): a pasted-in chart export must not
# hold a worker for minutes.
MAX_NOTE_CHARS = 2_500_000


@dataclass(frozen=True)
class Sentence:
    index: int
    start: int
    end: int
    text: str
    section: str | None


@dataclass(frozen=True)
class Mention:
    label: str
    start: int
    end: int
    text: str
    meta: dict
    sentence: int
    section: str | None
    negated: bool = False
    hypothetical: bool = False
    historical: bool = False
    family: bool = False
    current: bool = False

    @property
    def affirmed(self) -> bool:
        """Said of the patient, now or in the past: not negated, planned or about family."""
        return not (self.negated or self.hypothetical or self.family)


@dataclass
class ReadNote:
    text: str
    sentences: list[Sentence] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)

    _by_label: dict | None = None
    _by_sentence: dict | None = None
    # Results a fact family computes for a piece of text more than once in this note (several
    # mentions share a clause); see ``memo``.
    _memo: dict = field(default_factory=dict)

    def memo(self, function, text: str):
        """``function(text)``, computed once per note."""
        key = (function, text)
        if key not in self._memo:
            self._memo[key] = function(text)
        return self._memo[key]

    def of(self, label: str) -> list[Mention]:
        if self._by_label is None:
            self._by_label = {}
            for mention in self.mentions:
                self._by_label.setdefault(mention.label, []).append(mention)
                # One span can be two kinds of fact ("sciatica": a lumbar pain site and radicular pain);
                # the pipeline keeps one entity per span, so the rule names its second kind in "also".
                if "also" in mention.meta:
                    self._by_label.setdefault(mention.meta["also"], []).append(mention)
        return list(self._by_label.get(label, ()))

    def sentence_of(self, mention: Mention) -> Sentence:
        return self.sentences[mention.sentence]

    def in_sentence(self, index: int, label: str | None = None) -> list[Mention]:
        if self._by_sentence is None:
            self._by_sentence = {}
            for mention in self.mentions:
                self._by_sentence.setdefault(mention.sentence, []).append(mention)
        return [m for m in self._by_sentence.get(index, ()) if label is None or m.label == label]


def _chunks(text: str) -> list[tuple[int, str]]:
    chunks, start = [], 0
    while start < len(text):
        end = min(start + CHUNK_CHARS, len(text))
        if end < len(text):
            cut = text.rfind("\n", start + CHUNK_CHARS // 2, end)
            if cut < 0:
                cut = text.rfind(" ", start + CHUNK_CHARS // 2, end)
            if cut > start:
                end = cut + 1
        chunks.append((start, text[start:end]))
        start = end
    return chunks


# A line wrapped inside a sentence ("bowel or\nbladder changes"): the line break becomes a space,
# which keeps every offset and lets multi-word rules match across the wrap. A line that starts with a
# date or a time ("ten days\n11/05/25 R T6-7 ESI") is a new item, not a wrap.
_WRAP = re.compile(r"(?<=[A-Za-z,])\n(?=[a-z])|(?<=[A-Za-z,])\n(?=\d+(?![.)\d/:-]))")


# The tokenizer strips prefixes one at a time, copying the rest of the word each time: a
# 20,000-character "((((..." is quadratic. No clinical word is this long; every 80th character of
# such a run becomes a space in the text the pipeline reads (offsets are unchanged).
_LONG_RUN = re.compile(r"\S{80}")


def unwrap(text: str) -> str:
    """The text the pipeline reads: wrapped lines joined and runaway words cut, same length."""
    return _LONG_RUN.sub(lambda match: match.group()[:79] + " ", _WRAP.sub(" ", text))


def read_note(text: str) -> ReadNote:
    """Run the pipeline over the note and return its sentences and mentions."""
    note = ReadNote(text=text)
    if not text.strip():
        return note
    nlp = get_pipeline()
    family_line = _lines_matching(_FAMILY_LINE, text)
    not_taking_line = _lines_matching(_NOT_TAKING_LINE, text)
    pieces = _chunks(unwrap(text[:MAX_NOTE_CHARS]))
    for (base, _), doc in zip(pieces, nlp.pipe(piece for _, piece in pieces)):
        first_sentence = len(note.sentences)
        token_sentence = {}
        section_of = _sections(doc)
        for sent in doc.sents:
            if not sent.text.strip():
                continue
            content = next((t for t in sent if not t.is_space), sent[0])
            index = len(note.sentences)
            note.sentences.append(Sentence(index, base + sent.start_char, base + sent.end_char, sent.text,
                                           section_of(content.i)))
            token_sentence[sent.start] = index
        starts = sorted(token_sentence)
        for ent in doc.ents:
            context = context_of(doc, ent)
            index = _sentence_index(starts, token_sentence, ent.start, first_sentence)
            if index is None:
                continue
            note.mentions.append(Mention(
                label=ent.label_, start=base + ent.start_char, end=base + ent.end_char, text=ent.text,
                meta=_meta(ent),
                sentence=index, section=section_of(ent.start),
                negated=("NEGATED_EXISTENCE" in context or bool(_DENIED_AFTER_COLON.match(text, base + ent.end_char))
                         or unticked_box_before(text, base + ent.start_char) or answered_no(text, base + ent.end_char)),
                hypothetical="HYPOTHETICAL" in context,
                historical="HISTORICAL" in context or not_taking_line(base + ent.start_char),
                family="FAMILY" in context or section_of(ent.start) == "family_history" or family_line(base + ent.start_char),
                current="CURRENT" in context,
            ))
    return note


# A screening list answered after a colon or in a table's next cell: "Loss of bowel/bladder control:
# denies", "Chiropractic: none", "| Acupuncture | never tried |".
# (As ConText rules, ": no" would take the place of the forward "no" in "ROS: no fevers".)
_DENIED_AFTER_COLON = re.compile(
    r"[^:|\n]{0,40}[:|][ \t]*(?:denies|denied|negative|neg|no|none|absent|never(?:\s+tried)?|not\s+(?:done|tried|performed))\b"
    r"[ \t]*(?:[.;,|]|$)", re.I | re.M)

# A form's checkbox: "[ ] Full duty   [X] Modified duty", "☐ fever ☒ weakness". What follows an
# unticked box on its line (up to the next box) is not said of the patient.
_BOX_BEFORE = re.compile(r"(?:\[(?P<tick>\s*[xX✓✔*]?\s*)\]|(?P<glyph>[☐☒☑]))[^\[\]☐☒☑\n]{0,40}$")


def unticked_box_before(text: str, position: int) -> bool:
    """Whether ``position`` follows an unticked checkbox on its line."""
    match = _BOX_BEFORE.search(text, max(0, position - 60), position)
    if match is None:
        return False
    if match.group("glyph"):
        return match.group("glyph") == "☐"
    return not match.group("tick").strip()


# A form's question answered by ticking yes or no after it: "Fever or chills ..... [ ] yes  [x] no".
_TICK = r"(?:\[\s*[xX✓✔*]\s*\]|[☒☑])"
_NO_TICK = r"(?:\[\s*\]|☐)"
_ANSWERED_NO = re.compile(rf"[^\n\[☐☒☑]{{0,60}}?{_NO_TICK}\s*(?:yes|y)\b\s*{_TICK}\s*(?:no|n)\b"
                          rf"|[^\n\[☐☒☑]{{0,60}}?{_TICK}\s*(?:no|n)\b", re.I)


def answered_no(text: str, position: int) -> bool:
    """Whether the question ending at ``position`` is answered "no" by a ticked box on its line."""
    return bool(_ANSWERED_NO.match(text, position))


# A line about a relative: "- Mother (58): lumbar fusion ...; takes oxycodone", "Father: Xarelto".
_FAMILY_LINE = re.compile(
    r"^[ \t]*(?:[-*•]\s*)?(?:(?:his|her|the\s+patient's|pt's)\s+)?(?:maternal\s+|paternal\s+)?"
    r"(?:mother|father|mom|dad|sister|brother|son|daughter|aunt|uncle|grandmother|grandfather|cousin|parents|siblings?)"
    r"\b[^:\n]{0,25}:", re.I | re.M)


# A medication-list line the patient no longer takes: "... as needed for muscle spasms. Patient not
# taking: Reported on 2/3/2026" (Epic's reconciliation). The match starts where the line starts.
_NOT_TAKING_LINE = re.compile(r"^[^\n]*\b(?:patient|pt)\s+(?:is\s+)?not\s+taking\b", re.I | re.M)


def _lines_matching(pattern: re.Pattern, text: str):
    """offset -> whether its line is one that ``pattern`` finds (matches begin at a line's start)."""
    import bisect

    lines = [(m.start(), text.find("\n", m.start())) for m in pattern.finditer(text)]
    starts = [start for start, _ in lines]

    def on_such_a_line(offset: int) -> bool:
        position = bisect.bisect_right(starts, offset) - 1
        if position < 0:
            return False
        end = lines[position][1]
        return end < 0 or offset < end

    return on_such_a_line


def _meta(ent) -> dict:
    rule = ent._.target_rule
    return dict(rule.metadata or {}) if rule is not None else {}


def _sections(doc):
    """token index -> section category, from the Sectionizer's sections (read once, not per token)."""
    bounds = sorted((section.title_start, section.body_end, section.category) for section in doc._.sections)
    starts = [b[0] for b in bounds]

    def section_of(token: int) -> str | None:
        import bisect

        position = bisect.bisect_right(starts, token) - 1
        if position < 0:
            return None
        start, end, category = bounds[position]
        return category if token < end else None

    return section_of


def _sentence_index(starts: list[int], token_sentence: dict[int, int], token: int, first: int) -> int | None:
    import bisect

    position = bisect.bisect_right(starts, token) - 1
    if position < 0:
        return first if token_sentence else None
    return token_sentence[starts[position]]
