"""End to end in headless Chromium (Debian's package, driven by Playwright; never
`playwright install`): the committee sees an entry without a place, a judge scores it, the
committee sees it placed. Screenshots are saved under test-artifacts/dashboard/."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from dashboard.i18n import t
from services.demo import DEMO_PASSWORD
from store.enums import ChallengeStatus
from store.models import Challenge, IndicatorValue, JudgeAssignment, JudgeScore, User
from tests.dashboard.conftest import World

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"
APP_FILE = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
ID = "id"
ITEMS = {"originality": 8, "storytelling": 9, "craft": 7, "theme_fit": 8}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run does it)"
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def contest(world: World) -> World:
    """An open challenge where juri1 judged every entry but b1, and every indicator is in."""
    with world.app.transaction() as s:
        challenge = s.get(Challenge, world.ids["challenge"])
        assert challenge is not None
        challenge.status = ChallengeStatus.OPEN
        judge = s.scalars(select(User).where(User.username == "juri1")).one()
        s.add(
            JudgeAssignment(challenge_id=challenge.id, entry_id=world.ids["a2"], judge_id=judge.id)
        )
        yesterday = datetime.now(UTC) - timedelta(days=1)
        for key in ("a1", "a2", "b1"):
            for name, value in (("captions", 1), ("call_to_action", 4), ("challenge_hashtag", 1)):
                s.add(
                    IndicatorValue(
                        challenge_id=challenge.id,
                        entry_id=world.ids[key],
                        indicator=name,
                        value=float(value),
                        set_by="test",
                        created_at=yesterday,
                    )
                )
        for key, base in (("a1", 6), ("a2", 5)):
            for item in ITEMS:
                s.add(
                    JudgeScore(
                        challenge_id=challenge.id,
                        entry_id=world.ids[key],
                        judge_id=judge.id,
                        criterion=item,
                        score=float(base),
                        created_at=yesterday,
                    )
                )
    return world


@pytest.fixture
def server(contest: World, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    settings = contest.app.settings
    assert settings.secret_key is not None
    env = {
        **os.environ,
        "REELBOARD_DATABASE_URL": settings.database_url,
        "REELBOARD_SECRET_KEY": settings.secret_key.get_secret_value(),
    }
    log_path = tmp_path / "streamlit.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(APP_FILE),
                "--server.headless=true",
                f"--server.port={port}",
                "--server.address=127.0.0.1",
                "--browser.gatherUsageStats=false",
                "--server.fileWatcherType=none",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                        if r.read() == b"ok":
                            break
                except OSError:
                    time.sleep(0.3)
            else:
                pytest.fail("the dashboard did not start:\n" + log_path.read_text())
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(log_path, ARTIFACTS / "streamlit.log")


def test_judge_scores_and_the_committee_board_changes(server: str, contest: World) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    b1 = contest.ids["b1"]

    def sign_in(page: Page, username: str) -> None:
        page.goto(server + "/login")
        page.get_by_label(t("login.username", ID)).fill(username)
        page.get_by_label(t("login.password", ID)).fill(DEMO_PASSWORD)
        page.get_by_role("button", name=t("login.submit", ID)).click()

    def sign_out(page: Page) -> None:
        button = page.get_by_role("button", name=t("common.sign_out", ID))
        button.click()
        expect(button).to_have_count(0, timeout=30_000)

    def committee_place_of_b1(page: Page, shot: str) -> str:
        expect(page.get_by_text(t("committee.breakdown", ID))).to_be_visible(timeout=60_000)
        box = page.get_by_role("combobox", name=t("col.entry", ID))
        box.click()
        page.keyboard.type(f"#{b1} ")
        page.keyboard.press("Enter")
        expect(box).to_have_value(re.compile(f"^#{b1} "), timeout=30_000)
        metric = page.locator('[data-testid="stMetric"]').filter(has_text=t("col.rank", ID))
        expect(metric).to_be_visible(timeout=30_000)
        page.wait_for_timeout(1000)  # let the rerun settle before the picture
        page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
        value = metric.locator('[data-testid="stMetricValue"]').inner_text().strip()
        return value

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.set_default_timeout(60_000)

            sign_in(page, "panitia")
            before = committee_place_of_b1(page, "01-committee-before.png")
            assert before == "—"  # no judge score yet: no place
            sign_out(page)

            sign_in(page, "juri1")
            expect(page.get_by_text(t("judging.scorecard", ID, library=""))).to_be_visible()
            labels = {
                "originality": "Orisinalitas",
                "storytelling": "Penceritaan",
                "craft": "Kualitas produksi (gambar, suara, penyuntingan)",
                "theme_fit": "Kesesuaian dengan tema",
            }
            for item, value in ITEMS.items():
                field = page.get_by_label(t("judging.score_of", ID, item=labels[item]))
                field.fill(str(value))
                field.press("Tab")
            page.get_by_role("button", name=t("judging.save", ID)).click()
            expect(page.get_by_text(t("judging.saved", ID, count="4"))).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "02-judge-scored.png"), full_page=True)
            sign_out(page)

            sign_in(page, "panitia")
            after = committee_place_of_b1(page, "03-committee-after.png")
            assert after.isdigit() and 1 <= int(after) <= 3, after
        finally:
            browser.close()

    with contest.app.transaction() as s:
        rows = s.scalars(select(JudgeScore).where(JudgeScore.entry_id == b1)).all()
    assert sorted((r.criterion, r.score) for r in rows) == sorted(
        (k, float(v)) for k, v in ITEMS.items()
    )
