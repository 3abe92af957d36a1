"""The board commands: leaderboard, explain, score, indicator, freeze, publish, verify,
disqualify. Exit codes: 0 done, 2 bad input (message on stderr), 1 failure."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from services.app import App
from store.enums import MetricSource
from store.models import AuditLog, Entry, IndicatorValue, JudgeScore, MetricSnapshot
from tests.conftest import Cli
from tests.test_boards import day, load_handworked


def test_leaderboard_formats_and_segments(cli: Cli, app: App) -> None:
    contest = load_handworked(app)
    result = cli("leaderboard", "uji", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["library"] for r in rows[:4]] == ["Perpus D", "Perpus A", "Perpus C", "Perpus B"]
    assert [r["place"] for r in rows] == ["1", "2", "3", "4", "", ""]
    assert rows[0]["total"] == "73.9" and rows[0]["creativity"] == "77.78"
    assert rows[4]["note"] == "missing:creativity:no_judge_scores"
    assert rows[5]["note"] == "disqualified"
    assert set(rows[0]) >= {"place", "total", "audience", "other", "flags", "url"}

    result = cli("leaderboard", "uji", "-f", "json", "--segment", "tier")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    tiers = {(r["segment"], r["segment_place"], r["library"]) for r in data}
    assert tiers == {
        ("kabupaten_kota", 1, "Perpus D"),
        ("kabupaten_kota", 2, "Perpus A"),
        ("desa_kelurahan", 1, "Perpus C"),
        ("desa_kelurahan", 2, "Perpus B"),
    }

    result = cli("leaderboard", "uji")
    assert result.exit_code == 0, result.output
    assert "final board" in result.stdout and "73.9" in result.stdout
    result = cli("leaderboard", "uji", "--segment", "province")
    assert result.exit_code == 0 and "province: Bali" in result.stdout

    # As of the middle of the contest (in the challenge's zone): provisional, judges not yet
    # there, so nothing is placed under the default "unranked" rule.
    result = cli("leaderboard", "uji", "--as-of", "2025-08-20T12:00", "-f", "json")
    assert result.exit_code == 0, result.output
    assert all(r["place"] is None for r in json.loads(result.stdout))
    assert contest.entries


def test_leaderboard_bad_input(cli: Cli, app: App) -> None:
    load_handworked(app)
    result = cli("leaderboard", "nope")
    assert result.exit_code == 2 and "no challenge with slug 'nope'" in result.stderr
    result = cli("leaderboard", "uji", "--as-of", "yesterday")
    assert result.exit_code == 2 and "--as-of" in result.stderr
    result = cli("leaderboard", "uji", "--segment", "island")
    assert result.exit_code == 2


def test_explain_shows_the_breakdown(cli: Cli, app: App) -> None:
    contest = load_handworked(app)
    d = contest.entries["D"]
    result = cli("explain", "uji", f"#{d}")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in ("Criteria (0-100)", "77.78", "62.50", "81.25", "juri", "followers at posting"):
        assert text in out or "judges (committee only)" in out, text
    assert "places within" in out and "tier 1" in out
    result = cli("explain", "uji", f"#{d}", "-f", "json")
    row = json.loads(result.stdout)
    assert row["rank"] == 1 and row["total"] == 73.9
    assert row["criteria"][1]["audience"]["snapshot"]["views"] == 2999
    with app.transaction() as s:
        entry = s.get(Entry, d)
        assert entry is not None
        url = entry.canonical_url
    assert cli("explain", "uji", url).exit_code == 0
    result = cli("explain", "uji", "https://www.instagram.com/reel/DXyzXyzXyzA/")
    assert result.exit_code == 2 and "is not an entry" in result.stderr
    result = cli("explain", "uji", "https://example.com/x")
    assert result.exit_code == 2 and "not Instagram" in result.stderr


def test_score_from_the_command_line(cli: Cli, app: App) -> None:
    contest = load_handworked(app)
    b = f"#{contest.entries['B']}"
    with app.transaction() as s:
        before = len(s.scalars(select(JudgeScore)).all())
    ok = cli("score", "uji", b, "overall=9", "--judge", "juri11", "--comment", "lebih baik")
    assert ok.exit_code == 0, ok.output
    assert "Recorded 1 score row" in ok.stdout
    bad = [
        (("score", "uji", b, "overall=11", "--judge", "juri11"), "outside 1..10"),
        (("score", "uji", b, "overall=abc", "--judge", "juri11"), "is not a number"),
        (("score", "uji", b, "humour=5", "--judge", "juri11"), "unknown rubric item 'humour'"),
        (("score", "uji", b, "overall=5", "--judge", "nobody"), "no such user"),
        (("score", "uji", b, "overall=5"), "--judge"),
        (("score", "uji", b, "overall", "--judge", "juri11"), "expected ITEM=VALUE"),
        (("score", "uji"), "or --file"),
        (("score", "uji", b, "--judge", "juri11"), "no score given"),
    ]
    for args, message in bad:
        result = cli(*args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr, (args, result.stderr)
    conflict = cli("score", "uji", b, "--judge", "juri12", "--conflict")
    assert conflict.exit_code == 0, conflict.output
    with app.transaction() as s:
        rows = s.scalars(select(JudgeScore).order_by(JudgeScore.id)).all()
        assert len(rows) == before + 2
        assert (rows[-2].score, rows[-2].comment) == (9.0, "lebih baik")
        assert rows[-1].conflict and rows[-1].score is None
    board = json.loads(cli("explain", "uji", b, "-f", "json").stdout)
    creativity = board["criteria"][0]["creativity"]
    assert creativity["conflicted_judges"] == [contest.judges["juri12"]]


def test_score_file_all_or_nothing(cli: Cli, app: App, tmp_path: Path) -> None:
    contest = load_handworked(app)
    a, b = contest.entries["A"], contest.entries["B"]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "judge,url,criterion,score\n"
        f"juri11,#{a},overall,8\n"
        f"juri11,#{b},overall,0\n"
        f"juri12,#{b},overall,\n"
        f"juri12,#999,overall,5\n",
        encoding="utf-8",
    )
    with app.transaction() as s:
        before = len(s.scalars(select(JudgeScore)).all())
    result = cli("score", "uji", "--file", str(bad))
    assert result.exit_code == 2
    assert "line 3:" in result.stderr and "line 4:" in result.stderr and "line 5:" in result.stderr
    assert "line 2:" not in result.stderr and "nothing was written" in result.stderr
    with app.transaction() as s:
        assert len(s.scalars(select(JudgeScore)).all()) == before
    good = tmp_path / "good.csv"
    good.write_text(f"url,overall\n#{a},8\n#{b},7.5\n", encoding="utf-8")
    result = cli("score", "uji", "--file", str(good), "--judge", "juri12")
    assert result.exit_code == 0, result.output
    with app.transaction() as s:
        assert len(s.scalars(select(JudgeScore)).all()) == before + 2
    result = cli("score", "uji", f"#{a}", "overall=3", "--file", str(good), "--judge", "juri12")
    assert result.exit_code == 2 and "not both" in result.stderr
    missing = cli("score", "uji", "--file", str(tmp_path / "none.csv"), "--judge", "juri12")
    assert missing.exit_code == 2


def test_indicator_command(cli: Cli, app: App, tmp_path: Path) -> None:
    contest = load_handworked(app)
    c = f"#{contest.entries['C']}"
    result = cli("indicator", "uji", c, "call_to_action=4", "captions=unknown")
    assert result.exit_code == 0, result.output
    result = cli("indicator", "uji", c, "call_to_action=9")
    assert result.exit_code == 2 and "outside its anchors 1..5" in result.stderr
    sheet = tmp_path / "ind.csv"
    sheet.write_text(
        f"tautan;captions;call_to_action\n{c};1;\n#{contest.entries['A']};0;2\n", encoding="utf-8"
    )
    result = cli("indicator", "uji", "--file", str(sheet))
    assert result.exit_code == 0, result.output
    assert "Recorded 3 indicator value(s)" in result.stdout
    with app.transaction() as s:
        values = s.scalars(select(IndicatorValue).order_by(IndicatorValue.id)).all()
        assert [(v.indicator, v.value) for v in values[-5:]] == [
            ("call_to_action", 4.0),
            ("captions", None),
            ("captions", 1.0),
            ("captions", 0.0),
            ("call_to_action", 2.0),
        ]


def test_freeze_verify_publish_and_disqualify(cli: Cli, app: App) -> None:
    contest = load_handworked(app)
    result = cli("publish", "uji")
    assert result.exit_code == 2 and "freeze its board" in result.stderr
    result = cli("freeze", "uji")
    assert result.exit_code == 0, result.output
    assert "4 placed entries" in result.stdout
    result = cli("verify", "uji")
    assert result.exit_code == 0 and "recomputes identically" in result.stdout
    # Disqualifying after the freeze does not change the frozen board.
    result = cli("disqualify", "uji", f"#{contest.entries['C']}")
    assert result.exit_code == 2  # --reason is required
    result = cli("disqualify", "uji", f"#{contest.entries['C']}", "--reason", "bukan reels")
    assert result.exit_code == 0, result.output
    assert cli("verify", "uji").exit_code == 0
    with app.transaction() as s:
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "entry.disqualify")).one()
        assert audit.details is not None and audit.details["reason"] == "bukan reels"
        # A backdated manual snapshot at B's cutoff changes the inputs of the frozen board.
        s.add(
            MetricSnapshot(
                entry_id=contest.entries["B"],
                collected_at=day(17),
                views=10**6,
                likes=10**5,
                comments=10**4,
                source=MetricSource.MANUAL,
            )
        )
    result = cli("verify", "uji")
    assert result.exit_code == 1
    assert "inputs changed" in result.stderr
    result = cli("publish", "uji")
    assert result.exit_code == 0, result.output
    result = cli("publish", "uji")
    assert result.exit_code == 2
    result = cli("freeze", "uji")
    assert result.exit_code == 2 and "already published" in result.stderr
    result = cli("disqualify", "uji", f"#{contest.entries['A']}", "--reason", "late")
    assert result.exit_code == 2 and "published" in result.stderr
    assert timedelta(0) is not None
