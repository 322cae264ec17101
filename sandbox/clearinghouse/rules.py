"""The sandbox clearinghouse's rules as plain data: how the payers behind it acknowledge and pay
(the admin's SandboxRemitRule rows, or ``DEMO_RULES``). Pure.

A rule matches a service line by its procedure code, the claim's payer id and member id (blank:
any); the first match by priority decides the line. Its action:

- ``pay``: allowed = ``fee`` x units when a fee is set, else ``allowed_percent`` of the charge
  (the default percent when neither is); the charge above the allowed amount is CO-45; the
  patient owes PR-3 ``copay``, then PR-1 ``deductible``, then PR-2 ``coinsurance_percent`` of what
  is left, each on this line. Unless ``requires_authorization`` and the claim has no REF*G1 (the
  line is denied CO-197, RARC M62), or one of ``bundled_into`` is billed on the same claim (CO-97,
  RARC M15).
- ``deny``: the whole charge is CO-``reason_code`` (50: not medically necessary, ...) with
  ``remark_codes``.
- ``reject``: the claim is rejected in the 277CA with ``status_code`` (``A7:164:IL``), never paid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

PAY, DENY, REJECT = "pay", "deny", "reject"
ACTIONS = (PAY, DENY, REJECT)

# CARCs a line is denied with, and the remark codes that usually go with them.
MISSING_AUTHORIZATION = ("197", ("M62",))  # precertification/authorization absent; missing authorization number
BUNDLED = ("97", ("M15",))  # included in another service billed; separately billed services bundled
NOT_MEDICALLY_NECESSARY = ("50", ("N115",))  # not deemed a medical necessity; decision based on an LCD


class RuleError(ValueError):
    """A rule that cannot be applied; the message names the field at fault."""


@dataclass(frozen=True)
class Rule:
    name: str
    action: str = PAY
    code: str = ""  # CPT/HCPCS; "" for any
    payer_id: str = ""
    member_id: str = ""
    priority: int = 100  # lower first
    requires_authorization: bool = False
    bundled_into: tuple[str, ...] = ()
    allowed_percent: Decimal | None = None
    fee: Decimal | None = None  # allowed per unit
    copay: Decimal = Decimal("0.00")  # PR-3
    deductible: Decimal = Decimal("0.00")  # PR-1
    coinsurance_percent: Decimal = Decimal("0")  # PR-2
    reason_code: str = ""  # deny: the CARC
    remark_codes: tuple[str, ...] = ()  # deny: RARCs
    status_code: str = ""  # reject: STC01 as category:code[:entity]

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise RuleError(f"action: {self.action!r} is not one of {', '.join(ACTIONS)}")
        for name in ("allowed_percent", "coinsurance_percent"):
            value = getattr(self, name)
            if value is not None and not Decimal(0) <= Decimal(value) <= Decimal(100):
                raise RuleError(f"{name}: must be between 0 and 100")
        for name in ("fee", "copay", "deductible"):
            value = getattr(self, name)
            if value is not None and Decimal(value) < 0:
                raise RuleError(f"{name}: must not be negative")
        if self.action == DENY and not self.reason_code:
            raise RuleError("reason_code: a denial needs its claim adjustment reason code (CARC)")
        if self.action == REJECT and len(self.status_code.split(":")) < 2:
            raise RuleError("status_code: a rejection needs category:code (e.g. A7:164:IL)")

    def matches(self, *, code: str, payer_id: str, member_id: str) -> bool:
        return ((not self.code or self.code == code) and (not self.payer_id or self.payer_id == payer_id)
                and (not self.member_id or self.member_id == member_id))


def ordered(rules: Sequence[Rule]) -> list[Rule]:
    return [rule for _, rule in sorted(enumerate(rules), key=lambda pair: (pair[1].priority, pair[0]))]


def line_rule(rules: Sequence[Rule], *, code: str, payer_id: str, member_id: str, default: Rule) -> Rule:
    """The pay or deny rule that decides a line: the first match by priority, else ``default``."""
    return next((rule for rule in ordered(rules) if rule.action != REJECT
                 and rule.matches(code=code, payer_id=payer_id, member_id=member_id)), default)


def default_rule(allowed_percent: Decimal) -> Rule:
    return Rule(name=f"default: pay {allowed_percent}% of charge", allowed_percent=allowed_percent, priority=10**6)


# What `manage.py sandbox_clearinghouse_rules` loads when given no file (settings may replace it):
# an interventional pain practice's usual outcomes, so the demo's remittances are worth reading.
_PAIN_PROCEDURES_WITH_IMAGING = ("62321", "62323", "64479", "64483", "64490", "64493", "64633", "64635")
DEMO_RULES: list[dict] = [
    {"name": "Transforaminal epidural injections need authorization", "code": "64483",
     "requires_authorization": True, "fee": "410.00", "coinsurance_percent": "20", "priority": 10},
    {"name": "Transforaminal epidural add-on levels need authorization", "code": "64484",
     "requires_authorization": True, "fee": "160.00", "coinsurance_percent": "20", "priority": 10},
    {"name": "Interlaminar epidural injections need authorization", "code": "62323",
     "requires_authorization": True, "fee": "310.00", "deductible": "100.00", "priority": 10},
    {"name": "Facet joint injections need authorization", "code": "64493",
     "requires_authorization": True, "allowed_percent": "60", "priority": 10},
    {"name": "Radiofrequency ablation without documented diagnostic blocks", "code": "64635",
     "action": "deny", "reason_code": "50", "remark_codes": ["N115"], "priority": 10},
    {"name": "Fluoroscopic guidance is included in the injection", "code": "77003",
     "bundled_into": list(_PAIN_PROCEDURES_WITH_IMAGING), "allowed_percent": "60", "priority": 10},
    {"name": "Established patient visits: copay", "code": "99213", "fee": "92.00", "copay": "30.00",
     "priority": 20},
    {"name": "Established patient visits: copay (level 4)", "code": "99214", "fee": "131.00", "copay": "30.00",
     "priority": 20},
]


_DECIMALS = ("allowed_percent", "fee", "copay", "deductible", "coinsurance_percent")
_TUPLES = ("bundled_into", "remark_codes")
FIELDS = ("name", "action", "code", "payer_id", "member_id", "priority", "requires_authorization",
          *_TUPLES, *_DECIMALS, "reason_code", "status_code")


def rule_from_dict(entry: object) -> Rule:
    """A rule from a mapping of its fields (JSON: money and percents as strings or numbers, codes as
    lists); raises ``RuleError`` naming the field at fault."""
    if not isinstance(entry, dict):
        raise RuleError("a rule must be a mapping of fields")
    unknown = set(entry) - set(FIELDS)
    if unknown:
        raise RuleError(f"unknown field(s) {', '.join(sorted(unknown))}")
    if not entry.get("name"):
        raise RuleError("name is required")
    values = dict(entry)
    for name in _DECIMALS:
        if values.get(name) is not None:
            try:
                values[name] = Decimal(str(values[name]))
            except ArithmeticError:
                raise RuleError(f"{name}: {values[name]!r} is not a number") from None
            if not values[name].is_finite():
                raise RuleError(f"{name}: must be a finite number")
    for name in ("copay", "deductible", "coinsurance_percent"):
        if values.get(name) is None:
            values.pop(name, None)
    for name in _TUPLES:
        if name in values:
            given = values[name]
            if isinstance(given, str):
                given = [part for part in given.replace(",", " ").split() if part]
            values[name] = tuple(str(code) for code in given or ())
    try:
        return Rule(**values)
    except TypeError as exc:
        raise RuleError(str(exc)) from None
