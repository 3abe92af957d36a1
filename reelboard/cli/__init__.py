"""The `reelboard` command: the operator's front door. Each area lives in its own module."""

from __future__ import annotations

import logging

from reelboard.cli import boards, collect, core, data, demo, runtime, schedule, ui
from reelboard.cli.common import new_typer

app = new_typer(
    "reelboard: social-media reels challenges for public libraries. "
    "Configuration comes from REELBOARD_* environment variables (see README)."
)
app.command("init")(core.init)
app.add_typer(core.library_app, name="library")
app.add_typer(core.account_app, name="account")
app.add_typer(core.user_app, name="user")
app.add_typer(core.challenge_app, name="challenge")
app.add_typer(core.entry_app, name="entry")
app.command("import-entries")(data.import_entries)
app.command("import-metrics")(data.import_metrics)
app.command("entries")(data.entries)
app.command("demo")(demo.demo)
app.command("collect")(collect.collect)
app.add_typer(schedule.schedule_app, name="schedule")
app.command("publish-due")(schedule.publish_due)
app.command("best-time")(schedule.best_time)
app.command("dashboard")(ui.dashboard)
app.command("leaderboard")(boards.leaderboard)
app.command("explain")(boards.explain)
app.command("score")(boards.score)
app.command("indicator")(boards.indicator)
app.command("freeze")(boards.freeze)
app.command("publish")(boards.publish)
app.command("verify")(boards.verify)
app.command("disqualify")(boards.disqualify)
app.command("reinstate")(boards.reinstate)
runtime.register(app)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
