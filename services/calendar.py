"""The content calendar: planning, checking, approving and cancelling scheduled posts.

States and who moves a post between them::

    draft --submit--> submitted --approve--> approved --(checks pass)--> scheduled
      ^                   ^                      |                           |
      |                   +---- content edit ----+---------------------------+
    (edit)                                                       publish pass (services/publishing)
                                                                  scheduled -> publishing ->
                                                                  published | failed
    any state before publishing --cancel--> cancelled;   failed --retry--> scheduled

* A post is *submitted* only when it passes every check in :mod:`services.postrules`.
* *approved* means approved, but not yet queued: a check that depends on the day (the daily
  publishing limit, the time not being past) failed when it was approved; ``state_reason`` says
  which. Changing its time re-runs the checks and queues it.
* Editing the caption, media, account or platform of an approved or scheduled post sends it
  back to *submitted*: the approval was for the old content. Editing only its time keeps it.
* Approval follows the challenge's ``post_approver``: the library's own staff (a ``library``
  user of that library) or the committee. An ``admin`` may always approve. A post outside any
  challenge is approved by its library's staff or the committee.

Every change is written to the audit log. Times are typed in the library's time zone and stored
in UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from reelboard.settings import Settings
from services import audit, media, postrules
from services.errors import BadInput
from services.postrules import RULES, Violation
from services.registry import (
    clean_handle,
    parse_pillar,
    parse_platform,
    require_challenge,
    require_library,
)
from services.timeparse import iso_utc, parse_local, show_local
from store import publishing as q
from store import queries
from store.enums import Approver, Platform, PostState, Role
from store.models import Challenge, ScheduledPost, SocialAccount, User

# A time this close to "now" is still accepted (typing "now" takes a moment).
PAST_GRACE = timedelta(minutes=2)
EDITABLE = (
    PostState.DRAFT,
    PostState.SUBMITTED,
    PostState.APPROVED,
    PostState.SCHEDULED,
    PostState.FAILED,
)
CANCELLABLE = (PostState.DRAFT, PostState.SUBMITTED, PostState.APPROVED, PostState.SCHEDULED)

# Reads an account's live publishing quota (used, total), e.g. Instagram's
# content_publishing_limit; None when the platform does not say or cannot be asked.
QuotaReader = Callable[[SocialAccount], tuple[int, int] | None]


@dataclass(frozen=True)
class Actor:
    """Who is acting: a dashboard user, or the operator at the command line."""

    name: str
    role: Role
    library_id: int | None = None

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.username, user.role, user.library_id)

    @classmethod
    def operator(cls, name: str) -> Actor:
        """Someone running ``reelboard`` on the server: full rights, like an admin."""
        return cls(name, Role.ADMIN, None)


def actor_by_username(session: Session, username: str) -> Actor:
    user = queries.user_by_name(session, username.strip())
    if user is None or not user.active:
        raise BadInput(f"--by {username!r}: no active user of that name")
    return Actor.of(user)


class PostRejected(BadInput):
    """The post breaks platform rules; every violation is listed."""

    def __init__(self, post_label: str, violations: list[Violation]) -> None:
        self.violations = violations
        lines = [f"{post_label} was not accepted:"] + [f"  {v}" for v in violations]
        super().__init__("\n".join(lines))


@dataclass
class CheckResult:
    violations: list[Violation] = field(default_factory=list)

    @property
    def errors(self) -> list[Violation]:
        return postrules.errors(self.violations)

    @property
    def advice(self) -> list[Violation]:
        return [v for v in self.violations if v.advice]


# --- permissions ------------------------------------------------------------------------------


def _may_plan(actor: Actor, library_id: int) -> None:
    if actor.role in (Role.ADMIN, Role.COMMITTEE):
        return
    if actor.role is Role.LIBRARY and actor.library_id == library_id:
        return
    raise BadInput(f"{actor.name} ({actor.role}) may not plan posts for library #{library_id}")


def approver_for(challenge: Challenge | None) -> Approver:
    return challenge.post_approver if challenge is not None else Approver.LIBRARY_ADMIN


def may_approve(actor: Actor, post: ScheduledPost, challenge: Challenge | None) -> bool:
    if actor.role is Role.ADMIN:
        return True
    if approver_for(challenge) is Approver.COMMITTEE:
        return actor.role is Role.COMMITTEE
    if challenge is None and actor.role is Role.COMMITTEE:
        return True
    return actor.role is Role.LIBRARY and actor.library_id == post.library_id


# --- checks -----------------------------------------------------------------------------------


def check_post(
    session: Session,
    post: ScheduledPost,
    now: datetime,
    *,
    quota_reader: QuotaReader | None = None,
) -> CheckResult:
    """Every rule of the post's platform, applied to the post as it is now."""
    rules = RULES[post.platform]
    found: list[Violation] = []
    found += postrules.check_caption(rules, post.caption)
    if post.media_info is not None:
        found += postrules.check_media(rules, media.MediaInfo.from_json(post.media_info))
    elif post.media_url:
        found += postrules.check_media_url(rules, post.media_url)
    else:
        found.append(Violation("media", "a reel needs a video: give --media FILE or --media-url"))
    found += postrules.check_time(post.scheduled_at, now, grace=PAST_GRACE)
    account = session.get(SocialAccount, post.account_id)
    if account is not None and account.token_encrypted is None:
        found.append(
            Violation(
                "account",
                f"@{account.handle} has no access token: connect it before publishing",
            )
        )
    in_window = q.count_in_window(
        session,
        platform=post.platform,
        account_id=post.account_id if rules.daily_scope == "account" else None,
        around=post.scheduled_at,
        exclude_id=post.id,
    )
    live = None
    if (
        quota_reader is not None
        and account is not None
        and post.scheduled_at - now < timedelta(hours=24)
    ):
        live = quota_reader(account)
    found += postrules.check_daily_limit(rules, in_window, live=live)
    return CheckResult(found)


# --- building a post --------------------------------------------------------------------------


def with_challenge_hashtags(caption: str, challenge: Challenge | None) -> str:
    """The caption with every hashtag of the challenge that it lacks added at the end."""
    if challenge is None:
        return caption
    present = {t.lower() for t in postrules.hashtags(caption)}
    missing = [t for t in challenge.hashtags if t.lower() not in present]
    if not missing:
        return caption
    tags = " ".join(f"#{t}" for t in missing)
    return f"{caption.rstrip()}\n\n{tags}" if caption.strip() else tags


def _account(session: Session, library_id: int, platform: Platform, handle: str) -> SocialAccount:
    account = queries.account_by_handle(session, platform, clean_handle(handle))
    if account is None:
        raise BadInput(
            f"--account {handle!r}: no {platform} account of that handle "
            "(add it with `reelboard account add`)"
        )
    if account.library_id != library_id:
        raise BadInput(f"--account {handle!r} belongs to another library (#{account.library_id})")
    return account


def _attach_media(
    post: ScheduledPost, settings: Settings, media_file: Path | None, media_url: str | None
) -> None:
    if media_file is not None and media_url is not None:
        raise BadInput("give either --media FILE or --media-url, not both")
    if media_file is not None:
        name = media.store_media(media_file, settings.media_dir)
        info = media.probe(media.media_file(settings.media_dir, name))
        post.media_path, post.media_url, post.media_info = name, None, info.to_json()
    elif media_url is not None:
        post.media_path, post.media_url, post.media_info = (
            None,
            media.check_media_url(media_url),
            None,
        )


def _when(raw: str | datetime, tz: str) -> datetime:
    if isinstance(raw, datetime):
        if raw.tzinfo is None:
            raise BadInput("--at: the time has no zone")
        return raw
    return parse_local(raw, tz, field="--at")


def _label(post: ScheduledPost) -> str:
    return f"post #{post.id}" if post.id else "the post"


def _require_clean(result: CheckResult, post: ScheduledPost) -> None:
    if result.errors:
        raise PostRejected(_label(post), result.errors)


def create_post(
    session: Session,
    settings: Settings,
    *,
    library: str,
    platform: str,
    account: str,
    caption: str,
    at: str | datetime,
    actor: Actor,
    now: datetime,
    media_file: Path | None = None,
    media_url: str | None = None,
    pillar: str | None = None,
    challenge: str | None = None,
    submit: bool = True,
    quota_reader: QuotaReader | None = None,
) -> tuple[ScheduledPost, CheckResult]:
    """A new post on the calendar; with ``submit`` it must pass every check (else nothing is
    written), without it it is kept as a draft and the check result tells what to fix."""
    lib = require_library(session, library)
    _may_plan(actor, lib.id)
    plat = parse_platform(platform)
    acct = _account(session, lib.id, plat, account)
    chal = require_challenge(session, challenge) if challenge else None
    if chal is not None and plat.value not in chal.platforms:
        raise BadInput(f"--challenge {chal.slug}: it takes {', '.join(chal.platforms)}, not {plat}")
    post = ScheduledPost(
        library_id=lib.id,
        account_id=acct.id,
        challenge_id=chal.id if chal else None,
        platform=plat,
        caption=with_challenge_hashtags(caption, chal),
        pillar=parse_pillar(pillar),
        scheduled_at=_when(at, lib.timezone),
        state=PostState.DRAFT,
        platform_state={},
        created_by=actor.name,
    )
    _attach_media(post, settings, media_file, media_url)
    if post.media_path is None and post.media_url is None:
        raise BadInput("a reel needs a video: give --media FILE or --media-url")
    session.add(post)
    session.flush()
    result = check_post(session, post, now, quota_reader=quota_reader)
    if submit:
        _require_clean(result, post)
        post.state = PostState.SUBMITTED
    audit.record(
        session,
        actor.name,
        "post.create",
        "scheduled_post",
        post.id,
        state=post.state.value,
        platform=plat.value,
        account=acct.handle,
        scheduled_at=iso_utc(post.scheduled_at),
        media=post.media_path or post.media_url,
    )
    return post, result


def require_post(session: Session, post_id: int) -> ScheduledPost:
    post = session.get(ScheduledPost, post_id)
    if post is None:
        raise BadInput(f"no scheduled post #{post_id}")
    return post


def submit_post(
    session: Session,
    post_id: int,
    *,
    actor: Actor,
    now: datetime,
    quota_reader: QuotaReader | None = None,
) -> tuple[ScheduledPost, CheckResult]:
    post = require_post(session, post_id)
    _may_plan(actor, post.library_id)
    if post.state is not PostState.DRAFT:
        raise BadInput(f"post #{post.id} is {post.state}, only a draft can be submitted")
    result = check_post(session, post, now, quota_reader=quota_reader)
    _require_clean(result, post)
    post.state = PostState.SUBMITTED
    post.state_reason = None
    audit.record(session, actor.name, "post.submit", "scheduled_post", post.id)
    return post, result


def _queue(
    session: Session, post: ScheduledPost, now: datetime, quota_reader: QuotaReader | None
) -> CheckResult:
    """approved -> scheduled when every check passes; else it stays approved with the reason."""
    result = check_post(session, post, now, quota_reader=quota_reader)
    if result.errors:
        post.state = PostState.APPROVED
        post.state_reason = "; ".join(str(v) for v in result.errors)
    else:
        post.state = PostState.SCHEDULED
        post.state_reason = None
    return result


def approve_post(
    session: Session,
    post_id: int,
    *,
    actor: Actor,
    now: datetime,
    quota_reader: QuotaReader | None = None,
) -> tuple[ScheduledPost, CheckResult]:
    """Approve a submitted post (or re-queue an approved one whose checks failed before)."""
    post = require_post(session, post_id)
    chal = session.get(Challenge, post.challenge_id) if post.challenge_id else None
    if not may_approve(actor, post, chal):
        who = "the committee" if approver_for(chal) is Approver.COMMITTEE else "its library"
        raise BadInput(f"{actor.name} ({actor.role}) may not approve post #{post.id}: {who} does")
    if post.state not in (PostState.SUBMITTED, PostState.APPROVED):
        raise BadInput(f"post #{post.id} is {post.state}; only a submitted post can be approved")
    if post.state is PostState.SUBMITTED:
        post.approved_by = actor.name
        post.state = PostState.APPROVED
        audit.record(session, actor.name, "post.approve", "scheduled_post", post.id)
    result = _queue(session, post, now, quota_reader)
    audit.record(
        session,
        actor.name,
        "post.queue",
        "scheduled_post",
        post.id,
        state=post.state.value,
        reason=post.state_reason,
    )
    return post, result


CONTENT_FIELDS = ("caption", "media", "account", "platform")


def edit_post(
    session: Session,
    settings: Settings,
    post_id: int,
    *,
    actor: Actor,
    now: datetime,
    caption: str | None = None,
    at: str | datetime | None = None,
    media_file: Path | None = None,
    media_url: str | None = None,
    pillar: str | None = None,
    account: str | None = None,
    quota_reader: QuotaReader | None = None,
) -> tuple[ScheduledPost, CheckResult]:
    """Change a post before publishing starts; see the module text for what an edit undoes."""
    post = require_post(session, post_id)
    _may_plan(actor, post.library_id)
    if post.state not in EDITABLE:
        raise BadInput(f"post #{post.id} is {post.state} and can no longer be changed")
    lib = require_library_by_id(session, post.library_id)
    chal = session.get(Challenge, post.challenge_id) if post.challenge_id else None
    changes: dict[str, Any] = {}
    if caption is not None:
        new_caption = with_challenge_hashtags(caption, chal)
        if new_caption != post.caption:
            changes["caption"] = {"from": post.caption, "to": new_caption}
            post.caption = new_caption
    if media_file is not None or media_url is not None:
        before = post.media_path or post.media_url
        _attach_media(post, settings, media_file, media_url)
        after = post.media_path or post.media_url
        if after != before:
            changes["media"] = {"from": before, "to": after}
    if account is not None:
        acct = _account(session, post.library_id, post.platform, account)
        if acct.id != post.account_id:
            changes["account"] = {"from": post.account_id, "to": acct.id}
            post.account_id = acct.id
    if pillar is not None:
        new_pillar = parse_pillar(pillar)
        if new_pillar != post.pillar:
            changes["pillar"] = {
                "from": post.pillar.value if post.pillar else None,
                "to": new_pillar.value if new_pillar else None,
            }
            post.pillar = new_pillar
    if at is not None:
        when = _when(at, lib.timezone)
        if when != post.scheduled_at:
            changes["scheduled_at"] = {"from": iso_utc(post.scheduled_at), "to": iso_utc(when)}
            post.scheduled_at = when
    if not changes:
        return post, check_post(session, post, now, quota_reader=quota_reader)
    content_changed = any(k in changes for k in CONTENT_FIELDS)
    before_state = post.state
    if post.state is PostState.FAILED:
        post.platform_state = _reset_platform_state(post.platform_state)
        post.state = PostState.SUBMITTED
        post.approved_by = None
    elif content_changed and post.state in (PostState.APPROVED, PostState.SCHEDULED):
        post.state = PostState.SUBMITTED
        post.approved_by = None
    result = check_post(session, post, now, quota_reader=quota_reader)
    if post.state is not PostState.DRAFT:
        _require_clean(result, post)
    if post.state in (PostState.APPROVED, PostState.SCHEDULED):
        _queue(session, post, now, quota_reader)
    audit.record(
        session,
        actor.name,
        "post.edit",
        "scheduled_post",
        post.id,
        changes=changes,
        state_from=before_state.value,
        state_to=post.state.value,
    )
    return post, result


def require_library_by_id(session: Session, library_id: int) -> Any:
    lib = q.library_of(session, library_id)
    if lib is None:
        raise BadInput(f"no library #{library_id}")
    return lib


def cancel_post(
    session: Session, post_id: int, *, actor: Actor, now: datetime, reason: str | None = None
) -> ScheduledPost:
    post = require_post(session, post_id)
    _may_plan(actor, post.library_id)
    if post.state not in CANCELLABLE:
        raise BadInput(f"post #{post.id} is {post.state} and cannot be cancelled")
    before = post.state
    post.state = PostState.CANCELLED
    post.state_reason = reason or f"cancelled by {actor.name}"
    audit.record(
        session, actor.name, "post.cancel", "scheduled_post", post.id, state_from=before.value
    )
    return post


def _reset_platform_state(state: dict[str, Any]) -> dict[str, Any]:
    """A fresh state for another attempt, keeping earlier attempts' ids for the record."""
    history = list(state.get("history", []))
    rest = {k: v for k, v in state.items() if k != "history"}
    if rest:
        history.append(rest)
    return {"history": history} if history else {}


def retry_post(
    session: Session,
    post_id: int,
    *,
    actor: Actor,
    now: datetime,
    quota_reader: QuotaReader | None = None,
) -> tuple[ScheduledPost, CheckResult]:
    """A failed post goes back in the queue (now, if its time has passed)."""
    post = require_post(session, post_id)
    _may_plan(actor, post.library_id)
    if post.state is not PostState.FAILED:
        raise BadInput(f"post #{post.id} is {post.state}; only a failed post can be retried")
    post.platform_state = _reset_platform_state(post.platform_state)
    if post.scheduled_at < now:
        post.scheduled_at = now
    post.state = PostState.APPROVED
    result = _queue(session, post, now, quota_reader)
    audit.record(
        session,
        actor.name,
        "post.retry",
        "scheduled_post",
        post.id,
        state=post.state.value,
        reason=post.state_reason,
    )
    return post, result


# --- reading ----------------------------------------------------------------------------------

POST_FIELDS = (
    "id",
    "library",
    "platform",
    "account",
    "scheduled_local",
    "state",
    "state_reason",
    "pillar",
    "caption",
    "media",
    "permalink",
)


def post_row(session: Session, post: ScheduledPost) -> dict[str, Any]:
    lib = require_library_by_id(session, post.library_id)
    account = session.get(SocialAccount, post.account_id)
    challenge = session.get(Challenge, post.challenge_id) if post.challenge_id else None
    return {
        "id": post.id,
        "library": lib.name,
        "timezone": lib.timezone,
        "platform": post.platform.value,
        "account": account.handle if account else None,
        "challenge": challenge.slug if challenge else None,
        "scheduled_at": iso_utc(post.scheduled_at),
        "scheduled_local": show_local(post.scheduled_at, lib.timezone),
        "state": post.state.value,
        "state_reason": post.state_reason,
        "pillar": post.pillar.value if post.pillar else None,
        "caption": post.caption,
        "media": post.media_path or post.media_url,
        "media_info": post.media_info,
        "created_by": post.created_by,
        "approved_by": post.approved_by,
        "attempts": post.attempts,
        "platform_media_id": post.platform_media_id,
        "permalink": post.permalink,
        "published_at": iso_utc(post.published_at),
        "entry_id": post.entry_id,
    }


def list_posts(
    session: Session,
    *,
    library: str | None = None,
    states: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    challenge: str | None = None,
) -> list[dict[str, Any]]:
    """The calendar as plain rows (times in UTC ISO and in the library's zone)."""
    lib_id = require_library(session, library).id if library else None
    chal_id = require_challenge(session, challenge).id if challenge else None
    parsed = []
    for s in states or []:
        try:
            parsed.append(PostState(s.strip().lower()))
        except ValueError:
            known = ", ".join(p.value for p in PostState)
            raise BadInput(f"--state {s!r}: expected one of {known}") from None
    posts = q.calendar(
        session, library_id=lib_id, states=parsed, start=start, end=end, challenge_id=chal_id
    )
    return [post_row(session, p) for p in posts]


__all__ = [
    "POST_FIELDS",
    "Actor",
    "CheckResult",
    "PostRejected",
    "QuotaReader",
    "actor_by_username",
    "approve_post",
    "cancel_post",
    "check_post",
    "create_post",
    "edit_post",
    "list_posts",
    "may_approve",
    "post_row",
    "retry_post",
    "submit_post",
    "with_challenge_hashtags",
]
