"""The content calendar: checks, approval rules, edits, audit, the commands, best time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from scoring.besttime import PostSample, best_times
from services import calendar, postrules
from services.app import App
from services.besttime import library_best_time
from services.calendar import Actor, PostRejected
from services.errors import BadInput
from services.media import probe
from store.enums import MetricSource, Platform, PostState, Role
from store.models import AuditLog, Entry, MetricSnapshot, ScheduledPost
from tests.conftest import Cli
from tests.pubkit import OPERATOR, add_challenge, make_video, setup_calendar

LIB = "Perpustakaan Kota Makassar"


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("videos")
    return {
        "ok": make_video(d / "ok.mp4"),
        "short": make_video(d / "short.mp4", seconds=1.5),
        "wide": make_video(d / "wide.mp4", width=960, height=540),
        "slow_start": make_video(d / "slow.mp4", faststart=False),
        "webm": make_video(d / "clip.webm", codec="libvpx-vp9"),
    }


def test_probe_reads_what_the_rules_need(videos: dict[str, Path]) -> None:
    info = probe(videos["ok"])
    assert (info.container, info.video_codec, info.audio_codec) == ("mp4", "h264", "aac")
    assert (info.width, info.height, info.frame_rate) == (540, 960, 30.0)
    assert info.duration_s == pytest.approx(4.0, abs=0.1)
    assert info.moov_first is True
    assert probe(videos["slow_start"]).moov_first is False
    assert probe(videos["webm"]).container == "webm"
    with pytest.raises(BadInput, match="not a readable video"):
        bad = videos["ok"].with_name("bad.mp4")
        bad.write_bytes(b"not a video at all")
        probe(bad)


def test_platform_rules_name_the_field_at_fault(videos: dict[str, Path]) -> None:
    ig, yt, tt = (
        postrules.RULES[p] for p in (Platform.INSTAGRAM, Platform.YOUTUBE, Platform.TIKTOK)
    )
    assert postrules.check_caption(ig, "ok #a #b #c #d #e") == []
    six = postrules.check_caption(ig, "#a #b #c #d #e #f")
    assert [(v.field, v.advice) for v in six] == [("caption", False)]
    assert "6 hashtags" in six[0].message
    long = postrules.check_caption(ig, "x" * 2201)
    assert "2201" in long[0].message
    mentions = " ".join(f"@u{i}" for i in range(21)) + " mail@example.org"
    assert "21 @mentions" in postrules.check_caption(ig, mentions)[0].message
    # TikTok counts UTF-16 units: an emoji is two.
    assert postrules.check_caption(tt, "😀" * 1100) == []
    assert postrules.check_caption(tt, "😀" * 1101)
    assert any("title" in v.message for v in postrules.check_caption(yt, "T" * 101))
    assert any("<" in v.message for v in postrules.check_caption(yt, "Judul <b>"))
    short = postrules.check_media(ig, probe(videos["short"]))
    assert any("at least 3 s" in v.message for v in short)
    wide = postrules.check_media(yt, probe(videos["wide"]))
    assert any("not treat it as a Short" in v.message for v in postrules.errors(wide))
    assert any(v.advice and "9:16" in v.message for v in wide)
    slow = postrules.check_media(ig, probe(videos["slow_start"]))
    assert any("moov" in v.message for v in postrules.errors(slow))
    webm = postrules.errors(postrules.check_media(ig, probe(videos["webm"])))
    assert any("container webm" in v.message for v in webm)
    assert postrules.errors(postrules.check_media(tt, probe(videos["webm"]))) == []


def test_add_stores_media_by_hash_in_utc_and_audits(app: App, videos: dict[str, Path]) -> None:
    setup_calendar(app)
    add_challenge(app)
    now = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    with app.transaction() as s:
        post, result = calendar.create_post(
            s,
            app.settings,
            library=LIB,
            platform="instagram",
            account="@perpus_instagram",
            caption="Bedah buku",
            at="2026-11-24T19:00",
            actor=OPERATOR,
            now=now,
            media_file=videos["ok"],
            challenge="reels-2026",
            pillar="promosi",
        )
        assert post.state is PostState.SUBMITTED
        # 19:00 WITA (UTC+8) is 11:00 UTC.
        assert post.scheduled_at == datetime(2026, 11, 24, 11, 0, tzinfo=UTC)
        assert post.caption.endswith("#LiterasiBerdaya")
        assert post.media_path is not None and len(post.media_path) == 64 + 4
        assert (app.settings.media_dir / post.media_path).read_bytes() == videos["ok"].read_bytes()
        assert post.media_info is not None and post.media_info["video_codec"] == "h264"
        assert any(v.advice for v in result.violations)
        assert [
            a.action for a in s.scalars(select(AuditLog).where(AuditLog.action.like("post.%")))
        ] == ["post.create"]


def test_violations_reject_the_post_and_write_nothing(app: App, videos: dict[str, Path]) -> None:
    setup_calendar(app)
    now = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    with pytest.raises(PostRejected) as info, app.transaction() as s:
        calendar.create_post(
            s,
            app.settings,
            library=LIB,
            platform="facebook",
            account="perpus_facebook",
            caption="x",
            at="2026-11-20T10:00",
            actor=OPERATOR,
            now=now,
            media_file=videos["short"],
        )
    text = str(info.value)
    assert "scheduled_at: the time is in the past" in text
    assert "media: 1.5 s long" in text
    with app.transaction() as s:
        assert s.scalars(select(ScheduledPost)).all() == []


def test_approval_follows_the_challenge_and_edits_undo_it(
    app: App, videos: dict[str, Path]
) -> None:
    cal = setup_calendar(app)
    add_challenge(app, approver="committee")
    setup_calendar(app, library="Perpustakaan Desa Lain", province="Bali", suffix="2")
    now = datetime.now(UTC)
    with app.transaction() as s:
        staff = calendar.actor_by_username(s, "staff")
        other = calendar.actor_by_username(s, "staff2")
        committee = calendar.actor_by_username(s, "panitia")
        with pytest.raises(BadInput, match="may not plan"):
            calendar.create_post(
                s,
                app.settings,
                library=LIB,
                platform="tiktok",
                account="perpus_tiktok",
                caption="a",
                at=now + timedelta(days=1),
                actor=other,
                now=now,
                media_file=videos["ok"],
            )
        post, _ = calendar.create_post(
            s,
            app.settings,
            library=LIB,
            platform="tiktok",
            account="perpus_tiktok",
            caption="Dongeng",
            at=now + timedelta(days=1),
            actor=staff,
            now=now,
            media_file=videos["ok"],
            challenge="reels-2026",
        )
        with pytest.raises(BadInput, match="the committee does"):
            calendar.approve_post(s, post.id, actor=staff, now=now)
        calendar.approve_post(s, post.id, actor=committee, now=now)
        assert post.state is PostState.SCHEDULED and post.approved_by == "panitia"
        # A new time keeps the approval; a new caption needs a new one.
        calendar.edit_post(
            s, app.settings, post.id, actor=staff, now=now, at=now + timedelta(days=2)
        )
        assert post.state is PostState.SCHEDULED
        calendar.edit_post(s, app.settings, post.id, actor=staff, now=now, caption="Dongeng 2")
        assert str(post.state) == "submitted" and post.approved_by is None
        calendar.cancel_post(s, post.id, actor=staff, now=now)
        with pytest.raises(BadInput, match="can no longer be changed"):
            calendar.edit_post(s, app.settings, post.id, actor=staff, now=now, caption="x")
        actions = [
            a.action
            for a in s.scalars(select(AuditLog).where(AuditLog.target_type == "scheduled_post"))
        ]
        assert actions == [
            "post.create",
            "post.approve",
            "post.queue",
            "post.edit",
            "post.edit",
            "post.cancel",
        ]
    assert cal.accounts[Platform.TIKTOK].handle == "perpus_tiktok"


def test_daily_limit_keeps_an_approved_post_out_of_the_queue(
    app: App, videos: dict[str, Path]
) -> None:
    setup_calendar(app)
    now = datetime.now(UTC)
    rules = postrules.RULES[Platform.FACEBOOK]
    at = now + timedelta(days=3)
    with app.transaction() as s:
        for i in range(rules.daily_limit):
            s.add(
                ScheduledPost(
                    library_id=1,
                    account_id=2,
                    platform=Platform.FACEBOOK,
                    caption=f"p{i}",
                    media_url="https://x/y.mp4",
                    scheduled_at=at + timedelta(minutes=i),
                    state=PostState.SCHEDULED,
                    platform_state={},
                )
            )
        post, _ = calendar.create_post(
            s,
            app.settings,
            library=LIB,
            platform="facebook",
            account="perpus_facebook",
            caption="satu lagi",
            at=at,
            actor=OPERATOR,
            now=now,
            media_file=videos["ok"],
            submit=False,
        )
        assert post.account_id == 2
        with pytest.raises(PostRejected, match="allows 30 per 24 hours"):
            calendar.submit_post(s, post.id, actor=OPERATOR, now=now)


def test_schedule_commands(cli: Cli, app: App, videos: dict[str, Path], tmp_path: Path) -> None:
    setup_calendar(app)
    caption = tmp_path / "caption.txt"
    caption.write_text("Kelas menulis\n#Literasi", encoding="utf-8")
    r = cli(
        "schedule",
        "add",
        "--library",
        LIB,
        "--account",
        "perpus_youtube",
        "--platform",
        "youtube",
        "--caption-file",
        str(caption),
        "--media",
        str(videos["ok"]),
        "--at",
        "2030-01-02T08:00",
    )
    assert r.exit_code == 0, r.output
    assert "Post #1 submitted" in r.stdout and "08:00 WITA" in r.stdout
    r = cli("schedule", "approve", "1", "--by", "staff2")
    assert r.exit_code == 2 and "no active user" in r.stderr
    r = cli("schedule", "approve", "1", "--by", "staff")
    assert r.exit_code == 0, r.output
    r = cli("schedule", "list", "--format", "json")
    assert '"state": "scheduled"' in r.stdout
    # A new time keeps the approval; a new caption sends the post back for approval.
    r = cli("schedule", "edit", "1", "--at", "2030-01-03T09:30", "--by", "staff")
    assert r.exit_code == 0, r.output
    assert "Post #1 scheduled: at 2030-01-03 09:30 WITA" in r.stdout
    r = cli("schedule", "edit", "1", "--caption", "Kelas menulis puisi #Literasi", "--by", "staff")
    assert r.exit_code == 0, r.output
    assert "Post #1 submitted" in r.stdout
    r = cli("schedule", "edit", "1", "--at", "kemarin", "--by", "staff")
    assert r.exit_code == 2 and "kemarin" in r.stderr
    r = cli("schedule", "approve", "1", "--by", "staff")
    assert r.exit_code == 0, r.output
    r = cli(
        "schedule",
        "add",
        "--library",
        LIB,
        "--account",
        "perpus_instagram",
        "--platform",
        "instagram",
        "--caption",
        "#a #b #c #d #e #f",
        "--media",
        str(videos["wide"]),
        "--at",
        "2030-01-02T08:00",
    )
    assert r.exit_code == 2
    assert "caption: 6 hashtags" in r.stderr
    r = cli("schedule", "cancel", "1", "--reason", "acara batal")
    assert r.exit_code == 0
    r = cli("publish-due")
    assert r.exit_code == 0 and "published 0" in r.stdout


def test_best_time_maths() -> None:
    base = datetime(2026, 1, 5, 11, 0, tzinfo=UTC)  # Monday 19:00 WITA
    samples = [PostSample(base + timedelta(weeks=w), 400.0) for w in range(6)]
    samples += [PostSample(base + timedelta(weeks=w, hours=4), 40.0) for w in range(14)]
    result = best_times(samples, "Asia/Makassar", min_posts=20)
    assert result.enough and result.posts == 20
    top = result.best[0]
    assert (top.weekday, top.hour, top.posts) == (0, 19, 6)
    assert top.lift is not None and top.lift > 1.5
    late = result.grid()[0][23]  # Monday 23:00
    assert late is not None and late < 1
    few = best_times(samples[:19], "Asia/Makassar", min_posts=20)
    assert not few.enough and few.best == [] and "only 19" in (few.reason or "")
    # One lucky post is no advice (a slot needs two posts), and its lift is shrunk.
    lucky = best_times([*samples, PostSample(base + timedelta(hours=2), 5000.0)], "Asia/Makassar")
    assert lucky.best[0].hour == 19
    slot = lucky.slots[21]  # Monday 21:00
    assert slot.posts == 1 and slot.lift is not None
    assert slot.lift < 5000 / 40


def test_best_time_from_the_library_history(cli: Cli, app: App) -> None:
    setup_calendar(app)
    chal = add_challenge(app)
    base = datetime(2026, 6, 1, 11, 0, tzinfo=UTC)  # Monday 19:00 WITA
    with app.transaction() as s:
        for i in range(24):
            at = base + timedelta(weeks=i // 2, hours=0 if i % 2 else 3)
            e = Entry(
                challenge_id=chal,
                library_id=1,
                platform=Platform.TIKTOK,
                canonical_url=f"https://www.tiktok.com/@p/video/{1000000 + i}",
                post_id=str(1000000 + i),
                posted_at=at,
            )
            s.add(e)
            s.flush()
            likes = 300 if i % 2 else 30
            for day in (1, 5):  # only the newest snapshot counts
                s.add(
                    MetricSnapshot(
                        entry_id=e.id,
                        collected_at=at + timedelta(days=day),
                        likes=likes * day,
                        comments=1,
                        source=MetricSource.API,
                    )
                )
    with app.transaction() as s:
        result = library_best_time(s, LIB, now=datetime(2027, 1, 1, tzinfo=UTC))
        assert result.enough and result.posts == 24
        assert (result.best[0].weekday, result.best[0].hour) == (0, 19)
        assert result.best[0].mean_engagement == 1501
    r = cli("best-time", LIB)
    assert r.exit_code == 0, r.output
    assert "Senin / Mon" in r.stdout and "19:00-19:59 WITA" in r.stdout
    r = cli("best-time", LIB, "--min-posts", "100")
    assert r.exit_code == 0 and "only 24 post(s)" in r.stderr


def test_actor_roles() -> None:
    post = ScheduledPost(library_id=1)
    admin = Actor("root", Role.ADMIN)
    staff = Actor("s", Role.LIBRARY, 1)
    assert calendar.may_approve(admin, post, None)
    assert calendar.may_approve(staff, post, None)
    assert not calendar.may_approve(Actor("s2", Role.LIBRARY, 2), post, None)
    assert not calendar.may_approve(Actor("j", Role.JUDGE), post, None)
