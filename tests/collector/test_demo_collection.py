"""`reelboard demo` collects real metrics through the fake platform server."""

from __future__ import annotations

from sqlalchemy import func, select

from services.app import App
from services.demo import DEMO_SLUG
from store.models import AccountSnapshot, Entry, MetricSnapshot
from tests.conftest import Cli


def test_demo_runs_a_real_collection_round(cli: Cli, app: App) -> None:
    result = cli("demo", "--no-dashboard")  # the dashboard would take over the process
    assert result.exit_code == 0, result.output
    assert "fake platform server" in result.output
    assert "Posts" in result.output and "collected" in result.output
    with app.sessions() as s:
        entries = s.scalar(select(func.count()).select_from(Entry)) or 0
        snaps = s.scalar(select(func.count()).select_from(MetricSnapshot)) or 0
        followers = s.scalar(select(func.count()).select_from(AccountSnapshot)) or 0
        resolved = s.scalar(select(func.count()).select_from(Entry).where(Entry.media_id.is_(None)))
        views = list(s.scalars(select(MetricSnapshot.views)))
    assert entries > 30 and snaps == entries and followers > 0
    assert resolved == 0  # every Instagram shortcode was resolved to its media id
    assert all(v is not None and v >= 0 for v in views)
    assert any(v and v > 0 for v in views)
    listed = cli("entries", DEMO_SLUG, "--format", "json")
    assert listed.exit_code == 0
    assert '"views": null' not in listed.output
