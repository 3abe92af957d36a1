"""The collection-health query on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.app import App
from store.enums import AccountStatus, Platform, Tier
from store.health import collection_health, day_start, record_event
from store.models import Library, SocialAccount

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)  # 01:30 PST: the YouTube day began 1.5 h ago


def _accounts(app: App) -> tuple[int, int]:
    with app.transaction() as s:
        lib = Library(
            name="Perpustakaan Kota Bandung",
            tier=Tier.KABUPATEN_KOTA,
            province="Jawa Barat",
            timezone="Asia/Jakarta",
        )
        s.add(lib)
        s.flush()
        ok = SocialAccount(library_id=lib.id, platform=Platform.INSTAGRAM, handle="dispusip.bdg")
        bad = SocialAccount(
            library_id=lib.id,
            platform=Platform.TIKTOK,
            handle="perpus.bdg",
            status=AccountStatus.NEEDS_REAUTH,
            status_reason="access_token_invalid",
        )
        s.add_all([ok, bad])
        s.flush()
        return ok.id, bad.id


def test_health_reports_last_success_failures_reauth_and_quota(app: App) -> None:
    ig, tt = _accounts(app)
    with app.transaction() as s:

        def ev(**kw: Any) -> None:
            record_event(s, **kw)

        ev(
            platform=Platform.INSTAGRAM,
            account_id=ig,
            credential="graph:ig1",
            outcome="ok",
            at=NOW - timedelta(days=3),
            items=20,
            calls=1,
        )
        ev(
            platform=Platform.INSTAGRAM,
            account_id=ig,
            credential="graph:ig1",
            outcome="ok",
            at=NOW - timedelta(hours=2),
            items=30,
            calls=2,
        )
        ev(
            platform=Platform.INSTAGRAM,
            account_id=ig,
            credential="graph:ig1",
            outcome="deferred",
            reason="rate_limited",
            at=NOW - timedelta(hours=1),
        )
        ev(
            platform=Platform.INSTAGRAM,
            account_id=ig,
            credential="graph:ig1",
            outcome="failed",
            reason="malformed",
            at=NOW - timedelta(hours=30),
        )  # too old
        ev(
            platform=Platform.TIKTOK,
            account_id=tt,
            credential="tiktok:tt1",
            outcome="failed",
            reason="token_invalid",
            at=NOW - timedelta(hours=5),
            calls=1,
        )
        ev(
            platform=Platform.TIKTOK,
            account_id=tt,
            credential="tiktok:tt1",
            outcome="failed",
            reason="token_invalid",
            at=NOW - timedelta(hours=4),
            calls=1,
        )
        # YouTube: the API key, no account; quota counted from midnight Pacific.
        ev(
            platform=Platform.YOUTUBE,
            credential="youtube:app",
            outcome="ok",
            at=NOW - timedelta(hours=2),
            items=50,
            calls=1,
            quota_units=7,
        )  # yesterday (PT)
        ev(
            platform=Platform.YOUTUBE,
            credential="youtube:app",
            outcome="ok",
            at=NOW - timedelta(hours=1),
            items=50,
            calls=3,
            quota_units=3,
        )
        ev(
            platform=Platform.YOUTUBE,
            credential="youtube:app",
            outcome="deferred",
            reason="quota_exceeded",
            at=NOW - timedelta(minutes=5),
        )
        ev(
            platform=Platform.YOUTUBE,
            credential="youtube:app",
            outcome="ok",
            at=NOW + timedelta(minutes=5),
            items=50,
            quota_units=100,
        )  # after "now": ignored
    with app.transaction() as s:
        report = collection_health(s, NOW)

    by_platform = {p.platform: p for p in report.platforms}
    yt = by_platform[Platform.YOUTUBE]
    assert yt.quota_units_today == 3 and yt.calls_today == 3
    assert yt.last_success == NOW - timedelta(hours=1)
    assert yt.deferred_24h == {"quota_exceeded": 1}
    ig_p = by_platform[Platform.INSTAGRAM]
    assert ig_p.last_success == NOW - timedelta(hours=2)
    assert ig_p.failures_24h == {} and ig_p.deferred_24h == {"rate_limited": 1}
    assert ig_p.items_24h == 30 and ig_p.calls_today == 2  # the UTC day began at 00:00
    assert by_platform[Platform.TIKTOK].failures_24h == {"token_invalid": 2}
    assert by_platform[Platform.FACEBOOK].last_success is None

    accounts = {(a.platform, a.handle or a.credential): a for a in report.accounts}
    ig_acc = accounts[(Platform.INSTAGRAM, "dispusip.bdg")]
    assert ig_acc.library == "Perpustakaan Kota Bandung"
    assert ig_acc.last_success == NOW - timedelta(hours=2)
    assert ig_acc.deferred_24h == {"rate_limited": 1}
    tt_acc = accounts[(Platform.TIKTOK, "perpus.bdg")]
    assert tt_acc.needs_reauth and tt_acc.last_success is None
    assert tt_acc.failures_24h == {"token_invalid": 2}
    assert accounts[(Platform.YOUTUBE, "youtube:app")].account_id is None
    assert [a.handle for a in report.needs_reauth] == ["perpus.bdg"]


def test_reauth_accounts_show_without_events_and_empty_report(app: App) -> None:
    with app.transaction() as s:
        empty = collection_health(s, NOW)
    assert empty.accounts == [] and all(p.last_success is None for p in empty.platforms)
    _accounts(app)
    with app.transaction() as s:
        report = collection_health(s, NOW)
    assert [(a.handle, a.status_reason) for a in report.needs_reauth] == [
        ("perpus.bdg", "access_token_invalid")
    ]


def test_youtube_day_starts_at_pacific_midnight() -> None:
    assert day_start(Platform.YOUTUBE, NOW) == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    assert day_start(Platform.TIKTOK, NOW) == datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
