"""Payer policies as data: read and validate the YAML files under priorauth/policies/.

Layout: ``<root>/<payer>/payer.yaml`` (the payer's name, codes needing authorization that no
policy covers, codes it does not cover) and ``<root>/<payer>/<policy>.yaml`` (one policy: CPT
codes, criteria with their thresholds, source, version, effective dates). The built-in root is
this folder; ``settings.PRIORAUTH_POLICY_DIRS`` adds more roots, so a practice adds a payer or
changes a threshold by editing files, never code.

Everything is checked at load time; the first problem raises PolicyFileError naming the file and
the field ("priorauth/policies/commercial/esi.yaml: criteria[2].params.weeks: Input should be a
valid number").
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from documentation.facts.schema import Procedure, Region
from priorauth.policies.catalogue import CRITERION_KINDS, default_text

BUILTIN_DIR = Path(__file__).resolve().parent
_PROJECT_DIR = BUILTIN_DIR.parent.parent
PAYER_FILE = "payer.yaml"

# CPT (five digits; category II/III end in F/T/U) or HCPCS level II (a letter and four digits).
CPT_PATTERN = r"^(\d{5}|\d{4}[FTU]|[A-V]\d{4})$"
_KEY_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"


class PolicyFileError(Exception):
    """A policy or payer file that cannot be used; str() names the file and the field at fault."""

    def __init__(self, path: Path | str, field: str, message: str):
        self.path = _shown(path)
        self.field = field
        self.message = message
        super().__init__(f"{self.path}: {field}: {message}" if field else f"{self.path}: {message}")


class UnknownPayer(KeyError):
    """A payer key no payer file defines."""

    def __init__(self, key: str, known: Iterable[str] = ()):
        self.key = key
        self.known = sorted(known)
        super().__init__(key)

    def __str__(self) -> str:
        return f"unknown payer {self.key!r} (known: {', '.join(self.known) or 'none'})"


@dataclass(frozen=True)
class Criterion:
    id: str
    text: str
    params: Mapping[str, float | int]


@dataclass(frozen=True)
class Policy:
    """One payer policy. ``regions`` maps each CPT code to the regions it treats (None: any)."""

    id: str
    payer: str
    name: str
    procedure_type: str
    cpt_codes: frozenset[str]
    requires_auth: bool
    criteria: tuple[Criterion, ...]
    source: str
    version: str
    effective_from: datetime.date
    effective_to: datetime.date | None
    add_on_codes: frozenset[str] = frozenset()
    regions: Mapping[str, frozenset[str] | None] = field(default_factory=dict)
    source_url: str | None = None
    file: str = ""

    def in_effect(self, on: datetime.date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def criterion(self, criterion_id: str) -> Criterion | None:
        return next((c for c in self.criteria if c.id == criterion_id), None)


@dataclass(frozen=True)
class Payer:
    key: str
    name: str
    auth_required_codes: frozenset[str]  # need authorization although no policy lists them
    not_covered: Mapping[str, str]  # CPT -> the payer's reason
    file: str = ""


class PolicySet:
    """Every payer and policy, indexed for lookups by (payer, CPT, date)."""

    def __init__(self, payers: Sequence[Payer], policies: Sequence[Policy]):
        self._payers = {payer.key: payer for payer in payers}
        self._policies = tuple(policies)
        self._by_code: dict[tuple[str, str], list[Policy]] = {}
        for policy in policies:
            for cpt in policy.cpt_codes:
                self._by_code.setdefault((policy.payer, cpt), []).append(policy)
        for candidates in self._by_code.values():
            candidates.sort(key=lambda p: p.effective_from)
        # Codes that are a session of a procedure type, from every payer's policies: a patient's
        # history may hold procedures billed to an earlier payer. Add-on codes are never a session.
        self._session_codes: dict[str, set[str]] = {}
        for policy in policies:
            self._session_codes.setdefault(policy.procedure_type, set()).update(policy.cpt_codes - policy.add_on_codes)

    def payer_keys(self) -> list[str]:
        return sorted(self._payers)

    def payer(self, key: str) -> Payer:
        try:
            return self._payers[key]
        except KeyError:
            raise UnknownPayer(key, self._payers) from None

    def payer_name(self, key: str) -> str:
        return self.payer(key).name

    def policies(self, payer: str | None = None) -> tuple[Policy, ...]:
        if payer is None:
            return self._policies
        self.payer(payer)
        return tuple(p for p in self._policies if p.payer == payer)

    def policy_for(self, payer: str, cpt: str, on: datetime.date) -> Policy | None:
        """The payer's policy for this code in effect on that date, or None."""
        self.payer(payer)
        for policy in self._by_code.get((payer, cpt), ()):
            if policy.in_effect(on):
                return policy
        return None

    def session_codes(self, procedure_type: str) -> frozenset[str]:
        """CPT codes whose performance is one session of this procedure type."""
        return frozenset(self._session_codes.get(procedure_type, ()))


# --- file schemas -----------------------------------------------------------------------------

Number = Annotated[float, Field(strict=True)]  # strict: a YAML true or "6" is not a threshold


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _CodeEntry(_Strict):
    cpt: str = Field(pattern=CPT_PATTERN)
    region: list[Region] | None = None  # the regions this code treats; left out: any region
    add_on: bool = False


class _CriterionEntry(_Strict):
    id: str
    text: str | None = Field(default=None, min_length=1)
    params: dict[str, Number] = {}


class _PolicyFile(_Strict):
    id: str = Field(pattern=_KEY_PATTERN)
    payer: str = Field(pattern=_KEY_PATTERN)
    name: str = Field(min_length=1)
    procedure_type: Procedure
    requires_auth: bool
    codes: list[_CodeEntry] = Field(min_length=1)
    criteria: list[_CriterionEntry]
    source: str = Field(min_length=1)
    source_url: str | None = None
    version: str = Field(min_length=1)
    effective_from: datetime.date
    effective_to: datetime.date | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> "_PolicyFile":
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self


class _NotCovered(_Strict):
    cpt: str = Field(pattern=CPT_PATTERN)
    reason: str = Field(min_length=1)


class _PayerFile(_Strict):
    key: str = Field(pattern=_KEY_PATTERN)
    name: str = Field(min_length=1)
    requires_auth_codes: list[Annotated[str, Field(pattern=CPT_PATTERN)]] = []
    not_covered: list[_NotCovered] = []


# --- loading ---------------------------------------------------------------------------------

def load_policies(directory: Path | str | Sequence[Path | str] | None = None) -> PolicySet:
    """Read and validate every payer and policy file.

    ``directory`` None reads the built-in policies plus ``settings.PRIORAUTH_POLICY_DIRS``; a path
    (or a list of paths) reads only those roots. Raises PolicyFileError on the first problem.
    """
    if directory is None:
        roots = [BUILTIN_DIR, *_configured_dirs()]
    elif isinstance(directory, (str, Path)):
        roots = [Path(directory)]
    else:
        roots = [Path(d) for d in directory]
    payers: dict[str, Payer] = {}
    policies: list[Policy] = []
    for root in roots:
        if not root.is_dir():
            raise PolicyFileError(root, "", "is not a directory of payer policies")
        for payer_dir in sorted(p for p in root.iterdir() if p.is_dir() and p.name[0] not in "._"):
            payer = _load_payer(payer_dir)
            if payer.key in payers:
                raise PolicyFileError(payer_dir / PAYER_FILE, "key",
                                      f"payer {payer.key!r} is already defined in {payers[payer.key].file}")
            payers[payer.key] = payer
            for path in sorted(payer_dir.glob("*.yaml")):
                if path.name != PAYER_FILE:
                    policies.append(_load_policy(path, payer))
    _check_together(payers, policies)
    return PolicySet(list(payers.values()), policies)


def _configured_dirs() -> list[Path]:
    from django.conf import settings

    return [Path(d) for d in getattr(settings, "PRIORAUTH_POLICY_DIRS", [])] if settings.configured else []


def _read_yaml(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyFileError(path, "", f"cannot be read ({error.__class__.__name__})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise PolicyFileError(path, "", f"{where}{problem}") from None
    if not isinstance(data, dict):
        raise PolicyFileError(path, "", "must be a mapping of fields (key: value)")
    return data


def _validated(model: type[BaseModel], data: dict, path: Path):
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        raise PolicyFileError(path, _location(first["loc"]), first["msg"]) from None


def _location(loc: tuple) -> str:
    """('criteria', 2, 'params', 'weeks') -> 'criteria[2].params.weeks'."""
    out = ""
    for part in loc:
        if isinstance(part, str) and "[" in part:
            continue  # pydantic's tag for a member of a union type, not a field
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(file)"


def _load_payer(payer_dir: Path) -> Payer:
    path = payer_dir / PAYER_FILE
    if not path.is_file():
        raise PolicyFileError(path, "", "is missing: every payer folder needs one (key, name)")
    parsed: _PayerFile = _validated(_PayerFile, _read_yaml(path), path)
    if parsed.key != payer_dir.name:
        raise PolicyFileError(path, "key", f"must be the folder's name {payer_dir.name!r}")
    not_covered: dict[str, str] = {}
    for index, entry in enumerate(parsed.not_covered):
        if entry.cpt in not_covered:
            raise PolicyFileError(path, f"not_covered[{index}].cpt", f"{entry.cpt} is listed twice")
        not_covered[entry.cpt] = entry.reason
    for index, cpt in enumerate(parsed.requires_auth_codes):
        if cpt in not_covered:
            raise PolicyFileError(path, f"requires_auth_codes[{index}]", f"{cpt} is also listed as not covered")
    return Payer(key=parsed.key, name=parsed.name, auth_required_codes=frozenset(parsed.requires_auth_codes),
                 not_covered=not_covered, file=_shown(path))


def _load_policy(path: Path, payer: Payer) -> Policy:
    parsed: _PolicyFile = _validated(_PolicyFile, _read_yaml(path), path)
    if parsed.payer != payer.key:
        raise PolicyFileError(path, "payer", f"must be {payer.key!r}, the payer of its folder")
    regions: dict[str, frozenset[str] | None] = {}
    add_ons: set[str] = set()
    for index, code in enumerate(parsed.codes):
        if code.cpt in regions:
            raise PolicyFileError(path, f"codes[{index}].cpt", f"{code.cpt} is listed twice")
        if code.cpt in payer.not_covered:
            raise PolicyFileError(path, f"codes[{index}].cpt", f"{code.cpt} is not covered by {payer.file}")
        regions[code.cpt] = None if code.region is None else frozenset(code.region)
        if code.add_on:
            add_ons.add(code.cpt)
    if len(add_ons) == len(regions):
        raise PolicyFileError(path, "codes", "needs at least one code that is not an add-on")
    criteria: list[Criterion] = []
    for index, entry in enumerate(parsed.criteria):
        criteria.append(_criterion(path, index, entry, [c.id for c in criteria]))
    return Policy(
        id=parsed.id, payer=parsed.payer, name=parsed.name, procedure_type=parsed.procedure_type,
        cpt_codes=frozenset(regions), requires_auth=parsed.requires_auth, criteria=tuple(criteria),
        source=parsed.source, version=parsed.version, effective_from=parsed.effective_from,
        effective_to=parsed.effective_to, add_on_codes=frozenset(add_ons), regions=regions,
        source_url=parsed.source_url, file=_shown(path),
    )


def _criterion(path: Path, index: int, entry: _CriterionEntry, earlier: list[str]) -> Criterion:
    where = f"criteria[{index}]"
    kind = CRITERION_KINDS.get(entry.id)
    if kind is None:
        raise PolicyFileError(path, f"{where}.id",
                              f"unknown criterion {entry.id!r} (known: {', '.join(sorted(CRITERION_KINDS))})")
    if entry.id in earlier:
        raise PolicyFileError(path, f"{where}.id", f"{entry.id} is listed twice")
    for name in entry.params:
        if name not in kind.params:
            expected = ", ".join(kind.params) or "none"
            raise PolicyFileError(path, f"{where}.params.{name}", f"{entry.id} has no such parameter (it takes: {expected})")
    params: dict[str, float | int] = {}
    for name in kind.params:
        if name not in entry.params:
            raise PolicyFileError(path, f"{where}.params.{name}", f"missing: {entry.id} needs it")
        value = entry.params[name]
        if value < 0:
            raise PolicyFileError(path, f"{where}.params.{name}", "must not be negative")
        if name in kind.whole_params:
            if not float(value).is_integer() or value < 1:
                raise PolicyFileError(path, f"{where}.params.{name}", "must be a whole number of at least 1")
            value = int(value)
        params[name] = value
    return Criterion(id=entry.id, text=entry.text or default_text(entry.id, params), params=params)


def _check_together(payers: Mapping[str, Payer], policies: list[Policy]) -> None:
    """Across files: unique policy ids per payer, no code in two policies in effect on one day."""
    seen_ids: dict[tuple[str, str], Policy] = {}
    for policy in policies:
        if (policy.payer, policy.id) in seen_ids:
            raise PolicyFileError(policy.file, "id",
                                  f"{policy.id!r} is already the id of {seen_ids[policy.payer, policy.id].file}")
        seen_ids[policy.payer, policy.id] = policy
    for index, policy in enumerate(policies):
        for other in policies[:index]:
            if other.payer != policy.payer or not _overlap(policy, other):
                continue
            shared = sorted(policy.cpt_codes & other.cpt_codes)
            if shared:
                raise PolicyFileError(policy.file, "codes",
                                      f"{shared[0]} is also in {other.file} for overlapping effective dates")


def _overlap(a: Policy, b: Policy) -> bool:
    a_end = a.effective_to or datetime.date.max
    b_end = b.effective_to or datetime.date.max
    return a.effective_from <= b_end and b.effective_from <= a_end


def _shown(path: Path | str) -> str:
    """The path as a reader of the repository knows it: relative to the project when inside it."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(_PROJECT_DIR))
    except ValueError:
        return str(path)


# --- the process-wide set ----------------------------------------------------------------------

_loaded: PolicySet | None = None
_lock = threading.Lock()


def load_at_startup() -> PolicySet:
    """Load and keep the policy set (PriorauthConfig.ready); raises PolicyFileError."""
    global _loaded
    policies = load_policies()
    with _lock:
        _loaded = policies
    return policies


def policy_set() -> PolicySet:
    """The policies loaded at start-up (loaded now when start-up did not run, e.g. in a script)."""
    if _loaded is None:
        return load_at_startup()
    return _loaded
