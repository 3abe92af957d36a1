"""Content calendar commands: schedule add|list|approve|submit|cancel|retry, publish-due,
best-time."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reelboard.cli.common import (
    Format,
    console,
    emit,
    err_console,
    get_app,
    new_typer,
    progress_bar,
)
from scoring.besttime import WEEKDAYS_EN, WEEKDAYS_ID
from services import calendar, publishing
from services.audit import cli_actor
from services.besttime import library_best_time
from services.calendar import Actor, CheckResult
from services.errors import BadInput
from services.geo import TIMEZONE_LABEL
from services.publishing import live_quota_reader, utcnow
from services.timeparse import parse_local

schedule_app = new_typer("The content calendar: plan, check, approve and cancel reels.")


def _actor(by: str | None) -> Actor:
    if by is None:
        return Actor.operator(cli_actor())
    with get_app().transaction() as session:
        return calendar.actor_by_username(session, by)


def _advice(result: CheckResult) -> None:
    for v in result.advice:
        err_console.print(f"  advice: {v.field}: {v.message}")


def _caption(caption: str | None, caption_file: Path | None) -> str:
    if caption is not None and caption_file is not None:
        raise BadInput("give either --caption or --caption-file, not both")
    if caption_file is not None:
        try:
            return caption_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"--caption-file {caption_file}: cannot read it ({exc})") from None
    return caption or ""


@schedule_app.command("add")
def add(
    library: Annotated[str, typer.Option(help="The library's name.")],
    account: Annotated[str, typer.Option(help="The account's handle (@name).")],
    platform: Annotated[str, typer.Option(help="instagram, facebook, tiktok or youtube.")],
    at: Annotated[str, typer.Option(help="When, in the library's time zone: 2026-12-01T19:00.")],
    caption: Annotated[str | None, typer.Option(help="The caption (hashtags included).")] = None,
    caption_file: Annotated[
        Path | None, typer.Option(help="Read the caption from this UTF-8 file.")
    ] = None,
    media: Annotated[Path | None, typer.Option(help="The video file (copied in).")] = None,
    media_url: Annotated[str | None, typer.Option(help="A public URL of the video.")] = None,
    pillar: Annotated[str | None, typer.Option(help="Programme pillar.")] = None,
    challenge: Annotated[
        str | None, typer.Option(help="Challenge slug; its hashtags are added to the caption.")
    ] = None,
    draft: Annotated[bool, typer.Option(help="Keep it as a draft even if checks fail.")] = False,
    by: Annotated[str | None, typer.Option(help="Act as this reelboard user.")] = None,
) -> None:
    """Plan a reel: it is checked against the platform's rules and submitted for approval."""
    app = get_app()
    actor = _actor(by)
    with app.transaction() as session:
        post, result = calendar.create_post(
            session,
            app.settings,
            library=library,
            platform=platform,
            account=account,
            caption=_caption(caption, caption_file),
            at=at,
            actor=actor,
            now=utcnow(),
            media_file=media,
            media_url=media_url,
            pillar=pillar,
            challenge=challenge,
            submit=not draft,
        )
        row = calendar.post_row(session, post)
    console.print(
        f"Post #{row['id']} {row['state']}: {row['platform']} @{row['account']} "
        f"at {row['scheduled_local']}"
    )
    for v in result.errors:
        err_console.print(f"  to fix: {v.field}: {v.message}")
    _advice(result)
    if row["state"] == "submitted":
        console.print(f"Next: reelboard schedule approve {row['id']} --by USER")


@schedule_app.command("edit")
def edit(
    post_id: int,
    at: Annotated[str | None, typer.Option(help="New time, in the library's zone.")] = None,
    caption: Annotated[str | None, typer.Option(help="New caption.")] = None,
    caption_file: Annotated[
        Path | None, typer.Option(help="Read the new caption from this UTF-8 file.")
    ] = None,
    media: Annotated[Path | None, typer.Option(help="New video file (copied in).")] = None,
    media_url: Annotated[str | None, typer.Option(help="New public URL of the video.")] = None,
    pillar: Annotated[str | None, typer.Option(help="New programme pillar.")] = None,
    account: Annotated[str | None, typer.Option(help="Post from this account instead.")] = None,
    by: Annotated[str | None, typer.Option(help="Act as this reelboard user.")] = None,
) -> None:
    """Change a post before publishing starts (a new caption, video or account needs approval
    again; a new time keeps it)."""
    app = get_app()
    new_caption = _caption(caption, caption_file) if caption or caption_file else None
    with app.transaction() as session:
        post, result = calendar.edit_post(
            session,
            app.settings,
            post_id,
            actor=_actor(by),
            now=utcnow(),
            caption=new_caption,
            at=at,
            media_file=media,
            media_url=media_url,
            pillar=pillar,
            account=account,
        )
        row = calendar.post_row(session, post)
    console.print(f"Post #{row['id']} {row['state']}: at {row['scheduled_local']}")
    for v in result.errors:
        err_console.print(f"  to fix: {v.field}: {v.message}")
    _advice(result)


@schedule_app.command("list")
def list_(
    library: Annotated[str | None, typer.Option(help="Only this library.")] = None,
    state: Annotated[list[str] | None, typer.Option(help="Only these states.")] = None,
    challenge: Annotated[str | None, typer.Option(help="Only this challenge's posts.")] = None,
    since: Annotated[
        str | None, typer.Option("--from", help="From this time (UTC or ±zone).")
    ] = None,
    until: Annotated[str | None, typer.Option("--to", help="Before this time.")] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """The calendar, times in each library's own zone."""
    with get_app().transaction() as session:
        start = parse_local(since, "UTC", field="--from") if since else None
        end = parse_local(until, "UTC", field="--to") if until else None
        rows = calendar.list_posts(
            session, library=library, states=state, start=start, end=end, challenge=challenge
        )
    for row in rows:
        first = (row["caption"] or "").splitlines()[0] if row["caption"] else ""
        row["caption"] = first[:40] + ("…" if len(first) > 40 else "")
    emit(rows, format, calendar.POST_FIELDS, f"Content calendar ({len(rows)} posts)")


@schedule_app.command("submit")
def submit(post_id: int, by: Annotated[str | None, typer.Option()] = None) -> None:
    """Submit a draft for approval (it must pass every check)."""
    app = get_app()
    with app.transaction() as session:
        post, result = calendar.submit_post(session, post_id, actor=_actor(by), now=utcnow())
        console.print(f"Post #{post.id} submitted")
    _advice(result)


@schedule_app.command("approve")
def approve(
    post_id: int,
    by: Annotated[str, typer.Option(help="The approving user (library staff or committee).")],
) -> None:
    """Approve a submitted post; it is queued when its final checks pass."""
    app = get_app()
    with app.transaction() as session:
        post, _ = calendar.approve_post(
            session,
            post_id,
            actor=_actor(by),
            now=utcnow(),
            quota_reader=live_quota_reader(app),
        )
        row = calendar.post_row(session, post)
    if row["state"] == "scheduled":
        console.print(f"Post #{post_id} approved and scheduled for {row['scheduled_local']}")
    else:
        err_console.print(f"Post #{post_id} approved but not queued: {row['state_reason']}")
        raise typer.Exit(1)


@schedule_app.command("cancel")
def cancel(
    post_id: int,
    reason: Annotated[str | None, typer.Option(help="Why (kept in the audit log).")] = None,
    by: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Cancel a post that has not started publishing."""
    with get_app().transaction() as session:
        calendar.cancel_post(session, post_id, actor=_actor(by), now=utcnow(), reason=reason)
    console.print(f"Post #{post_id} cancelled")


@schedule_app.command("retry")
def retry(post_id: int, by: Annotated[str | None, typer.Option()] = None) -> None:
    """Queue a failed post again (now, if its time has passed)."""
    app = get_app()
    with app.transaction() as session:
        post, _ = calendar.retry_post(session, post_id, actor=_actor(by), now=utcnow())
        row = calendar.post_row(session, post)
    console.print(f"Post #{post_id} {row['state']} for {row['scheduled_local']}")


def publish_due() -> None:
    """Publish every due post now, once (one inline pass; the beat runs it every minute)."""
    app = get_app()
    from store import publishing as q

    with app.transaction() as session:
        total = len(q.due_post_ids(session, utcnow()))
    with progress_bar("Publishing", total) as advance:
        result = publishing.publish_due(app, progress=advance)
    console.print(result.summary())
    for post_id, reason in sorted(result.failed.items()):
        err_console.print(f"  post #{post_id} failed: {reason}")
    for post_id, reason in sorted(result.retrying.items()):
        err_console.print(f"  post #{post_id} will be retried: {reason}")


def best_time(
    library: Annotated[str, typer.Argument(help="The library's name.")],
    min_posts: Annotated[int, typer.Option(help="Posts needed before any advice.")] = 20,
    top: Annotated[int, typer.Option(help="How many slots to recommend.")] = 5,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """When this library's posts get the most engagement, by weekday and hour (local time)."""
    with get_app().transaction() as session:
        result = library_best_time(session, library, now=utcnow(), min_posts=min_posts, top=top)
    label = TIMEZONE_LABEL.get(result.timezone, result.timezone)
    if not result.enough:
        err_console.print(f"No advice yet for {library}: {result.reason}.")
        raise typer.Exit(0)
    rows = [
        {
            "rank": i + 1,
            "day": f"{WEEKDAYS_ID[s.weekday]} / {WEEKDAYS_EN[s.weekday]}",
            "hour": f"{s.hour:02d}:00-{s.hour:02d}:59 {label}",
            "posts": s.posts,
            "lift": f"{s.lift:.2f}x" if s.lift is not None else "",
            "mean_engagement": f"{s.mean_engagement:.0f}" if s.mean_engagement is not None else "",
        }
        for i, s in enumerate(result.best)
    ]
    emit(
        rows,
        format,
        ["rank", "day", "hour", "posts", "lift", "mean_engagement"],
        f"Best time to post for {library} ({result.posts} posts, {label})",
    )
