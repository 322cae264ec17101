"""The ClinicalFacts contract (shared/specs/clinical-facts.md) as pydantic models.

The criteria engine reads only this document. ``validate_facts`` checks a document against
the contract, including that every evidence span quotes the note exactly.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Region = Literal["cervical", "thoracic", "lumbar", "sacroiliac", "knee", "hip", "shoulder", "other"]
Modality = Literal[
    "physical_therapy", "chiropractic", "home_exercise", "nsaid", "acetaminophen", "muscle_relaxant",
    "gabapentinoid", "antidepressant", "opioid", "topical", "activity_modification", "tens",
    "acupuncture", "massage", "bracing", "cognitive_behavioral_therapy", "weight_loss", "oral_steroid",
]
Finding = Literal[
    "disc_herniation", "disc_bulge", "foraminal_stenosis", "central_stenosis", "facet_arthropathy",
    "degenerative_disc_disease", "spondylolisthesis", "nerve_root_compression", "annular_tear",
    "osteoarthritis", "fracture", "normal",
]
Procedure = Literal[
    "epidural_steroid_injection", "medial_branch_block", "radiofrequency_ablation", "facet_injection",
    "si_joint_injection", "scs_trial", "genicular_block", "trigger_point_injection", "spine_surgery",
]
RedFlag = Literal[
    "bowel_bladder_dysfunction", "saddle_anesthesia", "progressive_weakness", "fever_or_infection",
    "unexplained_weight_loss", "history_of_cancer",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Evidence(_Strict):
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str

    @model_validator(mode="after")
    def _ordered(self) -> "Evidence":
        if self.end < self.start:
            raise ValueError("evidence end is before its start")
        return self


class Pain(_Strict):
    regions: list[Region] = []
    laterality: Literal["left", "right", "bilateral"] | None = None
    duration_months: float | None = Field(default=None, ge=0)
    nrs_current: int | None = Field(default=None, ge=0, le=10)
    radicular: bool | None = None
    axial: bool | None = None


class Function(_Strict):
    odi_percent: float | None = Field(default=None, ge=0, le=100)
    ndi_percent: float | None = Field(default=None, ge=0, le=100)
    adl_limited: bool | None = None


class ConservativeCare(_Strict):
    modality: Modality
    status: Literal["completed", "ongoing", "not_done", "planned"]
    weeks: float | None = Field(default=None, ge=0)
    response: Literal["failed", "partial", "helped", "not_tolerated"] | None = None
    evidence: Evidence


class Imaging(_Strict):
    modality: Literal["mri", "ct", "xray", "ct_myelogram", "emg"]
    region: Region | None = None
    findings: list[Finding] = []
    evidence: Evidence


class PriorProcedure(_Strict):
    type: Procedure
    relief_percent: float | None = Field(default=None, ge=0, le=100)
    relief_weeks: float | None = Field(default=None, ge=0)
    evidence: Evidence


class Exam(_Strict):
    straight_leg_raise: Literal["positive", "negative"] | None = None
    si_provocative_positive: int | None = Field(default=None, ge=0, le=5)


class PsychEval(_Strict):
    done: bool | None = None
    cleared: bool | None = None


class RedFlagEntry(_Strict):
    flag: RedFlag
    present: bool
    evidence: Evidence


class ClinicalFacts(_Strict):
    note_date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    pain: Pain = Pain()
    function: Function = Function()
    conservative_care: list[ConservativeCare] = []
    imaging: list[Imaging] = []
    prior_procedures: list[PriorProcedure] = []
    exam: Exam = Exam()
    psych_eval: PsychEval = PsychEval()
    red_flags: list[RedFlagEntry] = []
    anticoagulated: bool | None = None
    opioid_mme_per_day: float | None = Field(default=None, ge=0)
    icd10_codes: list[str] = []
    evidence: dict[str, Evidence] = {}


def empty_facts(note_date: str | None = None) -> dict:
    """A document with nothing found: every scalar null, every list empty."""
    return ClinicalFacts(note_date=note_date).model_dump(mode="json")


class FactsError(ValueError):
    pass


def validate_facts(facts: dict, note: str | None = None) -> ClinicalFacts:
    """Check a document against the contract; with the note, check every evidence span quotes it."""
    parsed = ClinicalFacts.model_validate(facts)
    if note is not None:
        for where, evidence in _evidence(parsed):
            if note[evidence.start:evidence.end] != evidence.text:
                raise FactsError(f"{where}: evidence [{evidence.start}, {evidence.end}) does not quote the note")
        for path, value in _scalars(parsed.model_dump()).items():
            if value is not None and path not in parsed.evidence and path != "note_date":
                raise FactsError(f"{path} has a value but no evidence")
    return parsed


SCALAR_PATHS = [
    "pain.laterality", "pain.duration_months", "pain.nrs_current", "pain.radicular", "pain.axial",
    "function.odi_percent", "function.ndi_percent", "function.adl_limited",
    "exam.straight_leg_raise", "exam.si_provocative_positive", "psych_eval.done", "psych_eval.cleared",
    "anticoagulated", "opioid_mme_per_day",
]


def _scalars(facts: dict) -> dict:
    out = {}
    for path in SCALAR_PATHS:
        node = facts
        for part in path.split("."):
            node = node[part]
        out[path] = node
    return out


def _evidence(parsed: ClinicalFacts):
    for name in ("conservative_care", "imaging", "prior_procedures", "red_flags"):
        for index, entry in enumerate(getattr(parsed, name)):
            yield f"{name}[{index}]", entry.evidence
    for path, evidence in parsed.evidence.items():
        yield f"evidence[{path}]", evidence
