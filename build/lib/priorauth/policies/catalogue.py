"""The vocabulary of the policy files: which criteria exist and which thresholds each one needs.

shared/specs/prior-auth-criteria.md fixes what each criterion means; the engine
(priorauth.criteria.rules) implements one rule per id listed here, and the loader refuses a
policy file that names another id or leaves out a threshold the rule reads.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CriterionKind:
    """A criterion id, the thresholds (params) its rule reads and its default checklist text."""

    id: str
    params: tuple[str, ...]
    text: str  # str.format template over the params
    documents: str  # what the notes must show for it, in plain words (a str.format template too)
    whole_params: tuple[str, ...] = ()  # params that count things, so must be whole numbers


CRITERION_KINDS: dict[str, CriterionKind] = {kind.id: kind for kind in (
    CriterionKind(
        "pain_duration", ("months",), "Pain for at least {months} months",
        documents="How long the pain has lasted (at least {months} months)"),
    CriterionKind(
        "conservative_care", ("weeks",),
        "At least {weeks} weeks of conservative care that failed, was partly effective or was not tolerated",
        documents="Conservative care tried (physical therapy, medication...), for how many weeks and how it failed "
                  "(at least {weeks} weeks)"),
    CriterionKind(
        "pain_scale", (), "Current pain score (0-10) documented",
        documents="The current pain score on a 0-10 scale"),
    CriterionKind(
        "function_scale", (), "Function score documented (Oswestry ODI or Neck Disability Index)",
        documents="A function score: the Oswestry Disability Index or the Neck Disability Index"),
    CriterionKind(
        "no_red_flags", (),
        "No red flags (bowel or bladder dysfunction, saddle anesthesia, progressive weakness, fever or infection, "
        "unexplained weight loss, history of cancer)",
        documents="That red flags were asked about and are absent (bowel or bladder changes, saddle numbness, "
                  "progressive weakness, fever, weight loss, cancer)"),
    CriterionKind(
        "radicular_pain", (), "Radicular pain (pain radiating into the arm or leg)",
        documents="Whether and where the pain radiates into the arm or leg"),
    CriterionKind(
        "no_radiculopathy", (), "No radicular pain (the pain does not radiate into the arm or leg)",
        documents="That the pain does not radiate into the arm or leg"),
    CriterionKind(
        "axial_pain", (), "Predominantly axial (neck or back) pain",
        documents="That the pain is predominantly axial (neck or back)"),
    CriterionKind(
        "imaging_concordant", (),
        "MRI or CT of the treated region with a concordant finding (disc herniation or bulge, foraminal or central "
        "stenosis, nerve root compression, spondylolisthesis)",
        documents="The MRI or CT of the treated region and its findings"),
    CriterionKind(
        "si_location", (), "Pain located in the sacroiliac joint",
        documents="That the pain is located at the sacroiliac joint"),
    CriterionKind(
        "provocative_tests", ("positive",), "At least {positive} positive sacroiliac provocative tests",
        documents="The sacroiliac provocative tests done and how many were positive (at least {positive})",
        whole_params=("positive",)),
    CriterionKind(
        "repeat_relief", ("percent", "weeks"),
        "A repeat injection only after at least {percent}% relief lasting at least {weeks} weeks",
        documents="For a repeat injection: the percent of relief after the last one and how long it lasted "
                  "(at least {percent}% for {weeks} weeks)"),
    CriterionKind(
        "two_diagnostic_blocks", ("blocks", "percent"),
        "At least {blocks} diagnostic medial branch blocks, each with at least {percent}% relief",
        documents="The diagnostic medial branch blocks and the percent of relief after each "
                  "({blocks} with at least {percent}%)",
        whole_params=("blocks",)),
    CriterionKind(
        "repeat_rfa_relief", ("percent", "weeks"),
        "A repeat ablation only after at least {percent}% relief lasting at least {weeks} weeks",
        documents="For a repeat ablation: the percent of relief after the last one and how long it lasted "
                  "(at least {percent}% for {weeks} weeks)"),
    CriterionKind(
        "failed_therapies", ("modalities",), "At least {modalities} different conservative therapies failed",
        documents="At least {modalities} different conservative therapies that failed, with how long each was tried",
        whole_params=("modalities",)),
    CriterionKind(
        "psych_evaluation", (), "Psychological evaluation done, with clearance for the trial",
        documents="The psychological evaluation and whether it cleared the patient for the trial"),
    CriterionKind(
        "frequency", ("sessions", "months"), "At most {sessions} sessions in {months} months, this one included",
        documents="The dates of earlier sessions in the last {months} months (at most {sessions}, this one included)",
        whole_params=("sessions", "months")),
)}


def format_number(value: float | int) -> str:
    """13.0 -> "13", 0.92 -> "0.92": thresholds read as a person writes them."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _filled(template: str, kind: CriterionKind, params: dict) -> str:
    return template.format(**{name: format_number(params[name]) for name in kind.params})


def default_text(kind_id: str, params: dict) -> str:
    """The checklist line of a criterion with its thresholds filled in."""
    kind = CRITERION_KINDS[kind_id]
    return _filled(kind.text, kind, params)


def documentation_needed(kind_id: str, params: dict) -> str:
    """What the notes must show for this criterion, in plain words for staff."""
    kind = CRITERION_KINDS[kind_id]
    return _filled(kind.documents, kind, params)
