"""Imaging: each study's modality, region and findings."""

from __future__ import annotations

import bisect
import re

from documentation.nlp.facts.evidence import evidence
from documentation.nlp.note import Mention, ReadNote

REGIONS = re.compile(
    r"\b(?:(?P<lumbar>lumbar|lumbosacral|L-?spine|LS\s+spine|L[1-5](?:\s*[-/]\s*(?:L?[1-5]|S1))?|low\s+back)"
    r"|(?P<cervical>cervical|C-?spine|C[2-7](?:\s*[-/]\s*(?:C?[3-7]|T1))?|neck)"
    r"|(?P<thoracic>thoracic|T-?spine|chest|CXR|T(?:[1-9]|1[0-2])(?:\s*[-/]\s*T?\d{1,2})?)"
    r"|(?P<sacroiliac>SI\s+joints?|sacroiliac|pelvis|sacrum)"
    r"|(?P<knee>knees?)|(?P<hip>hips?)|(?P<shoulder>shoulders?))\b", re.I)
ROOT_NEARBY = re.compile(r"^.{0,30}?\b(?:roots?|nerves?|[LS][1-5]|C[2-8]|thecal\s+sac|cord)\b", re.I | re.S)
JOINTS = {"knee", "hip", "shoulder"}
FINDING_ORDER = ["disc_herniation", "disc_bulge", "foraminal_stenosis", "central_stenosis", "facet_arthropathy",
                 "degenerative_disc_disease", "spondylolisthesis", "nerve_root_compression", "annular_tear",
                 "osteoarthritis", "fracture", "normal"]
MAX_FOLLOWING_SENTENCES = 4
REPORT_FOLLOWS = re.compile(r':|"|“|\bimpression\b|\bshowed\s*$|\bshows\s*$|\breveal(?:s|ed)\s*$', re.I)


def _scope(note: ReadNote, mention: Mention, study_starts: list[int]) -> tuple[int, int]:
    sentence = note.sentence_of(mention)
    end = sentence.end
    position = bisect.bisect_right(study_starts, mention.start)
    stop = study_starts[position] if position < len(study_starts) else len(note.text)
    after = sentence.text[mention.start - sentence.start:]
    # A report follows the study: in an imaging section, after "MRI L-spine 3/11/2026:" or a quote
    # ('MRI ...: "Postoperative changes ... Disc desiccation L3-4."'), or on the lines after a bare title.
    if mention.section == "imaging" or REPORT_FOLLOWS.search(after) or len(after) < 25:
        for following in note.sentences[sentence.index + 1:sentence.index + 1 + MAX_FOLLOWING_SENTENCES]:
            if following.section != sentence.section or following.start >= stop:
                break
            end = following.end
    return mention.start, min(end, stop)


def extract_imaging(note: ReadNote, facts: dict) -> None:
    studies = [m for m in note.of("IMAGING") if not m.family and m.section != "family_history"]
    entries: dict[tuple, dict] = {}
    all_findings = sorted(note.of("FINDING"), key=lambda m: m.start)
    finding_starts = [m.start for m in all_findings]
    study_starts = sorted(s.start for s in studies)
    for mention in studies:
        if mention.negated or mention.hypothetical:
            continue
        start, end = _scope(note, mention, study_starts)
        sentence = note.sentence_of(mention)
        region = _region(note.text[start:end]) or _region(note.text[sentence.start:mention.start])
        findings = set()
        for finding in all_findings[bisect.bisect_left(finding_starts, start):bisect.bisect_left(finding_starts, end)]:
            if finding.negated:
                continue
            name = finding.meta.get("finding")
            if name == "nerve_root_compression" and "root" not in finding.text.lower() and not ROOT_NEARBY.match(note.text[finding.end:finding.end + 40]):
                continue
            if name == "degenerative_disc_disease" and region in JOINTS:
                name = "osteoarthritis"
            findings.add(name)
        if len(findings) > 1:
            findings.discard("normal")
        modality = mention.meta.get("modality")
        key = (modality, region)
        if key not in entries and region is None:
            key = next((k for k in entries if k[0] == modality), key)
        elif key not in entries and (modality, None) in entries:
            entries[key] = entries.pop((modality, None))
            entries[key]["region"] = region
        entry = entries.setdefault(key, {"modality": modality, "region": region, "findings": [],
                                         "evidence": evidence(note.text, mention.start, mention.end)})
        merged = set(entry["findings"]) | findings
        if len(merged) > 1:
            merged.discard("normal")
        entry["findings"] = [f for f in FINDING_ORDER if f in merged]
    facts["imaging"] = list(entries.values())


def _region(text: str) -> str | None:
    match = REGIONS.search(text)
    if not match:
        return None
    return next(name for name, value in match.groupdict().items() if value)
