"""Recording judges' scores and the committee's indicator values. All or nothing.

Scores are append-only: a new score of the same (entry, judge, item) is a new row that
supersedes the previous one. A judge who declares a conflict of interest on an entry gets a
conflict row; all their scores on that entry are then left out of the board. Every value is
checked against the rubric in force before anything is written; a file with one bad row writes
nothing and lists every bad row with its line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from scoring.rubric import validate_indicator_value, validate_judge_score
from services import audit
from services.boards import CONFLICT_CRITERION, find_entry, rubric_in_force
from services.csvfile import read_rows
from services.errors import BadInput, RowErrors, RowProblem
from store import boards as q
from store import queries
from store.enums import Role
from store.models import Challenge, Entry, IndicatorValue, JudgeScore, User

__all__ = [
    "IndicatorLine",
    "ScoreLine",
    "parse_pairs",
    "read_indicator_file",
    "read_score_file",
    "record_indicators",
    "record_scores",
]

YES = {"1", "y", "yes", "ya", "true", "benar", "x"}
NO = {"", "0", "n", "no", "tidak", "false", "salah"}
# An indicator value the committee explicitly records as unknown (it then follows the item's
# missing rule).
UNKNOWN = {"-", "unknown", "none", "tidak diketahui", "?"}


@dataclass(frozen=True)
class ScoreLine:
    """One judge's scores (or conflict) for one entry, as typed or read from a file."""

    judge: str
    entry: str
    scores: Mapping[str, str]  # item -> score text
    comment: str | None = None
    conflict: bool = False
    line: int | None = None  # the line in a file, for error messages
    problem: str | None = None  # what is wrong with the line as read, if anything


@dataclass(frozen=True)
class IndicatorLine:
    entry: str
    values: Mapping[str, str]  # indicator -> value text ("" = unknown)
    line: int | None = None


def parse_pairs(pairs: Iterable[str], what: str) -> dict[str, str]:
    """``key=value`` arguments as a dict; a malformed or repeated key is an error."""
    out: dict[str, str] = {}
    for raw in pairs:
        key, sep, value = raw.partition("=")
        key = key.strip().lower()
        if not sep or not key:
            raise BadInput(f"{raw!r}: expected {what}=VALUE")
        if key in out:
            raise BadInput(f"{key}: given twice")
        out[key] = value.strip()
    return out


def _number(text: str, field: str) -> float:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        raise BadInput(f"{field}: {text!r} is not a number") from None
    return value


def _judge(session: Session, username: str, cache: dict[str, User]) -> User:
    name = username.strip()
    if name in cache:
        return cache[name]
    user = queries.user_by_name(session, name)
    if user is None:
        raise BadInput(f"judge {name!r}: no such user")
    if user.role is not Role.JUDGE:
        raise BadInput(f"user {name!r} is a {user.role}, not a judge")
    if not user.active:
        raise BadInput(f"judge {name!r} is not active")
    cache[name] = user
    return user


def record_scores(
    session: Session,
    challenge: Challenge,
    lines: Iterable[ScoreLine],
    actor: str,
    *,
    source: str = "command line",
    now: datetime | None = None,
) -> int:
    """Check every line, then write all of them (or nothing). Returns the rows written."""
    when = (now or datetime.now(UTC)).astimezone(UTC)
    _, rubric = rubric_in_force(session, challenge, when)
    crit = rubric.judges
    if crit is None:
        raise BadInput(f"the rubric of {challenge.slug!r} has no judged criterion")
    assigned = q.judge_assignments(session, challenge.id)
    judges: dict[str, User] = {}
    entries: dict[str, Entry] = {}
    problems: list[RowProblem] = []
    planned: list[tuple[Entry, User, str, float | None, bool, str | None]] = []
    seen: dict[tuple[int, int, str], int | None] = {}
    for n, line in enumerate(lines, start=1):
        try:
            if line.problem:
                raise BadInput(line.problem)
            judge = _judge(session, line.judge, judges)
            key = line.entry.strip()
            if key not in entries:
                entries[key] = find_entry(session, challenge, key)
            entry = entries[key]
            if assigned and (entry.id, judge.id) not in assigned:
                raise BadInput(f"judge {judge.username!r} is not assigned to entry #{entry.id}")
            if line.conflict:
                if line.scores:
                    raise BadInput("a conflict of interest row cannot carry scores")
                items: list[tuple[str, float | None]] = [(CONFLICT_CRITERION, None)]
            else:
                if not line.scores:
                    raise BadInput("no score given")
                items = []
                for item, text in line.scores.items():
                    value: float | None = _number(text, item)
                    assert value is not None
                    try:
                        validate_judge_score(rubric, item, value)
                    except ValueError as exc:
                        raise BadInput(str(exc)) from None
                    items.append((item, value))
            for item, value in items:
                dup = (entry.id, judge.id, item)
                if dup in seen:
                    where = f" (line {seen[dup]})" if seen[dup] else ""
                    raise BadInput(
                        f"{item} of entry #{entry.id} by {judge.username} given twice{where}"
                    )
                seen[dup] = line.line
                planned.append((entry, judge, item, value, line.conflict, line.comment))
        except BadInput as exc:
            problems.append(RowProblem(line.line or n, str(exc)))
    if problems:
        if len(problems) == 1 and problems[0].line == 1 and source == "command line":
            raise BadInput(problems[0].message)
        raise RowErrors(source, problems)
    heads = q.judge_score_heads(session, challenge.id)
    for entry, judge, item, value, conflict, comment in planned:
        session.add(
            JudgeScore(
                challenge_id=challenge.id,
                entry_id=entry.id,
                judge_id=judge.id,
                criterion=item,
                score=value,
                conflict=conflict,
                comment=comment,
                created_at=when,
                supersedes_id=heads.get((entry.id, judge.id, item)),
            )
        )
    session.flush()
    row = audit.record(
        session,
        actor,
        "scores.record",
        "challenge",
        challenge.id,
        rows=len(planned),
        source=source,
        conflicts=sum(1 for p in planned if p[4]),
    )
    row.at = when
    return len(planned)


def record_indicators(
    session: Session,
    challenge: Challenge,
    lines: Iterable[IndicatorLine],
    actor: str,
    *,
    source: str = "command line",
    now: datetime | None = None,
) -> int:
    """Check every value against the rubric's anchors, then write all (or nothing)."""
    when = (now or datetime.now(UTC)).astimezone(UTC)
    _, rubric = rubric_in_force(session, challenge, when)
    if rubric.indicators is None:
        raise BadInput(f"the rubric of {challenge.slug!r} has no indicators criterion")
    entries: dict[str, Entry] = {}
    problems: list[RowProblem] = []
    planned: list[tuple[Entry, str, float | None]] = []
    seen: set[tuple[int, str]] = set()
    for n, line in enumerate(lines, start=1):
        try:
            key = line.entry.strip()
            if key not in entries:
                entries[key] = find_entry(session, challenge, key)
            entry = entries[key]
            if not line.values:
                raise BadInput("no indicator value given")
            for indicator, text in line.values.items():
                value: float | None = None
                if rubric.indicators.item(indicator) is None:
                    known = ", ".join(i.key for i in rubric.indicators.items)
                    raise BadInput(f"unknown indicator {indicator!r} (known: {known})")
                if not text.strip():
                    raise BadInput(f"{indicator}: no value (write 'unknown' for an unknown one)")
                if text.strip().lower() not in UNKNOWN:
                    value = _number(text, indicator)
                    try:
                        validate_indicator_value(rubric, indicator, value)
                    except ValueError as exc:
                        raise BadInput(str(exc)) from None
                if (entry.id, indicator) in seen:
                    raise BadInput(f"{indicator} of entry #{entry.id} given twice")
                seen.add((entry.id, indicator))
                planned.append((entry, indicator, value))
        except BadInput as exc:
            problems.append(RowProblem(line.line or n, str(exc)))
    if problems:
        if len(problems) == 1 and problems[0].line == 1 and source == "command line":
            raise BadInput(problems[0].message)
        raise RowErrors(source, problems)
    for entry, indicator, value in planned:
        session.add(
            IndicatorValue(
                challenge_id=challenge.id,
                entry_id=entry.id,
                indicator=indicator,
                value=value,
                set_by=actor,
                created_at=when,
            )
        )
    session.flush()
    row = audit.record(
        session,
        actor,
        "indicators.record",
        "challenge",
        challenge.id,
        rows=len(planned),
        source=source,
    )
    row.at = when
    return len(planned)


SCORE_COLUMNS = {
    "judge": "judge",
    "juri": "judge",
    "url": "entry",
    "link": "entry",
    "tautan": "entry",
    "entry": "entry",
    "entri": "entry",
    "criterion": "criterion",
    "item": "criterion",
    "kriteria": "criterion",
    "score": "score",
    "nilai": "score",
    "skor": "score",
    "comment": "comment",
    "komentar": "comment",
    "catatan": "comment",
    "conflict": "conflict",
    "konflik": "conflict",
    "konflik_kepentingan": "conflict",
}


def read_score_file(
    path: Path, rubric_items: Iterable[str], default_judge: str | None = None
) -> list[ScoreLine]:
    """Score lines from a CSV: long (criterion, score) or wide (one column per rubric item).

    Columns: judge (or --judge), url (or entry #id), then either ``criterion`` and ``score`` or
    one column per rubric item; optional ``comment`` and ``conflict`` (yes/no).
    """
    items = list(rubric_items)
    aliases = {**SCORE_COLUMNS, **{i: f"item:{i}" for i in items}}
    names, rows = read_rows(path, aliases, {"entry"})
    long = "criterion" in names or "score" in names
    if long and not {"criterion", "score"} <= set(names):
        raise BadInput(f"{path}: a long score file needs both 'criterion' and 'score' columns")
    wide_items = [n.removeprefix("item:") for n in names if n.startswith("item:")]
    if not long and not wide_items and "conflict" not in names:
        raise BadInput(
            f"{path}: no scores: give 'criterion' and 'score' columns, or one column per rubric "
            f"item ({', '.join(items)})"
        )
    if "judge" not in names and not default_judge:
        raise BadInput(f"{path}: no 'judge' column; add one or pass --judge")
    out: list[ScoreLine] = []
    for row in rows:
        v = row.values
        judge = v.get("judge") or default_judge or ""
        problem: str | None = None
        raw_conflict = v.get("conflict", "").strip().lower()
        conflict = raw_conflict in YES
        if raw_conflict not in YES | NO:
            problem = f"conflict {v.get('conflict')!r}: use yes/ya or no/tidak"
        if not judge:
            problem = "judge is empty"
        scores: dict[str, str]
        if long:
            crit = v.get("criterion", "").strip().lower()
            score = v.get("score", "").strip()
            scores = {} if conflict and not score else {crit: score}
            if not conflict and (not crit or not score):
                problem = problem or "criterion and score must both be given"
        else:
            scores = {i: v[f"item:{i}"] for i in wide_items if v.get(f"item:{i}", "").strip()}
        out.append(
            ScoreLine(
                judge=judge,
                entry=v.get("entry", ""),
                scores=scores,
                comment=v.get("comment") or None,
                conflict=conflict,
                line=row.line,
                problem=problem,
            )
        )
    return out


def read_indicator_file(path: Path, indicator_keys: Iterable[str]) -> list[IndicatorLine]:
    """Indicator lines from a CSV: url (or entry #id) and one column per indicator, or long
    ``indicator`` and ``value`` columns."""
    keys = list(indicator_keys)
    aliases = {
        "url": "entry",
        "link": "entry",
        "tautan": "entry",
        "entry": "entry",
        "entri": "entry",
        "indicator": "indicator",
        "indikator": "indicator",
        "value": "value",
        "nilai": "value",
        **{k: f"item:{k}" for k in keys},
    }
    names, rows = read_rows(path, aliases, {"entry"})
    long = "indicator" in names
    if long and "value" not in names:
        raise BadInput(f"{path}: an 'indicator' column needs a 'value' column")
    wide = [n.removeprefix("item:") for n in names if n.startswith("item:")]
    if not long and not wide:
        raise BadInput(f"{path}: no indicator columns (known: {', '.join(keys)})")
    out: list[IndicatorLine] = []
    for row in rows:
        v = row.values
        if long:
            values = {v.get("indicator", "").strip().lower(): v.get("value", "")}
        else:
            # A blank cell means "not given here"; write 'unknown' to record an unknown value.
            values = {k: v[f"item:{k}"] for k in wide if v.get(f"item:{k}", "").strip()}
        out.append(IndicatorLine(entry=v.get("entry", ""), values=values, line=row.line))
    return out
