"""One rule per criterion id of shared/specs/prior-auth-criteria.md, implemented exactly.

A rule reads merged ClinicalFacts (and, for ``frequency``, the procedure history) with the
thresholds of the policy file, and returns a status, the facts and note evidence it rests on,
and for a criterion that is not met a plain-words ``missing`` text for staff.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from priorauth.criteria.facts import EvidenceSpan, MergedFacts
from priorauth.policies import Policy
from priorauth.policies.catalogue import format_number as num

MET = "met"
NOT_MET = "not_met"
INSUFFICIENT = "insufficient_documentation"
NOT_APPLICABLE = "not_applicable"
STATUSES = (MET, NOT_MET, INSUFFICIENT, NOT_APPLICABLE)

FAILED_STATUSES = frozenset({"completed", "ongoing"})
FAILED_RESPONSES = frozenset({"failed", "partial", "not_tolerated"})
CROSS_SECTIONAL = frozenset({"mri", "ct", "ct_myelogram"})
CONCORDANT_FINDINGS = frozenset({"disc_herniation", "disc_bulge", "foraminal_stenosis", "central_stenosis",
                                 "nerve_root_compression", "spondylolisthesis"})


@dataclass(frozen=True)
class PastProcedure:
    """A procedure performed for the patient (from the records), for session counts."""

    date: datetime.date
    cpt: str


@dataclass(frozen=True)
class RuleContext:
    facts: MergedFacts
    policy: Policy
    cpt: str
    planned: datetime.date
    history: Sequence[PastProcedure]
    session_codes: frozenset[str]  # codes that are a session of the policy's procedure type


@dataclass(frozen=True)
class Outcome:
    status: str
    facts: dict = field(default_factory=dict)
    evidence: tuple[EvidenceSpan, ...] = ()
    missing: str | None = None


# --- plain words ------------------------------------------------------------------------------

_MODALITY_WORDS = {
    "physical_therapy": "physical therapy", "home_exercise": "a home exercise program", "nsaid": "NSAIDs",
    "muscle_relaxant": "muscle relaxants", "gabapentinoid": "gabapentin or pregabalin",
    "antidepressant": "antidepressants", "opioid": "opioids", "topical": "topical medication",
    "activity_modification": "activity modification", "tens": "TENS", "cognitive_behavioral_therapy":
    "cognitive behavioral therapy", "weight_loss": "weight loss", "oral_steroid": "oral steroids",
}
_FLAG_WORDS = {
    "bowel_bladder_dysfunction": "bowel or bladder dysfunction", "saddle_anesthesia": "saddle anesthesia",
    "progressive_weakness": "progressive weakness", "fever_or_infection": "fever or infection",
    "unexplained_weight_loss": "unexplained weight loss", "history_of_cancer": "a history of cancer",
}
_PROCEDURE_WORDS = {
    "epidural_steroid_injection": "epidural steroid injection", "si_joint_injection": "sacroiliac joint injection",
    "medial_branch_block": "medial branch block", "radiofrequency_ablation": "radiofrequency ablation",
    "scs_trial": "spinal cord stimulator trial",
}


def _words(value: str, table: Mapping[str, str]) -> str:
    return table.get(value, value.replace("_", " "))


def _listing(items: Sequence[str]) -> str:
    items = list(dict.fromkeys(items))
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _region_words(regions: frozenset[str] | None) -> str:
    if not regions:
        return "the treated region"
    if regions >= {"lumbar"}:
        return "the lumbar spine"
    if regions & {"cervical", "thoracic"}:
        return "the cervical or thoracic spine"
    return "the " + " or ".join(sorted(regions)) + " region"


# --- helpers over facts ------------------------------------------------------------------------

def _scalar(ctx: RuleContext, path: str):
    node = ctx.facts.facts
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _spans(ctx: RuleContext, paths: Sequence[str]) -> tuple[EvidenceSpan, ...]:
    spans = (ctx.facts.evidence(path) for path in paths)
    return tuple(span for span in spans if span is not None)


def _entries(ctx: RuleContext, name: str) -> list[tuple[str, dict]]:
    return [(f"{name}[{i}]", entry) for i, entry in enumerate(ctx.facts.facts.get(name) or ())]


def _entry_fact(entry: dict) -> dict:
    return {key: value for key, value in entry.items() if key != "evidence"}


def _failed(ctx: RuleContext) -> list[tuple[str, dict]]:
    """FAILED: conservative care completed or ongoing whose response was failed, partial or not tolerated."""
    return [(path, e) for path, e in _entries(ctx, "conservative_care")
            if e.get("status") in FAILED_STATUSES and e.get("response") in FAILED_RESPONSES]


def _scalar_rule(ctx: RuleContext, path: str, *, met: Callable[[object], bool], not_met: Callable[[object], bool],
                 when_null: str, when_not_met: Callable[[object], str]) -> Outcome:
    value = _scalar(ctx, path)
    facts = {path: value}
    if value is None:
        return Outcome(INSUFFICIENT, facts, (), when_null)
    evidence = _spans(ctx, [path])
    if met(value):
        return Outcome(MET, facts, evidence)
    if not_met(value):
        return Outcome(NOT_MET, facts, evidence, when_not_met(value))
    return Outcome(INSUFFICIENT, facts, evidence, when_null)


# --- the rules ---------------------------------------------------------------------------------

def pain_duration(ctx: RuleContext, p: Mapping) -> Outcome:
    months = p["months"]
    return _scalar_rule(
        ctx, "pain.duration_months", met=lambda v: v >= months, not_met=lambda v: v < months,
        when_null=f"Document how long the pain has lasted (the policy needs at least {num(months)} months).",
        when_not_met=lambda v: f"The notes date the pain to {num(v)} months; the policy needs at least {num(months)} months.",
    )


def conservative_care(ctx: RuleContext, p: Mapping) -> Outcome:
    weeks = p["weeks"]
    failed = _failed(ctx)
    facts = {path: _entry_fact(e) for path, e in failed}
    reaching = [(path, e) for path, e in failed if e.get("weeks") is not None and e["weeks"] >= weeks]
    if reaching:
        return Outcome(MET, {path: _entry_fact(e) for path, e in reaching}, _spans(ctx, [path for path, _ in reaching]))
    evidence = _spans(ctx, [path for path, _ in failed])
    if not failed:
        tried = [e for _, e in _entries(ctx, "conservative_care") if e.get("status") in FAILED_STATUSES]
        facts = {path: _entry_fact(e) for path, e in _entries(ctx, "conservative_care")}
        if tried:
            names = _listing([_words(e["modality"], _MODALITY_WORDS) for e in tried])
            return Outcome(INSUFFICIENT, facts, _spans(ctx, list(facts)),
                           f"Document how {names} failed or was not tolerated, and for how many weeks "
                           f"(the policy needs at least {num(weeks)} weeks of failed conservative care).")
        return Outcome(INSUFFICIENT, facts, _spans(ctx, list(facts)),
                       f"Document at least {num(weeks)} weeks of conservative care (for example physical therapy) "
                       "and how it failed.")
    unknown = [e for _, e in failed if e.get("weeks") is None]
    if unknown:
        names = _listing([_words(e["modality"], _MODALITY_WORDS) for e in unknown])
        return Outcome(INSUFFICIENT, facts, evidence,
                       f"Document the weeks of {names} and how it failed (the policy needs at least {num(weeks)} weeks).")
    longest = max(e["weeks"] for _, e in failed)
    names = _listing([_words(e["modality"], _MODALITY_WORDS) for _, e in failed])
    return Outcome(NOT_MET, facts, evidence,
                   f"Conservative care that failed ({names}) lasted at most {num(longest)} weeks; "
                   f"the policy needs at least {num(weeks)} weeks.")


def pain_scale(ctx: RuleContext, p: Mapping) -> Outcome:
    return _scalar_rule(ctx, "pain.nrs_current", met=lambda v: True, not_met=lambda v: False,
                        when_null="Document the patient's current pain score on a 0-10 scale.",
                        when_not_met=lambda v: "")


def function_scale(ctx: RuleContext, p: Mapping) -> Outcome:
    paths = ["function.odi_percent", "function.ndi_percent"]
    facts = {path: _scalar(ctx, path) for path in paths}
    known = [path for path in paths if facts[path] is not None]
    if known:
        return Outcome(MET, facts, _spans(ctx, known))
    return Outcome(INSUFFICIENT, facts, (),
                   "Document a function score: the Oswestry Disability Index (low back) or the Neck Disability Index.")


def no_red_flags(ctx: RuleContext, p: Mapping) -> Outcome:
    entries = _entries(ctx, "red_flags")
    present = [(path, e) for path, e in entries if e.get("present") is True]
    if present:
        flags = _listing([_words(e["flag"], _FLAG_WORDS) for _, e in present])
        return Outcome(NOT_MET, {path: _entry_fact(e) for path, e in present}, _spans(ctx, [p_ for p_, _ in present]),
                       f"The notes document {flags}; a red flag must be worked up before this procedure.")
    return Outcome(MET, {path: _entry_fact(e) for path, e in entries}, _spans(ctx, [p_ for p_, _ in entries]))


def radicular_pain(ctx: RuleContext, p: Mapping) -> Outcome:
    return _scalar_rule(
        ctx, "pain.radicular", met=lambda v: v is True, not_met=lambda v: v is False,
        when_null="Document whether the pain radiates into the arm or leg (radicular pain) and where.",
        when_not_met=lambda v: "The notes say the pain does not radiate into the limb; the policy is for radicular pain.",
    )


def no_radiculopathy(ctx: RuleContext, p: Mapping) -> Outcome:
    return _scalar_rule(
        ctx, "pain.radicular", met=lambda v: v is False, not_met=lambda v: v is True,
        when_null="Document that the pain does not radiate into the arm or leg (no radicular pain).",
        when_not_met=lambda v: "The notes document radicular pain; the policy is for pain without radiculopathy.",
    )


def axial_pain(ctx: RuleContext, p: Mapping) -> Outcome:
    return _scalar_rule(
        ctx, "pain.axial", met=lambda v: v is True, not_met=lambda v: v is False,
        when_null="Document that the pain is predominantly axial (in the neck or back rather than the limb).",
        when_not_met=lambda v: "The notes say limb pain predominates; the policy is for predominantly axial pain.",
    )


def imaging_concordant(ctx: RuleContext, p: Mapping) -> Outcome:
    treated = ctx.policy.regions.get(ctx.cpt)
    relevant = [(path, e) for path, e in _entries(ctx, "imaging")
                if e.get("modality") in CROSS_SECTIONAL
                and (treated is None or e.get("region") is None or e.get("region") in treated)]
    if not relevant:
        return Outcome(INSUFFICIENT, {}, (),
                       f"Document an MRI or CT of {_region_words(treated)} with its date and findings.")
    concordant = [(path, e) for path, e in relevant if CONCORDANT_FINDINGS & set(e.get("findings") or ())]
    if concordant:
        return Outcome(MET, {path: _entry_fact(e) for path, e in concordant}, _spans(ctx, [x for x, _ in concordant]))
    return Outcome(NOT_MET, {path: _entry_fact(e) for path, e in relevant}, _spans(ctx, [x for x, _ in relevant]),
                   f"The MRI or CT of {_region_words(treated)} shows no finding that explains the pain "
                   "(disc herniation or bulge, stenosis, nerve root compression or spondylolisthesis).")


def si_location(ctx: RuleContext, p: Mapping) -> Outcome:
    regions = _scalar(ctx, "pain.regions") or []
    facts = {"pain.regions": list(regions)}
    if "sacroiliac" in regions:
        return Outcome(MET, facts, _spans(ctx, ["pain.regions"]))
    return Outcome(INSUFFICIENT, facts, (), "Document that the pain is located in the sacroiliac joint.")


def provocative_tests(ctx: RuleContext, p: Mapping) -> Outcome:
    needed = p["positive"]
    return _scalar_rule(
        ctx, "exam.si_provocative_positive", met=lambda v: v >= needed, not_met=lambda v: v < needed,
        when_null=f"Document the sacroiliac provocative tests (FABER, Gaenslen, thigh thrust, compression, "
                  f"distraction) and how many were positive (the policy needs {num(needed)}).",
        when_not_met=lambda v: f"The notes record {num(v)} positive sacroiliac provocative tests; the policy needs "
                               f"{num(needed)}.",
    )


def _relief_rule(ctx: RuleContext, procedure_type: str, percent: float, weeks: float) -> Outcome:
    priors = [(path, e) for path, e in _entries(ctx, "prior_procedures") if e.get("type") == procedure_type]
    name = _words(procedure_type, _PROCEDURE_WORDS)
    if not priors:
        return Outcome(NOT_APPLICABLE)
    facts = {path: _entry_fact(e) for path, e in priors}
    evidence = _spans(ctx, [path for path, _ in priors])
    good = [path for path, e in priors
            if e.get("relief_percent") is not None and e["relief_percent"] >= percent
            and e.get("relief_weeks") is not None and e["relief_weeks"] >= weeks]
    if good:
        return Outcome(MET, {path: facts[path] for path in good}, _spans(ctx, good))

    def short(e: dict) -> bool:
        return ((e.get("relief_percent") is not None and e["relief_percent"] < percent)
                or (e.get("relief_weeks") is not None and e["relief_weeks"] < weeks))

    if all(short(e) for _, e in priors):
        return Outcome(NOT_MET, facts, evidence,
                       f"The earlier {name} gave less than {num(percent)}% relief or relief for less than "
                       f"{num(weeks)} weeks; the policy allows a repeat only after at least {num(percent)}% relief "
                       f"lasting {num(weeks)} weeks.")
    return Outcome(INSUFFICIENT, facts, evidence,
                   f"Document the percent of relief after the earlier {name} and how many weeks it lasted "
                   f"(the policy needs at least {num(percent)}% for at least {num(weeks)} weeks).")


def repeat_relief(ctx: RuleContext, p: Mapping) -> Outcome:
    return _relief_rule(ctx, ctx.policy.procedure_type, p["percent"], p["weeks"])


def repeat_rfa_relief(ctx: RuleContext, p: Mapping) -> Outcome:
    return _relief_rule(ctx, "radiofrequency_ablation", p["percent"], p["weeks"])


def two_diagnostic_blocks(ctx: RuleContext, p: Mapping) -> Outcome:
    blocks, percent = p["blocks"], p["percent"]
    procedures = _entries(ctx, "prior_procedures")
    if any(e.get("type") == "radiofrequency_ablation" for _, e in procedures):
        return Outcome(NOT_APPLICABLE)
    mbbs = [(path, e) for path, e in procedures if e.get("type") == "medial_branch_block"]
    facts = {path: _entry_fact(e) for path, e in mbbs}
    evidence = _spans(ctx, [path for path, _ in mbbs])
    reaching = [path for path, e in mbbs if e.get("relief_percent") is not None and e["relief_percent"] >= percent]
    if len(reaching) >= blocks:
        return Outcome(MET, {path: facts[path] for path in reaching}, _spans(ctx, reaching))
    if len(mbbs) >= blocks and all(e.get("relief_percent") is not None for _, e in mbbs):
        return Outcome(NOT_MET, facts, evidence,
                       f"The notes record {len(reaching)} of {len(mbbs)} medial branch blocks with at least {num(percent)}% relief; "
                       f"the policy needs {num(blocks)}.")
    if mbbs:
        missing = (f"Document the percent of relief after each medial branch block; the policy needs {num(blocks)} "
                   f"diagnostic blocks with at least {num(percent)}% relief ({len(mbbs)} documented).")
    else:
        missing = (f"Document {num(blocks)} diagnostic medial branch blocks with the percent of relief after each "
                   f"(at least {num(percent)}% needed).")
    return Outcome(INSUFFICIENT, facts, evidence, missing)


def failed_therapies(ctx: RuleContext, p: Mapping) -> Outcome:
    needed = p["modalities"]
    failed = _failed(ctx)
    modalities = sorted({e["modality"] for _, e in failed if e.get("modality")})
    facts = {path: _entry_fact(e) for path, e in failed}
    evidence = _spans(ctx, [path for path, _ in failed])
    if len(modalities) >= needed:
        return Outcome(MET, facts, evidence)
    have = f" (documented: {_listing([_words(m, _MODALITY_WORDS) for m in modalities])})" if modalities else ""
    return Outcome(INSUFFICIENT, facts, evidence,
                   f"Document at least {num(needed)} different conservative therapies that failed, with how long each "
                   f"was tried{have}.")


def psych_evaluation(ctx: RuleContext, p: Mapping) -> Outcome:
    done, cleared = _scalar(ctx, "psych_eval.done"), _scalar(ctx, "psych_eval.cleared")
    facts = {"psych_eval.done": done, "psych_eval.cleared": cleared}
    evidence = _spans(ctx, ["psych_eval.done", "psych_eval.cleared"])
    if done is True and cleared is True:
        return Outcome(MET, facts, evidence)
    if done is True and cleared is False:
        return Outcome(NOT_MET, facts, evidence,
                       "The psychological evaluation did not clear the patient for a stimulator trial.")
    if done is True:
        return Outcome(INSUFFICIENT, facts, evidence,
                       "Document the result of the psychological evaluation: whether it cleared the patient for the trial.")
    return Outcome(INSUFFICIENT, facts, evidence,
                   "Document a psychological evaluation and whether it cleared the patient for the trial.")


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day of the month ``months`` earlier (the month's last day when it has fewer days)."""
    total = day.year * 12 + (day.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def frequency(ctx: RuleContext, p: Mapping) -> Outcome:
    """Sessions (distinct dates) of the policy's procedure type in the rolling period ending on the
    planned date, this one included; a performed procedure on the planned date is this session."""
    limit, months = p["sessions"], p["months"]
    start = months_before(ctx.planned, months)
    dates = sorted({past.date for past in ctx.history
                    if past.cpt in ctx.session_codes and start < past.date <= ctx.planned} | {ctx.planned})
    facts = {"history.sessions": len(dates), "history.dates": [d.isoformat() for d in dates],
             "history.window_start": start.isoformat()}
    if len(dates) <= limit:
        return Outcome(MET, facts)
    name = _words(ctx.policy.procedure_type, _PROCEDURE_WORDS)
    return Outcome(NOT_MET, facts, (),
                   f"This would be {name} session {len(dates)} in the {num(months)} months up to "
                   f"{ctx.planned.isoformat()}; the policy allows {num(limit)}.")


RULES: dict[str, Callable[[RuleContext, Mapping], Outcome]] = {
    "pain_duration": pain_duration, "conservative_care": conservative_care, "pain_scale": pain_scale,
    "function_scale": function_scale, "no_red_flags": no_red_flags, "radicular_pain": radicular_pain,
    "no_radiculopathy": no_radiculopathy, "axial_pain": axial_pain, "imaging_concordant": imaging_concordant,
    "si_location": si_location, "provocative_tests": provocative_tests, "repeat_relief": repeat_relief,
    "two_diagnostic_blocks": two_diagnostic_blocks, "repeat_rfa_relief": repeat_rfa_relief,
    "failed_therapies": failed_therapies, "psych_evaluation": psych_evaluation, "frequency": frequency,
}
