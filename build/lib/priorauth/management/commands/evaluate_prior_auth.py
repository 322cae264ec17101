"""python manage.py evaluate_prior_auth: check a payer policy against note files, with no database.

    evaluate_prior_auth --note FILE [--note FILE ...] --cpt CODE --payer KEY [--date YYYY-MM-DD]
    evaluate_prior_auth --batch CASES.jsonl   # {"notes": [...], "cpt": ..., "payer": ..., "date": ...} a line

Prints one JSON object per case (one line each with --batch), as shared/specs/prior-auth-criteria.md
says. Notes are read with the extractor; facts from several notes are merged, the newest winning.
``--date`` is the planned date of the procedure and the date of a note whose header states none.
Every input is checked before anything is printed; a problem exits non-zero with a message.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from priorauth.policies import UnknownPayer, policy_set
from priorauth.policies.loader import CPT_PATTERN

_CPT = re.compile(CPT_PATTERN)


@dataclass(frozen=True)
class Case:
    notes: tuple[Path, ...]
    cpt: str
    payer: str
    date: datetime.date | None


def _date(value: object, where: str) -> datetime.date:
    # fromisoformat alone would also take "20250601" and week dates; the spec says YYYY-MM-DD.
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    raise CommandError(f"{where}date must be YYYY-MM-DD, not {value!r}")


class Command(BaseCommand):
    help = "Evaluate a payer policy's prior-authorization criteria on note files (no database)."
    # System checks may reach the database; this command must work without one.
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("--note", action="append", default=[], metavar="FILE", help="a note (text file)")
        parser.add_argument("--cpt", help="the planned procedure's CPT/HCPCS code, e.g. 64483")
        parser.add_argument("--payer", help="payer key, e.g. medicare or commercial")
        parser.add_argument("--date", help="planned date, YYYY-MM-DD (default today); also the date of undated notes")
        parser.add_argument("--batch", metavar="CASES.jsonl", help="one case per line instead of --note/--cpt/--payer")

    def handle(self, *args, note: list[str], cpt: str | None, payer: str | None, date: str | None,
               batch: str | None, **options):
        if batch:
            if note or cpt or payer or date:
                raise CommandError("--batch takes its cases from the file; leave out --note, --cpt, --payer and --date")
            cases = self._read_batch(Path(batch))
        else:
            missing = [flag for flag, value in (("--note", note), ("--cpt", cpt), ("--payer", payer)) if not value]
            if missing:
                raise CommandError(f"missing {', '.join(missing)} (or give --batch CASES.jsonl)")
            case = Case(notes=tuple(Path(n) for n in note), cpt=cpt, payer=payer,
                        date=_date(date, "--") if date else None)
            self._check(case, where="")
            cases = [case]
        texts = self._read_notes(cases)
        for case in cases:
            result = self._evaluate(case, texts)
            if batch:
                self.stdout.write(json.dumps(result, ensure_ascii=False))
            else:
                self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))

    def _read_batch(self, path: Path) -> list[Case]:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            raise CommandError(f"{path}: no such file") from None
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: cannot be read ({error.__class__.__name__})") from None
        cases = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{path}: line {number}: "
            try:
                data = json.loads(line)
            except json.JSONDecodeError as error:
                raise CommandError(f"{where}not valid JSON ({error.msg})") from None
            if not isinstance(data, dict):
                raise CommandError(f"{where}must be a JSON object with notes, cpt, payer and date")
            unknown = sorted(set(data) - {"notes", "cpt", "payer", "date"})
            if unknown:
                raise CommandError(f"{where}unknown field {unknown[0]!r} (a case has notes, cpt, payer, date)")
            notes = data.get("notes")
            if not isinstance(notes, list) or not notes or not all(isinstance(n, str) and n for n in notes):
                raise CommandError(f"{where}notes must be a non-empty list of file paths")
            for field in ("cpt", "payer"):
                if not isinstance(data.get(field), str) or not data[field]:
                    raise CommandError(f"{where}{field} must be a non-empty string")
            raw_date = data.get("date")
            case = Case(notes=tuple(self._note_path(n, path.parent) for n in notes), cpt=data["cpt"],
                        payer=data["payer"], date=_date(raw_date, where) if raw_date is not None else None)
            self._check(case, where)
            cases.append(case)
        if not cases:
            raise CommandError(f"{path}: no cases")
        return cases

    @staticmethod
    def _note_path(name: str, batch_dir: Path) -> Path:
        """A relative note path is read from the working directory, else beside the batch file."""
        path = Path(name)
        if path.is_absolute() or path.exists():
            return path
        beside = batch_dir / path
        return beside if beside.exists() else path

    @staticmethod
    def _check(case: Case, where: str) -> None:
        if not _CPT.match(case.cpt):
            raise CommandError(f"{where}CPT code {case.cpt!r} is not a CPT or HCPCS code (five digits, e.g. 64483, "
                               "or a letter and four digits, e.g. G0260)")
        try:
            policy_set().payer(case.payer)
        except UnknownPayer as error:
            raise CommandError(f"{where}{error}") from None

    @staticmethod
    def _read_notes(cases: list[Case]) -> dict[Path, str]:
        texts: dict[Path, str] = {}
        for case in cases:
            for path in case.notes:
                if path in texts:
                    continue
                try:
                    raw = path.read_bytes()
                except FileNotFoundError:
                    raise CommandError(f"{path}: no such note file") from None
                except OSError as error:
                    raise CommandError(f"{path}: cannot be read ({error.strerror or error.__class__.__name__})") from None
                texts[path] = raw.decode("utf-8", errors="replace")
        return texts

    @staticmethod
    def _evaluate(case: Case, texts: dict[Path, str]) -> dict:
        # Imported here: the extractor loads spaCy, which only a run that gets this far needs.
        from documentation.nlp.extract import extract_facts
        from priorauth.criteria import NoteFactsInput, evaluate, merge_facts

        notes = []
        for path in case.notes:
            facts = extract_facts(texts[path], note_date=case.date)
            notes.append(NoteFactsInput(note=str(path), date=None, facts=facts))
        planned = case.date or datetime.date.today()
        evaluation = evaluate(payer=case.payer, cpt=case.cpt, facts=merge_facts(notes), planned=planned)
        return {
            "payer": evaluation.payer, "cpt": evaluation.cpt, "requires_auth": evaluation.requires_auth,
            "policy": evaluation.policy.id if evaluation.policy else None, "ready": evaluation.ready,
            "reason": evaluation.reason,
            "criteria": [
                {"id": c.id, "text": c.text, "status": c.status,
                 "evidence": [{"start": e.start, "end": e.end, "text": e.text} for e in c.evidence],
                 "missing": c.missing}
                for c in evaluation.criteria
            ],
        }
