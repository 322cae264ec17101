"""A note's text as HTML with the evidence of its facts marked (pure)."""

from __future__ import annotations

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe


def evidence_spans(facts: dict) -> list[tuple[int, int, str]]:
    """(start, end, what) of every piece of evidence in a ClinicalFacts document."""
    spans = []
    for path, evidence in (facts.get("evidence") or {}).items():
        spans.append((evidence["start"], evidence["end"], path))
    for name, key in (("conservative_care", "modality"), ("imaging", "modality"),
                      ("prior_procedures", "type"), ("red_flags", "flag")):
        for entry in facts.get(name) or []:
            evidence = entry.get("evidence")
            if evidence:
                spans.append((evidence["start"], evidence["end"], f"{name}: {entry.get(key)}"))
    return sorted(spans)


def highlight(text: str, facts: dict) -> SafeString:
    """The note with each evidence span in a <mark> titled with the facts it supports."""
    return highlight_spans(text, evidence_spans(facts))


def highlight_spans(text: str, spans: list[tuple[int, int, str]]) -> SafeString:
    """The note, escaped, with each (start, end, what) span in a <mark> titled with what it
    supports; spans outside the text are left out (a note changed since it was read)."""
    spans = sorted((s, e, w) for s, e, w in spans if 0 <= s < e <= len(text))
    # Overlapping spans merge into one mark naming every fact.
    merged: list[list] = []
    for start, end, what in spans:
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2].append(what)
        else:
            merged.append([start, end, [what]])
    parts, cursor = [], 0
    for start, end, whats in merged:
        parts.append(escape(text[cursor:start]))
        parts.append(format_html('<mark title="{}">{}</mark>', "; ".join(whats), text[start:end]))
        cursor = end
    parts.append(escape(text[cursor:]))
    return mark_safe("".join(str(p) for p in parts))
