"""The letter of medical necessity, drafted from the merged ClinicalFacts (pure).

The letter states only what the facts hold. A fact the payer's criteria need and the notes do
not give is a visible blank (``____``) for the ordering provider to fill in before signing, never
a guess; a fact nobody asked for and nobody documented is left out. Nothing here reads the note
text: the facts are the contract (shared/specs/clinical-facts.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

BLANK = "____"

REGION_WORDS = {
    "cervical": "neck (cervical)", "thoracic": "mid-back (thoracic)", "lumbar": "low back (lumbar)",
    "sacroiliac": "sacroiliac joint", "knee": "knee", "hip": "hip", "shoulder": "shoulder",
    "other": "other",
}
IMAGED_REGION_WORDS = {
    "cervical": "the cervical spine", "thoracic": "the thoracic spine", "lumbar": "the lumbar spine",
    "sacroiliac": "the sacroiliac joints", "knee": "the knee", "hip": "the hip",
    "shoulder": "the shoulder", "other": "another region",
}
MODALITY_WORDS = {
    "physical_therapy": "physical therapy", "chiropractic": "chiropractic care",
    "home_exercise": "a home exercise program", "nsaid": "NSAIDs", "acetaminophen": "acetaminophen",
    "muscle_relaxant": "muscle relaxants", "gabapentinoid": "gabapentinoids",
    "antidepressant": "antidepressants", "opioid": "opioid analgesics", "topical": "topical analgesics",
    "activity_modification": "activity modification", "tens": "TENS", "acupuncture": "acupuncture",
    "massage": "massage therapy", "bracing": "bracing", "cognitive_behavioral_therapy":
    "cognitive behavioral therapy", "weight_loss": "weight loss", "oral_steroid": "oral steroids",
}
RESPONSE_WORDS = {
    "failed": "without relief", "partial": "with only partial relief", "not_tolerated": "not tolerated",
    "helped": "with some improvement",
}
IMAGING_WORDS = {"mri": "MRI", "ct": "CT", "xray": "X-ray", "ct_myelogram": "CT myelogram", "emg": "EMG"}
FINDING_WORDS = {
    "disc_herniation": "disc herniation", "disc_bulge": "disc bulge",
    "foraminal_stenosis": "foraminal stenosis", "central_stenosis": "central canal stenosis",
    "facet_arthropathy": "facet arthropathy", "degenerative_disc_disease": "degenerative disc disease",
    "spondylolisthesis": "spondylolisthesis", "nerve_root_compression": "nerve root compression",
    "annular_tear": "an annular tear", "osteoarthritis": "osteoarthritis", "fracture": "a fracture",
    "normal": "no abnormality",
}
PROCEDURE_WORDS = {
    "epidural_steroid_injection": "epidural steroid injection", "medial_branch_block": "medial branch block",
    "radiofrequency_ablation": "radiofrequency ablation", "facet_injection": "facet joint injection",
    "si_joint_injection": "sacroiliac joint injection", "scs_trial": "spinal cord stimulator trial",
    "genicular_block": "genicular nerve block", "trigger_point_injection": "trigger point injection",
    "spine_surgery": "spine surgery",
}
RED_FLAG_WORDS = {
    "bowel_bladder_dysfunction": "bowel or bladder dysfunction", "saddle_anesthesia": "saddle anesthesia",
    "progressive_weakness": "progressive weakness", "fever_or_infection": "fever or infection",
    "unexplained_weight_loss": "unexplained weight loss", "history_of_cancer": "a history of cancer",
}
TRIED = ("completed", "ongoing")
# Criteria whose facts the letter must speak to, blank or not (ids of the criteria spec).
NEEDS_RADICULAR = {"radicular_pain", "no_radiculopathy"}
NEEDS_AXIAL = {"axial_pain"}
NEEDS_IMAGING = {"imaging_concordant"}
NEEDS_BLOCKS = {"two_diagnostic_blocks"}
NEEDS_PSYCH = {"psych_evaluation"}


@dataclass(frozen=True)
class Fragment:
    """A run of letter text; a ``blank`` fragment is a line left for the provider to fill in."""

    text: str
    blank: bool = False


Paragraph = tuple[Fragment, ...]


class _Draft:
    """Collects fragments into paragraphs."""

    def __init__(self) -> None:
        self.paragraphs: list[Paragraph] = []
        self._current: list[Fragment] = []

    def text(self, words: str) -> _Draft:
        if words:
            if self._current and not self._current[-1].blank:
                self._current[-1] = Fragment(self._current[-1].text + words)
            else:
                self._current.append(Fragment(words))
        return self

    def blank(self) -> _Draft:
        self._current.append(Fragment(BLANK, blank=True))
        return self

    def value(self, value: object) -> _Draft:
        """The value as words, or a blank when it is unknown."""
        return self.blank() if value is None or value == "" else self.text(str(value))

    def end_paragraph(self) -> None:
        if self._current:
            self.paragraphs.append(tuple(self._current))
        self._current = []


def number(value: float | int | None) -> str | None:
    """A count or measure as a person writes it: 8.0 -> "8", 2.55 -> "2.6"; None stays None."""
    if value is None or isinstance(value, bool):
        return None
    rounded = round(float(value), 1)
    return str(int(rounded)) if rounded.is_integer() else f"{rounded:g}"


def _series(items: Iterable[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def letter_paragraphs(*, facts: dict, criteria: frozenset[str], patient_name: str | None,
                      service: str | None, diagnosis: str | None) -> tuple[Paragraph, ...]:
    """The body of the letter: introduction, history and findings, closing.

    ``criteria`` are the ids of the criteria the payer's policy applies: a fact they need is
    written as a blank when unknown; other unknown facts are left out.
    """
    draft = _Draft()
    pain = facts.get("pain") or {}
    function = facts.get("function") or {}

    draft.text("I am writing to request prior authorization of ").value(service)
    draft.text(" for my patient, ").value(patient_name).text(", whom I am treating for ").value(diagnosis)
    draft.text(". The clinical findings below are documented in the enclosed notes.")
    draft.end_paragraph()

    _history(draft, pain, criteria)
    _scores(draft, pain, function)
    draft.end_paragraph()

    _conservative_care(draft, facts.get("conservative_care") or [])
    draft.end_paragraph()

    _imaging(draft, facts.get("imaging") or [], criteria)
    _prior_procedures(draft, facts.get("prior_procedures") or [], criteria)
    draft.end_paragraph()

    _red_flags(draft, facts.get("red_flags") or [])
    _psych(draft, facts.get("psych_eval") or {}, criteria)
    draft.end_paragraph()

    draft.text("In my clinical judgement the requested procedure is medically necessary for this patient. "
               "Please contact my office with any questions or if further documentation is needed.")
    draft.end_paragraph()
    return tuple(draft.paragraphs)


def _history(draft: _Draft, pain: dict, criteria: frozenset[str]) -> None:
    regions = [REGION_WORDS.get(region, region) for region in pain.get("regions") or []]
    laterality = pain.get("laterality")
    draft.text("The patient has had ")
    if laterality in ("left", "right"):
        draft.text(f"{laterality}-sided ")
    elif laterality == "bilateral":
        draft.text("bilateral ")
    draft.value(_series(regions) or None).text(" pain for ")
    draft.value(number(pain.get("duration_months"))).text(" months. ")

    radicular = pain.get("radicular")
    if radicular is True:
        draft.text("The pain radiates into the limb (radicular pain). ")
    elif radicular is False:
        draft.text("There are no radicular symptoms. ")
    elif criteria & NEEDS_RADICULAR:
        draft.text("Radicular symptoms (pain radiating into the limb): ").blank().text(". ")
    axial = pain.get("axial")
    if axial is True:
        draft.text("The pain is predominantly axial. ")
    elif axial is False:
        draft.text("Limb pain predominates over axial pain. ")
    elif criteria & NEEDS_AXIAL:
        draft.text("Predominantly axial pain: ").blank().text(". ")


def _scores(draft: _Draft, pain: dict, function: dict) -> None:
    draft.text("Current pain intensity is ").value(number(pain.get("nrs_current")))
    draft.text("/10 on the numeric rating scale. ")
    odi, ndi = number(function.get("odi_percent")), number(function.get("ndi_percent"))
    if odi is not None:
        draft.text(f"The Oswestry Disability Index (ODI) is {odi}%. ")
    if ndi is not None:
        draft.text(f"The Neck Disability Index (NDI) is {ndi}%. ")
    if odi is None and ndi is None:
        draft.text("Functional disability score (validated disability index): ").blank().text("%. ")
    if function.get("adl_limited") is True:
        draft.text("The pain limits the patient's activities of daily living. ")


def _conservative_care(draft: _Draft, care: list[dict]) -> None:
    tried = [entry for entry in care if entry.get("status") in TRIED]
    if not tried:
        draft.text("Conservative treatment tried (treatment, weeks and response): ").blank().text(".")
        return
    draft.text("Conservative treatment has included ")
    for index, entry in enumerate(tried):
        if index:
            draft.text("; and " if index == len(tried) - 1 else "; ")
        draft.text(MODALITY_WORDS.get(entry.get("modality"), str(entry.get("modality"))))
        draft.text(" for ").value(number(entry.get("weeks"))).text(" weeks")
        if entry.get("status") == "ongoing":
            draft.text(", ongoing,")
        response = RESPONSE_WORDS.get(entry.get("response"))
        if response:
            draft.text(f" {response}")
        else:
            draft.text(" (response: ").blank().text(")")
    draft.text(".")


def _imaging(draft: _Draft, imaging: list[dict], criteria: frozenset[str]) -> None:
    for study in imaging:
        draft.text(IMAGING_WORDS.get(study.get("modality"), str(study.get("modality"))))
        region = study.get("region")
        if region:
            draft.text(f" of {IMAGED_REGION_WORDS.get(region, region)}")
        findings = [FINDING_WORDS.get(finding, finding) for finding in study.get("findings") or []]
        if findings:
            draft.text(f" showed {_series(findings)}. ")
        else:
            draft.text(": findings ").blank().text(". ")
    if not imaging and criteria & NEEDS_IMAGING:
        draft.text("Imaging (study, date and findings): ").blank().text(". ")


def _relief(draft: _Draft, procedure: dict) -> None:
    if procedure.get("relief_percent") == 0:
        draft.text("no relief")
        return
    draft.value(number(procedure.get("relief_percent"))).text("% relief lasting ")
    draft.value(number(procedure.get("relief_weeks"))).text(" weeks")


def _prior_procedures(draft: _Draft, procedures: list[dict], criteria: frozenset[str]) -> None:
    by_type: dict[str, list[dict]] = {}
    for procedure in procedures:
        by_type.setdefault(str(procedure.get("type")), []).append(procedure)
    for kind, done in by_type.items():
        words = PROCEDURE_WORDS.get(kind, kind.replace("_", " "))
        if len(done) == 1:
            draft.text(f"A prior {words} gave ")
            _relief(draft, done[0])
            draft.text(". ")
            continue
        draft.text(f"{len(done)} prior {words}s: ")
        reliefs = [(p.get("relief_percent"), p.get("relief_weeks")) for p in done]
        if len(set(reliefs)) == 1:  # one statement covers them all ("two injections, no relief")
            _relief(draft, done[0])
            draft.text(" each. ")
            continue
        for index, procedure in enumerate(done):
            if index:
                draft.text("; ")
            _relief(draft, procedure)
        draft.text(". ")
    if criteria & NEEDS_BLOCKS and "medial_branch_block" not in by_type:
        draft.text("Diagnostic medial branch blocks (dates and percent relief): ").blank().text(". ")


def _red_flags(draft: _Draft, red_flags: list[dict]) -> None:
    present = [RED_FLAG_WORDS.get(f.get("flag"), str(f.get("flag"))) for f in red_flags if f.get("present") is True]
    absent = [RED_FLAG_WORDS.get(f.get("flag"), str(f.get("flag"))) for f in red_flags if f.get("present") is False]
    if present:
        draft.text(f"Documented red-flag findings: {_series(present)}. ")
    if absent:
        draft.text(f"The patient has no {_series(absent)}. ")
    if not present and not absent:
        draft.text("Red-flag symptoms (bowel or bladder dysfunction, saddle anesthesia, progressive weakness, "
                   "fever, unexplained weight loss, history of cancer): ").blank().text(". ")


def _psych(draft: _Draft, psych: dict, criteria: frozenset[str]) -> None:
    done, cleared = psych.get("done"), psych.get("cleared")
    if cleared is True:  # cleared implies done, whether or not the note says so
        draft.text("A psychological evaluation has been completed and the patient was cleared for the procedure. ")
    elif done is True and cleared is False:
        draft.text("A psychological evaluation has been completed; the patient was not cleared. ")
    elif done is True:
        draft.text("A psychological evaluation has been completed (result: ").blank().text("). ")
    elif done is False:
        draft.text("A psychological evaluation has not been done. ")
    elif criteria & NEEDS_PSYCH:
        draft.text("Psychological evaluation (date and result): ").blank().text(". ")
