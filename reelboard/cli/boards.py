"""Board commands: leaderboard, explain, score, indicator, freeze, publish, verify, disqualify."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from reelboard.cli.common import Failure, Format, console, emit, get_app
from scoring.board import Board, BoardRow
from scoring.export import plain
from services import boards, judging, registry
from services.audit import cli_actor
from services.boards import BoardFailure, BoardView
from services.errors import BadInput
from services.timeparse import parse_local, show_local


class Segment(StrEnum):
    tier = "tier"
    province = "province"
    platform = "platform"


@contextmanager
def _failures() -> Iterator[None]:
    """Stored data that cannot make a board: exit code 1 with the reason."""
    try:
        yield
    except BoardFailure as exc:
        raise Failure(str(exc)) from None


def _as_of(raw: str | None, tz: str) -> Any:
    return parse_local(raw, tz, field="--as-of") if raw else None


def _num(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _flat(board: Board, row: BoardRow) -> dict[str, Any]:
    out: dict[str, Any] = {
        "place": row.rank,
        "total": row.total,
        "library": row.library,
        "platform": row.platform,
        "tier": row.tier,
        "province": row.province,
        "pillar": row.pillar,
    }
    for c in row.criteria:
        out[c.key] = c.score
    out["flags"] = ", ".join(sorted({f.signal for f in row.flags})) or None
    out["note"] = row.unranked_reason or (row.status if row.status != "active" else None)
    out["url"] = row.url
    out["entry_id"] = row.entry_id
    return out


def leaderboard(
    slug: Annotated[str, typer.Argument(help="The challenge.")],
    as_of: Annotated[
        str | None,
        typer.Option(help="The board as of this time (ISO; challenge's zone). Default: now."),
    ] = None,
    segment: Annotated[
        Segment | None, typer.Option(help="Places within each tier, province or platform.")
    ] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """The leaderboard: places, totals and criterion scores (0-100) of every entry."""
    app = get_app()
    with _failures(), app.transaction() as session:
        challenge = registry.require_challenge(session, slug)
        view = boards.build_board(
            session, challenge, _as_of(as_of, challenge.timezone), sensitivity=False
        )
        tz = challenge.timezone
    board = view.board
    keys = [c.key for c in view.rubric.criteria]
    base_columns = ["place", "total", "library", "platform", "tier", "province", *keys]
    stamp = show_local(board.as_of, tz)
    state = "final" if board.final else "provisional"
    title = (
        f"{challenge.title}: {state} board as of {stamp} (rubric v{view.rubric_version.version})"
    )
    if segment is None:
        rows = [_flat(board, r) for r in board.rows]
        if format is Format.table:
            _print_table(title, board.rows, keys, None, board.decimals)
        else:
            emit(rows, format, [*base_columns, "pillar", "flags", "note", "url", "entry_id"], title)
        return
    dim = segment.value
    rows = []
    for value, members in board.segment(dim).items():
        for r in members:
            flat = _flat(board, r)
            flat = {"segment": value, "segment_place": r.segment_ranks[dim], **flat}
            rows.append(flat)
    columns = ["segment", "segment_place", *base_columns, "flags", "url"]
    if format is not Format.table:
        emit(rows, format, columns, title)
        return
    for value, members in board.segment(dim).items():
        _print_table(f"{title}\n{dim}: {value}", members, keys, dim, board.decimals)


PLATFORM_SHORT = {"instagram": "IG", "facebook": "FB", "tiktok": "TT", "youtube": "YT"}


def _print_table(
    title: str, rows: Sequence[BoardRow], keys: Sequence[str], segment: str | None, decimals: int
) -> None:
    """A board as fixed-width lines that fit a terminal (long names cut; all details are in
    csv/json and `reelboard explain`)."""
    width = max(console.width, 60)
    lib_w = min(28, max([len("library"), *(len(r.library) for r in rows)]))
    heads = [h[:6] for h in keys]
    lines = []
    head = ("seg " if segment else "") + f"{'#':>3} {'total':>5}  {'library':<{lib_w}} pf "
    head += " ".join(f"{h:>6}" for h in heads) + "  note"
    lines.append(head)
    for r in rows:
        scores = {c.key: c.score for c in r.criteria}
        note = r.unranked_reason or ""
        if r.flags:
            flags = ",".join(sorted({f.signal for f in r.flags}))
            note = f"{note} flag: {flags}".strip()
        name = r.library if len(r.library) <= lib_w else r.library[: lib_w - 1] + "…"
        line = f"{r.segment_ranks.get(segment) or '':>3} " if segment else ""
        line += f"{'' if r.rank is None else r.rank:>3} "
        total = "" if r.total is None else f"{r.total:.{decimals}f}"
        line += f"{total:>5}  {name:<{lib_w}} "
        line += f"{PLATFORM_SHORT.get(r.platform, r.platform[:2]):<2} "
        line += " ".join(f"{_num(scores[k]):>6}" for k in keys)
        room = width - len(line) - 2
        if note and room > 4:
            line += "  " + (note if len(note) <= room else note[: room - 1] + "…")
        lines.append(line)
    console.print(title, style="bold", highlight=False)
    console.print("\n".join(lines), markup=False, highlight=False, soft_wrap=True)


def _explain_text(view: BoardView, row: BoardRow, tz: str, judges: dict[int, str]) -> None:
    board = view.board
    head = Table(show_header=False, title=f"{row.library} ({row.platform})", title_justify="left")
    head.add_column("what")
    head.add_column("value")
    head.add_row("entry", f"#{row.entry_id} {row.url}")
    head.add_row(
        "board", f"as of {show_local(board.as_of, tz)}, rubric v{view.rubric_version.version}"
    )
    head.add_row("inputs sha256", board.inputs_sha256)
    place = "-" if row.rank is None else str(row.rank)
    head.add_row("place", f"{place}  (total {_num(row.total, board.decimals)})")
    if row.unranked_reason:
        head.add_row("not placed", row.unranked_reason)
    head.add_row(
        "places within", ", ".join(f"{k} {v or '-'}" for k, v in row.segment_ranks.items())
    )
    head.add_row("tier / province", f"{row.tier} / {row.province}")
    if row.status != "active":
        head.add_row("status", f"{row.status} {row.status_reason or ''}")
    console.print(head)

    crit = Table(title="Criteria (0-100)", title_justify="left")
    for col in ("criterion", "weight", "used weight", "score", "weighted", "missing"):
        crit.add_column(col)
    for c in row.criteria:
        crit.add_row(
            c.key,
            f"{c.weight:g}",
            f"{c.effective_weight:.4g}",
            _num(c.score),
            _num(c.weighted),
            c.missing_reason or "",
        )
    console.print(crit)

    for c in row.criteria:
        if c.creativity is not None:
            cr = c.creativity
            t = Table(
                title=(
                    f"{c.key}: judges (committee only) raw mean {_num(cr.raw_mean)}, "
                    f"corrected {_num(cr.corrected)}"
                ),
                title_justify="left",
            )
            for col in ("judge", "items", "raw", "corrected", "calibrated", "note"):
                t.add_column(col)
            for card in cr.scorecards:
                note = ", ".join(
                    x
                    for x in (
                        "trimmed" if card.trimmed else "",
                        "" if card.complete else "incomplete",
                    )
                    if x
                )
                t.add_row(
                    judges.get(card.judge_id, str(card.judge_id)),
                    " ".join(f"{k}={v:g}" for k, v in card.items),
                    _num(card.raw),
                    _num(card.corrected),
                    "yes" if card.calibrated else "no",
                    note,
                )
            for judge in cr.conflicted_judges:
                name = judges.get(judge, str(judge))
                t.add_row(name, "", "", "", "", "conflict of interest: excluded")
            console.print(t)
        if c.audience is not None:
            a = c.audience
            t = Table(show_header=False, title=f"{c.key}: counts used", title_justify="left")
            t.add_column("what")
            t.add_column("value")
            snap = a.snapshot
            if snap is None:
                t.add_row("snapshot", "none at or before the cutoff")
            else:
                t.add_row(
                    "snapshot",
                    f"#{snap.snapshot_id} ({snap.source}) collected "
                    f"{show_local(snap.collected_at, tz)}",
                )
                t.add_row("cutoff", show_local(a.cutoff, tz) if a.cutoff else "")
                t.add_row("age at snapshot", f"{_num(a.age_days, 1)} days")
                for name in ("views", "likes", "comments", "shares", "saves", "reach"):
                    value = snap.count(name)
                    t.add_row(name, "hidden (null)" if value is None else f"{value:,}")
            t.add_row(
                "followers at posting",
                "unknown"
                if a.followers is None
                else f"{a.followers:,} ({show_local(a.followers_at, tz)})",
            )
            t.add_row("interaction types", ", ".join(a.interaction_types) or "none")
            t.add_row("weighted interactions", _num(a.weighted_interactions))
            t.add_row("rate / shrunk rate", f"{_num(a.rate, 4)} / {_num(a.shrunk_rate, 4)}")
            t.add_row("reach value", _num(a.reach_value, 3))
            t.add_row(
                "reach / resonance percentile",
                f"{_num(_f(a.reach_percentile))} / {_num(_f(a.resonance_percentile))}",
            )
            console.print(t)
        if c.indicators is not None:
            t = Table(title=f"{c.key}: indicators", title_justify="left")
            for col in ("indicator", "value", "points", "weight", "rule"):
                t.add_column(col)
            for item in c.indicators.items:
                t.add_row(
                    item.key,
                    "" if item.value is None else f"{item.value:g}",
                    _num(_f(item.points)),
                    f"{item.weight:g}",
                    f"missing: {item.rule_applied}" if item.rule_applied else "",
                )
            console.print(t)
    if row.flags:
        t = Table(title="Integrity flags (for review; they change nothing)", title_justify="left")
        for col in ("signal", "value", "modified z", "threshold", "interval"):
            t.add_column(col)
        for f in row.flags:
            interval = (
                f"{show_local(f.start, tz)} - {show_local(f.end, tz)}" if f.start and f.end else ""
            )
            t.add_row(f.signal, f"{f.value:g}", _num(f.modified_z), f"{f.threshold:g}", interval)
        console.print(t)
    for n in row.notes:
        console.print(f"note: {n.code} {n.detail}")


def _f(value: Any) -> float | None:
    return None if value is None else float(value)


def explain(
    slug: Annotated[str, typer.Argument(help="The challenge.")],
    entry: Annotated[str, typer.Argument(help="The entry's post URL or #id.")],
    as_of: Annotated[str | None, typer.Option(help="As of this time (default: now).")] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.table,
) -> None:
    """How an entry's place was reached: inputs, snapshot used, each criterion, judges, flags."""
    app = get_app()
    with _failures(), app.transaction() as session:
        challenge = registry.require_challenge(session, slug)
        found = boards.find_entry(session, challenge, entry)
        view = boards.build_board(session, challenge, _as_of(as_of, challenge.timezone))
        tz = challenge.timezone
        row = view.row_for(found)
        judges = boards.judge_names(session, view.board)
    if format is Format.json:
        sys.stdout.write(json.dumps(plain(row), ensure_ascii=False, indent=2) + "\n")
        return
    if format is Format.csv:
        raise BadInput("--format: explain prints table or json")
    _explain_text(view, row, tz, judges)
    moved = [
        s
        for s in view.board.sensitivity
        if any(p.entry_id == row.entry_id for p in s.podium_changes)
    ]
    for s in moved:
        change = next(p for p in s.podium_changes if p.entry_id == row.entry_id)
        console.print(
            f"sensitivity: with {s.criterion} {s.delta:+g} the place would be "
            f"{change.rank or '-'} instead of {change.base_rank or '-'}"
        )


def score(
    slug: Annotated[str, typer.Argument(help="The challenge.")],
    entry: Annotated[str | None, typer.Argument(help="The entry's post URL or #id.")] = None,
    scores: Annotated[
        list[str] | None, typer.Argument(help="ITEM=SCORE pairs, e.g. originality=8 craft=7.")
    ] = None,
    judge: Annotated[str | None, typer.Option(help="The judge's user name.")] = None,
    comment: Annotated[str | None, typer.Option(help="A comment kept with the scores.")] = None,
    conflict: Annotated[
        bool, typer.Option("--conflict", help="Declare a conflict of interest instead.")
    ] = False,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="CSV of scores: judge, url, and criterion+score or one column per item.",
        ),
    ] = None,
) -> None:
    """Record judges' scores: one scorecard from the command line, or a CSV (all or nothing)."""
    app = get_app()
    with _failures(), app.transaction() as session:
        challenge = registry.require_challenge(session, slug)
        if file is not None:
            if entry or scores or conflict or comment:
                raise BadInput("--file: give either a file or an entry with scores, not both")
            _, rubric = boards.rubric_in_force(session, challenge)
            items = [i.key for i in rubric.judges.items] if rubric.judges else []
            lines = judging.read_score_file(file, items, judge)
            source = str(file)
        else:
            if not entry:
                raise BadInput("give the entry (URL or #id) and ITEM=SCORE pairs, or --file")
            if not judge:
                raise BadInput("--judge: whose scores are these?")
            pairs = judging.parse_pairs(scores or [], "ITEM")
            lines = [judging.ScoreLine(judge, entry, pairs, comment, conflict)]
            source = "command line"
        written = judging.record_scores(session, challenge, lines, cli_actor(), source=source)
    console.print(f"Recorded {written} score row(s) for {challenge.slug}.")


def indicator(
    slug: Annotated[str, typer.Argument(help="The challenge.")],
    entry: Annotated[str | None, typer.Argument(help="The entry's post URL or #id.")] = None,
    values: Annotated[
        list[str] | None,
        typer.Argument(help="INDICATOR=VALUE pairs, e.g. captions=1; 'unknown' for unknown."),
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="CSV: url and one column per indicator.")
    ] = None,
) -> None:
    """Record the committee's indicator values (checklist items), all or nothing."""
    app = get_app()
    with _failures(), app.transaction() as session:
        challenge = registry.require_challenge(session, slug)
        if file is not None:
            if entry or values:
                raise BadInput("--file: give either a file or an entry with values, not both")
            _, rubric = boards.rubric_in_force(session, challenge)
            keys = [i.key for i in rubric.indicators.items] if rubric.indicators else []
            lines = judging.read_indicator_file(file, keys)
            source = str(file)
        else:
            if not entry:
                raise BadInput("give the entry (URL or #id) and INDICATOR=VALUE pairs, or --file")
            pairs = judging.parse_pairs(values or [], "INDICATOR")
            lines = [judging.IndicatorLine(entry, pairs)]
            source = "command line"
        written = judging.record_indicators(session, challenge, lines, cli_actor(), source=source)
    console.print(f"Recorded {written} indicator value(s) for {challenge.slug}.")


def freeze(slug: Annotated[str, typer.Argument(help="The challenge.")]) -> None:
    """Freeze the final board (after the close): stored with its rubric and inputs hash."""
    app = get_app()
    with _failures(), app.transaction() as session:
        challenge = registry.require_challenge(session, slug)
        row = boards.freeze(session, challenge, cli_actor())
        placed = sum(1 for r in row.board["rows"] if r["rank"] is not None)
        stamp = show_local(row.as_of, challenge.timezone)
    console.print(
        f"Froze the board of {slug} as of {stamp}: {placed} placed entries, "
        f"inputs sha256 {row.inputs_sha256}."
    )


def publish(slug: Annotated[str, typer.Argument(help="The challenge.")]) -> None:
    """Publish the frozen board (it becomes public)."""
    app = get_app()
    with _failures(), app.transaction() as session:
        challenge = registry.require_challenge(session, slug)
        row = boards.publish(session, challenge, cli_actor())
        stamp = show_local(row.published_at, challenge.timezone)
    console.print(f"Published the board of {slug} at {stamp}.")


def verify(slug: Annotated[str, typer.Argument(help="The challenge.")]) -> None:
    """Recompute the frozen board from the database and compare (exit 1 if it differs)."""
    app = get_app()
    with _failures(), app.transaction() as session:
        challenge = registry.require_challenge(session, slug)
        result = boards.verify(session, challenge)
    if result.ok:
        console.print(
            f"The frozen board of {slug} recomputes identically "
            f"(inputs sha256 {result.frozen.inputs_sha256})."
        )
        return
    lines = [f"The frozen board of {slug} does not recompute identically:"]
    if not result.same_inputs:
        lines.append(
            f"  inputs changed: frozen {result.frozen.inputs_sha256}, "
            f"now {result.recomputed_sha256}"
        )
    lines += [f"  {d}" for d in result.differences] or ["  (details of the board differ)"]
    raise Failure("\n".join(lines))


def disqualify(
    slug: Annotated[str, typer.Argument(help="The challenge.")],
    entry: Annotated[str, typer.Argument(help="The entry's post URL or #id.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log).")],
) -> None:
    """Disqualify an entry (a committee action, recorded with its reason)."""
    app = get_app()
    with app.transaction() as session:
        challenge = registry.require_challenge(session, slug)
        found = boards.disqualify(session, challenge, entry, reason, cli_actor())
        console.print(f"Entry #{found.id} {found.canonical_url} is disqualified: {reason.strip()}")


def reinstate(
    slug: Annotated[str, typer.Argument(help="The challenge.")],
    entry: Annotated[str, typer.Argument(help="The entry's post URL or #id.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log).")],
) -> None:
    """Undo a disqualification (recorded with its reason)."""
    app = get_app()
    with app.transaction() as session:
        challenge = registry.require_challenge(session, slug)
        found = boards.reinstate(session, challenge, entry, reason, cli_actor())
        console.print(f"Entry #{found.id} {found.canonical_url} competes again.")
